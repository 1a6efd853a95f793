"""The Lab's kernel card: how many kernels, which one to edit, a preset, the size, its numbers (per
colour channel), its bias, Random and Normalise.

The kernels live in session state as one (M, C, k, k) array; cnn.kernel_bank makes every change. The
number grid shows `base`, a snapshot taken whenever the kernels change from outside the grid, with the
cells typed since then on top of it (kept as text, so a bad one stays visible).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnn import images, kernel_bank, kernels
from pages.views import controls, errors, kernel_grid, sources
from pages.views.lab_settings import BIAS_STEP, CONTROLS
from pages.views.language import tr
from pages.views.live_slider import live_slider
from pages.views.number_field import number_field

CHANNEL_NAMES = ("R", "G", "B")


@dataclass(frozen=True)
class Kernels:
    weights: np.ndarray        # (M, C, k, k)
    biases: np.ndarray         # (M,)
    focus: int                 # the kernel being edited and explained
    size: int
    problem: str | None        # a message that stops the outputs (a bad number typed), or None


def bank() -> dict:
    if "kernel_bank" not in st.session_state:
        weights = kernel_bank.start()
        st.session_state.kernel_bank = {"weights": weights, "base": weights.copy(), "version": 0, "typed": {}}
    return st.session_state.kernel_bank


def store(weights: np.ndarray) -> None:
    state = bank()
    state.update(weights=weights, base=weights.copy(), version=state["version"] + 1, typed={})


def _presets(filters: int) -> list[str]:
    return [controls.get(f"preset_{m}", kernel_bank.default_preset(m)) for m in range(filters)]


def _load_preset(focus: int) -> None:
    name = controls.get(f"preset_{focus}")
    if name in kernels.FIXED_SIZE and controls.get("kernel_size") != 3:
        controls.put("kernel_size", 3)     # a fixed 3x3 preset sets the size for every kernel
        store(kernel_bank.resize(bank()["weights"], 3, _presets(bank()["weights"].shape[0])))
    store(kernel_bank.load_preset(bank()["weights"], focus, name))


def _settle_presets(filters: int, size: int, channels: int) -> None:
    """A kernel whose preset means nothing at this size and input (Sobel x cropped to 1x1 is a 0: blank maps)
    starts from one that does, and "Start from" says which (kernel_bank.presets_for)."""
    options = kernel_bank.presets_for(size, channels)
    for m in range(filters):
        name = controls.get(f"preset_{m}", kernel_bank.default_preset(m))
        if name != "custom" and name not in options:
            name = kernel_bank.fallback_preset(m, size, channels)
            controls.put(f"preset_{m}", name)
            store(kernel_bank.load_preset(bank()["weights"], m, name))


def _resize() -> None:
    weights = bank()["weights"]
    store(kernel_bank.resize(weights, controls.get("kernel_size"), _presets(weights.shape[0])))


def current(channels: int) -> Kernels:
    """The kernels as they stand: the stored bank with the focused grid's typed cells on top (a cell that
    is not a number leaves the bank as it was and names itself in `problem`), and every kernel's bias."""
    state = bank()
    focus, size = controls.get("focus", 0), state["weights"].shape[-1]
    channel = controls.get("focus_channel", 0) if channels == 3 else 0
    typed = state["typed"].setdefault((focus, channel), {})    # cleared by store(): a new kernel, a fresh grid
    problem = None
    try:
        checked = images.parse_numbers(kernel_grid.numbers(state["base"][focus, channel], typed), "kernel")
        state["weights"] = kernel_bank.set_slice(state["weights"], focus, channel, checked)
    except images.ImageError as exc:
        problem = sources.image_error(exc)
        state["bad"] = (exc.params["row"], exc.params["col"]) if "row" in exc.params else None
    else:
        state["bad"] = None
    default = CONTROLS["bias"].default
    biases = np.array([controls.get(f"bias_{m}", default) for m in range(state["weights"].shape[0])], dtype=np.float64)
    return Kernels(state["weights"], biases, focus, size, problem)


def at_every_size(bank: Kernels) -> dict[int, np.ndarray]:
    """The focused kernel (C, k, k) at every size the size slider offers, as resizing the bank would make it
    (a scalable preset afresh, anything else cropped or padded around its centre)."""
    focus, name = bank.focus, _presets(bank.weights.shape[0])[bank.focus]
    return {size: kernel_bank.resize(bank.weights[focus:focus + 1], size, [name])[0]
            for size in range(kernels.MIN_SIZE, kernels.MAX_SIZE + 1)}


def kernel_card(channels: int, *, on_value: Callable[[], None]) -> None:
    """Draw the kernel card for an input with `channels` channels (1 or 3). A change of a number (a cell,
    the bias) calls `on_value` after it is kept; a change that reshapes the card reruns it."""
    st.subheader(tr("lab.kernel.title"))
    top = st.columns(2)
    count = CONTROLS["n_filters"]
    n_filters = controls.number(tr(count.label), count.low, count.high, count.key, default=count.default,
                                widget=top[0].number_input, help=tr(count.help))
    if bank()["weights"].shape[:2] != (n_filters, channels):
        store(kernel_bank.fit(bank()["weights"], n_filters, channels))
    focus = controls.select(tr("lab.kernel.focus"), list(range(n_filters)), "focus", widget=top[1].selectbox,
                            format_func=lambda m: tr("lab.kernel.number", n=m + 1))
    k = CONTROLS["kernel_size"]
    size = controls.get(k.key, k.default)
    if bank()["weights"].shape[-1] != size:
        _resize()
    _settle_presets(n_filters, size, channels)
    row = st.columns(2)
    controls.select(tr("lab.kernel.preset"), ("custom",) + kernel_bank.presets_for(size, channels), f"preset_{focus}",
                    default=kernel_bank.default_preset(focus), widget=row[0].selectbox,
                    format_func=lambda p: tr(f"kernel.{p}"), on_change=_load_preset, args=(focus,))
    with row[1]:
        size = live_slider(tr(k.label), k.low, k.high, k.key, default=k.default, on_change=_resize)
    if bank()["weights"].shape[-1] != size:
        _resize()
    channel = 0
    if channels == 3:
        channel = controls.select(tr("lab.kernel.channel"), [0, 1, 2], "focus_channel", widget=st.radio,
                                  horizontal=True, format_func=lambda c: CHANNEL_NAMES[c])
    current(channels)                                          # finds the bad cell to outline, if any
    state = bank()
    typed = state["typed"][(focus, channel)]

    def edited() -> None:
        # A good number with nothing outlined changes only the outputs; a bad one, or mending one, the card.
        try:
            images.parse_numbers(kernel_grid.numbers(state["base"][focus, channel], typed), "kernel")
        except images.ImageError:
            return
        if state["bad"] is None:
            on_value()

    kernel_grid.kernel_grid(state["base"][focus, channel], typed, label=tr("lab.kernel.title"), bad=state["bad"],
                            key=f"kernel_grid_{state['version']}_{focus}_{channel}_{size}", on_edit=edited,
                            slice_of=(focus, channel))
    b = CONTROLS["bias"]
    number_field(tr(b.label), b.low, b.high, f"bias_{focus}", default=b.default, step=BIAS_STEP, decimals=2,
                 help=tr(b.help), on_change=on_value)
    buttons = st.columns(2)
    buttons[0].button(tr("lab.kernel.random"), help=tr("lab.kernel.random_help"), width="stretch",
                      on_click=errors.callback(lambda: store(kernel_bank.randomise(bank()["weights"], focus))))
    buttons[1].button(tr("lab.kernel.normalise"), help=tr("lab.kernel.normalise_help"), width="stretch",
                      on_click=errors.callback(lambda: store(kernel_bank.normalise(bank()["weights"], focus))))
