"""The Lab's geometry and after-convolution cards, and the convolution they ask for.

`geometry_card` and `after_card` draw their controls; `geometry` and `after` read the chosen values (so
a rerun of the outputs alone needs no card); `convolve` turns an input, the kernels and those values into
every map the Lab shows, or a message in the user's language saying why there is no output (a kernel
wider than the padded input, a padding mode the input is too small for).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnn import ops, viz
from pages.views import controls, lab_settings
from pages.views.choice import choice
from pages.views.kernel_editor import Kernels
from pages.views.lab_settings import CONTROLS
from pages.views.language import tr
from pages.views.live_slider import live_slider


@dataclass(frozen=True)
class Geometry:
    stride: tuple[int, int]
    padding: str | int
    pad_mode: str
    dilation: int

    def as_kwargs(self) -> dict:
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation, pad_mode=self.pad_mode)


@dataclass(frozen=True)
class After:
    activation: str
    pooling: str              # "none", "max" or "avg"
    pool_size: int
    pool_stride: int


@dataclass(frozen=True)
class Maps:
    padded: np.ndarray        # (C, Hp, Wp)
    pads: tuple
    out_hw: tuple[int, int]
    feature_maps: np.ndarray  # (M, H', W')
    activated: np.ndarray     # of the focused kernel's map
    pooled: np.ndarray | None
    pool_note: str | None     # why there is no pooled map


def _value(key: str):
    return controls.get(key, CONTROLS[key].default)


def _unless_reshaped(on_value: Callable[[], None], key: str, before, reshaping) -> Callable[[], None]:
    """What to do after `key` changed from `before`: only the outputs rerun, unless it moved to or from
    `reshaping`, the choice that shows or hides other controls of the card (then the card reruns with them)."""
    def then() -> None:
        if reshaping not in (before, controls.get(key)):
            on_value()
    return then


def geometry() -> Geometry:
    """Stride, padding and dilation as the controls stand (kept by their callbacks before any rerun)."""
    padding = _value("pad_amount") if _value("pad_kind") == "custom" else _value("pad_kind")
    return Geometry((_value("stride_h"), _value("stride_w")), padding, _value("pad_mode"), _value("dilation"))


def after() -> After:
    """Activation and pooling as the controls stand."""
    return After(_value("activation"), _value("pooling"), _value("pool_size"), _value("pool_stride"))


def _menu(key: str, on_change: Callable[[], None]):
    c = CONTROLS[key]
    return choice(tr(c.label), c.options, key, default=c.default, help=c.help and tr(c.help), on_change=on_change,
                  option_labels=[tr(c.option_label.format(v)) for v in c.options])


def _slider(key: str, on_change: Callable[[], None]) -> int:
    c = CONTROLS[key]
    return live_slider(tr(c.label), c.low, c.high, key, default=c.default, help=c.help and tr(c.help),
                       on_change=on_change)


def preview(geometry: Geometry, after: After) -> dict:
    """The settings as the map view's preview reads them (see lab_maps.lab_maps), with what each of the Lab's
    controls may hold (pages/views/lab_settings.py)."""
    return {"padding": geometry.padding, "pad_amount": _value("pad_amount"), "pad_mode": geometry.pad_mode,
            "pooling": after.pooling != "none", "controls": lab_settings.as_data()}


def geometry_card(*, on_value: Callable[[], None]) -> None:
    """Stride, padding and dilation. A change calls `on_value` after it is kept, except one that shows or
    hides the padding amount (the card reruns instead)."""
    st.subheader(tr("lab.geometry.title"))
    strides = st.columns(2)
    with strides[0]:
        _slider("stride_h", on_value)
    with strides[1]:
        _slider("stride_w", on_value)
    pad_kind = _menu("pad_kind", _unless_reshaped(on_value, "pad_kind", _value("pad_kind"), "custom"))
    if pad_kind == "custom":
        _slider("pad_amount", on_value)
    _menu("pad_mode", on_value)
    _slider("dilation", on_value)


def after_card(*, on_value: Callable[[], None]) -> None:
    """Activation and pooling, like geometry_card (turning pooling on or off reruns the card)."""
    st.subheader(tr("lab.after.title"))
    _menu("activation", on_value)
    pooling = _menu("pooling", _unless_reshaped(on_value, "pooling", _value("pooling"), "none"))
    if pooling != "none":
        cols = st.columns(2)
        with cols[0]:
            _slider("pool_size", on_value)
        with cols[1]:
            _slider("pool_stride", on_value)


def convolve(image: np.ndarray, bank: Kernels, geometry: Geometry, after: After) -> Maps | str:
    """Every map of the Lab, or the message that explains why there is none."""
    size, dilation = bank.size, geometry.dilation
    pads = ops.resolve_padding(geometry.padding, (size, size), (dilation, dilation))
    try:
        out_hw = ops.conv_output_shape(image.shape[-2:], (size, size), stride=geometry.stride,
                                       padding=geometry.padding, dilation=dilation)
        padded = ops.pad(image if image.ndim == 3 else image[None], pads, geometry.pad_mode)
    except ValueError:
        span = dilation * (size - 1) + 1
        padded_hw = (image.shape[-2] + sum(pads[0]), image.shape[-1] + sum(pads[1]))
        if span > min(padded_hw):
            return tr("lab.error.empty_output", span=span, ph=padded_hw[0], pw=padded_hw[1], k=size, d=dilation)
        return tr("lab.error.pad_mode", mode=tr(f"lab.padmode.{geometry.pad_mode}"), h=image.shape[-2],
                  w=image.shape[-1])
    feature_maps = ops.conv2d(image, bank.weights, bias=bank.biases, **geometry.as_kwargs())  # weights (M, C, k, k)
    activated = ops.activate(feature_maps[bank.focus], after.activation)
    pooled, note = None, None
    if after.pooling != "none":
        try:
            pooled = ops.pool2d(activated, size=after.pool_size, stride=after.pool_stride, mode=after.pooling)
        except ValueError:
            note = tr("lab.error.pool_too_big", size=after.pool_size, h=out_hw[0], w=out_hw[1])
    return Maps(padded, pads, out_hw, feature_maps, activated, pooled, note)


def size_formula(image_hw, bank: Kernels, geometry: Geometry, maps: Maps) -> None:
    """The output-size formula of both axes, with today's numbers."""
    formulas = "&emsp;&emsp;&emsp;".join(
        viz.size_formula_html(axis, i, bank.size, s, p, geometry.dilation, result)
        for axis, i, s, p, result in zip("hw", image_hw, geometry.stride, maps.pads, maps.out_hw))
    st.markdown(f'<div class="size-formula" style="font-size:1.25em;text-align:center">{formulas}</div>',
                unsafe_allow_html=True)
    st.caption(tr("lab.formula.help" if geometry.dilation == 1 else "lab.formula.help_dilated"))
