"""Convolution Lab: change the input, the kernel, stride, padding, dilation, activation and pooling,
and see every map change at once, with the arithmetic behind any cell."""

from __future__ import annotations

import streamlit as st

from pages.views import (
    channel_maps,
    conv_matrix,
    errors,
    kernel_editor,
    lab_controls,
    lab_maps,
    link,
    parameter_calculator,
    phone,
    sources,
)
from pages.views.language import tr
from pages.views.page import begin

begin("lab")


OUTPUTS = "lab_outputs"

phone.pin_to_top("lab_page", "lab_mapview")   # on a phone the maps stay in sight above the cards


def outputs_only() -> None:
    """What a control that changes only a value does after keeping it: rerun the outputs, not the cards (the
    browser already shows the new value; redrawing some 30 unchanged widgets made every change wait longer)."""
    st.rerun(OUTPUTS)


@errors.fragment
def lab() -> None:
    """The cards, then the outputs. A change that reshapes a card (the input, the number of kernels, a preset,
    the kernel size, padding or pooling turned on or off) reruns this, not the app's sidebar and menus."""
    link.restore_lab(kernel_editor.store)
    link.notice()
    with st.container(key="lab_page"):
        cards_and_outputs()


def cards_and_outputs() -> None:
    cards = st.columns([1.15, 1.25, 1, 1], gap="medium")
    with cards[0].container(border=True):
        image, problem = sources.lab_input()
    channels = 3 if image is not None and image.ndim == 3 else 1
    with cards[1].container(border=True):
        kernel_editor.kernel_card(channels, on_value=outputs_only)
    with cards[2].container(border=True):
        lab_controls.geometry_card(on_value=outputs_only)
    with cards[3].container(border=True):
        lab_controls.after_card(on_value=outputs_only)
    outputs(image, problem, channels)


@errors.fragment(key=OUTPUTS)
def outputs(image, problem: str | None, channels: int) -> None:
    """Every map and what explains it. Run alone (outputs_only), it keeps the input of the last run of lab()
    and reads the kernels, geometry and activation/pooling from the session, where the callbacks put them."""
    bank = kernel_editor.current(channels)
    geometry, after = lab_controls.geometry(), lab_controls.after()
    link.store_lab(bank.weights, bank.biases)
    problems = [p for p in (problem, bank.problem) if p]
    if image is None or problems:
        for message in problems or [tr("lab.error.no_input")]:
            st.warning(message)
        return
    maps = lab_controls.convolve(image, bank, geometry, after)
    if isinstance(maps, str):
        st.error(maps)
        return
    lab_controls.size_formula(image.shape[-2:], bank, geometry, maps)

    focus, bias = bank.focus, float(bank.biases[bank.focus])
    pool_mode = after.pooling if after.pooling != "none" else "max"
    with st.container(key="lab_mapview"):   # pinned on a phone (phone.pin_to_top)
        lab_maps.lab_maps(padded=maps.padded, pads=maps.pads, kernel=bank.weights[focus], bias=bias,
                          stride=geometry.stride, dilation=geometry.dilation, feature=maps.feature_maps[focus],
                          activated=maps.activated, pooled=maps.pooled, activation=after.activation, focus=focus,
                          pool=(after.pool_size, after.pool_stride, pool_mode),
                          note=maps.pool_note, preview={**lab_controls.preview(geometry, after),
                                                        "kernels": kernel_editor.at_every_size(bank)})
    if channels == 3:
        channel_maps.rgb_partials(image, bank.weights[focus], bias, maps.feature_maps[focus], **geometry.as_kwargs())
    if len(maps.feature_maps) > 1:
        channel_maps.several_maps(maps.feature_maps)
    conv_matrix.conv_matrix(image, bank.weights[focus, 0], bias, maps.feature_maps[focus], stride=geometry.stride,
                            padding=geometry.padding, dilation=geometry.dilation, pad_mode=geometry.pad_mode,
                            max_side=sources.GRID_MAX_SIDE)
    parameter_calculator.parameter_calculator(*image.shape[-2:], channels, bank.size, len(maps.feature_maps),
                                              stride=geometry.stride, padding=geometry.padding,
                                              dilation=geometry.dilation)
    link.copy_button()


lab()
