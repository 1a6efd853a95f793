"""Convolution Lab: change the input, the kernel, stride, padding, dilation, activation and pooling,
and see every map change at once, with the arithmetic behind any cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnn import images, kernel_bank, kernels, ops, viz
from pages.views import controls, errors, lab_maps, sources
from pages.views.language import tr
from pages.views.page import begin

SOURCES = ("digit", "grid", "photo", "draw", "upload")
PAD_CHOICES = ("valid", "same", "full", "custom")
CHANNEL_NAMES = ("R", "G", "B")

begin("lab")


# ------------------------------------------------------------------ kernel state
# The kernels live in session state as one (M, C, k, k) array; cnn.kernel_bank makes every change.
# Editors show `base`, a snapshot taken whenever the kernels change from outside an editor, so an
# editor's own edits apply on top of it.


def bank() -> dict:
    if "kernel_bank" not in st.session_state:
        weights = kernel_bank.start()
        st.session_state.kernel_bank = {"weights": weights, "base": weights.copy(), "version": 0}
    return st.session_state.kernel_bank


def store(weights: np.ndarray) -> None:
    state = bank()
    state.update(weights=weights, base=weights.copy(), version=state["version"] + 1)


def presets(filters: int) -> list[str]:
    return [controls.get(f"preset_{m}", kernel_bank.default_preset(m)) for m in range(filters)]


def load_preset(focus: int) -> None:
    name = controls.get(f"preset_{focus}")
    if name in kernels.FIXED_SIZE and controls.get("kernel_size") != 3:
        controls.put("kernel_size", 3)     # a fixed 3x3 preset sets the size for every kernel
        store(kernel_bank.resize(bank()["weights"], 3, presets(bank()["weights"].shape[0])))
    store(kernel_bank.load_preset(bank()["weights"], focus, name))


def resize() -> None:
    weights = bank()["weights"]
    store(kernel_bank.resize(weights, controls.get("kernel_size"), presets(weights.shape[0])))


# ------------------------------------------------------------------ controls

col_input, col_kernel, col_geometry, col_after = st.columns([1.15, 1.25, 1, 1], gap="medium")
problems: list[str] = []  # messages that stop the outputs, shown where the outputs would be
image = None

with col_input.container(border=True):
    st.subheader(tr("lab.input.title"))
    source = controls.select(tr("lab.input.source"), SOURCES, "source", format_func=lambda s: tr(f"lab.source.{s}"),
                             help=tr("lab.input.help"))
    if source == "digit":
        image = sources.digit()
    elif source == "grid":
        image, problem = sources.grid()
        problems += [problem] if problem else []
    elif source == "photo":
        image = sources.photo()
    elif source == "draw":
        image = sources.lab_drawing()
        if image is None:
            problems.append(tr("lab.error.empty_drawing"))
    else:
        rgb = controls.toggle(tr("lab.photo.rgb"), "upload_rgb")
        image = sources.upload("lab_upload", rgb=rgb)
        if image is None:
            problems.append(tr("lab.upload.waiting"))

channels = 3 if image is not None and image.ndim == 3 else 1

with col_kernel.container(border=True):
    st.subheader(tr("lab.kernel.title"))
    top = st.columns(2)
    n_filters = controls.number(tr("lab.kernel.count"), 1, 4, "n_filters", default=1, widget=top[0].number_input,
                                help=tr("lab.kernel.count_help"))
    if bank()["weights"].shape[:2] != (n_filters, channels):
        store(kernel_bank.fit(bank()["weights"], n_filters, channels))
    focus = controls.select(tr("lab.kernel.focus"), list(range(n_filters)), "focus", widget=top[1].selectbox,
                            format_func=lambda m: tr("lab.kernel.number", n=m + 1))
    row = st.columns(2)
    controls.select(tr("lab.kernel.preset"), ("custom",) + kernels.PRESETS, f"preset_{focus}",
                    default=kernel_bank.default_preset(focus), widget=row[0].selectbox,
                    format_func=lambda p: tr(f"kernel.{p}"), on_change=load_preset, args=(focus,))
    size = controls.slider(tr("lab.kernel.size"), kernels.MIN_SIZE, kernels.MAX_SIZE, "kernel_size", default=3,
                           widget=row[1].slider, on_change=resize)
    if bank()["weights"].shape[-1] != size:
        resize()
    channel = 0
    if channels == 3:
        channel = controls.select(tr("lab.kernel.channel"), [0, 1, 2], "focus_channel", widget=st.radio,
                                  horizontal=True, format_func=lambda c: CHANNEL_NAMES[c])
    state = bank()
    editor = st.data_editor(pd.DataFrame(state["base"][focus, channel], columns=[str(c) for c in range(size)]),
                            key=f"kernel_editor_{state['version']}_{focus}_{channel}_{size}", hide_index=True)
    try:
        typed = images.parse_numbers(editor.apply(pd.to_numeric, errors="coerce").to_numpy(np.float64, na_value=np.nan),
                                     "kernel")
        state["weights"] = kernel_bank.set_slice(state["weights"], focus, channel, typed)
    except images.ImageError as exc:
        problems.append(sources.image_error(exc))
    bias_now = controls.number(tr("lab.kernel.bias"), -1e6, 1e6, f"bias_{focus}", default=0.0, step=0.1,
                               format="%.2f", help=tr("lab.kernel.bias_help"))
    buttons = st.columns(2)
    buttons[0].button(tr("lab.kernel.random"), help=tr("lab.kernel.random_help"), width="stretch",
                      on_click=errors.callback(lambda: store(kernel_bank.randomise(bank()["weights"], focus))))
    buttons[1].button(tr("lab.kernel.normalise"), help=tr("lab.kernel.normalise_help"), width="stretch",
                      on_click=errors.callback(lambda: store(kernel_bank.normalise(bank()["weights"], focus))))
    biases = np.array([controls.get(f"bias_{m}", 0.0) for m in range(n_filters)], dtype=np.float64)

with col_geometry.container(border=True):
    st.subheader(tr("lab.geometry.title"))
    strides = st.columns(2)
    stride_h = controls.slider(tr("lab.stride.rows"), 1, 4, "stride_h", default=1, widget=strides[0].slider,
                               help=tr("lab.stride.help"))
    stride_w = controls.slider(tr("lab.stride.cols"), 1, 4, "stride_w", default=1, widget=strides[1].slider,
                               help=tr("lab.stride.help"))
    pad_kind = controls.select(tr("lab.padding.kind"), PAD_CHOICES, "pad_kind",
                               format_func=lambda p: tr(f"lab.padding.{p}"), help=tr("lab.padding.help"))
    padding = controls.slider(tr("lab.padding.amount"), 0, 6, "pad_amount", default=1) if pad_kind == "custom" \
        else pad_kind
    pad_mode = controls.select(tr("lab.padding.mode"), ops.PAD_MODES, "pad_mode",
                               format_func=lambda p: tr(f"lab.padmode.{p}"), help=tr("lab.padding.mode_help"))
    dilation = controls.slider(tr("lab.dilation"), 1, 3, "dilation", default=1, help=tr("lab.dilation.help"))

with col_after.container(border=True):
    st.subheader(tr("lab.after.title"))
    activation = controls.select(tr("lab.activation"), ops.ACTIVATIONS, "activation", default="relu",
                                 format_func=lambda a: tr(f"activation.{a}"), help=tr("lab.activation.help"))
    pooling = controls.select(tr("lab.pooling"), ("none",) + ops.POOL_MODES, "pooling", default="max",
                              format_func=lambda p: tr(f"pooling.{p}"), help=tr("lab.pooling.help"))
    pool_size, pool_stride = 2, 2
    if pooling != "none":
        pool_cols = st.columns(2)
        pool_size = controls.slider(tr("lab.pool.size"), 1, 4, "pool_size", default=2, widget=pool_cols[0].slider)
        pool_stride = controls.slider(tr("lab.pool.stride"), 1, 4, "pool_stride", default=2,
                                      widget=pool_cols[1].slider)


# ------------------------------------------------------------------ computation

if image is None or problems:
    for message in problems or [tr("lab.error.no_input")]:
        st.warning(message)
    st.stop()

weights = bank()["weights"]                  # (M, C, k, k)
image_hw = image.shape[-2:]
stride_pair, dilation_pair = (stride_h, stride_w), (dilation, dilation)
pads = ops.resolve_padding(padding, (size, size), dilation_pair)
try:
    out_hw = ops.conv_output_shape(image_hw, (size, size), stride=stride_pair, padding=padding, dilation=dilation)
    padded = ops.pad(image if image.ndim == 3 else image[None], pads, pad_mode)  # (C, Hp, Wp)
except ValueError:
    span = dilation * (size - 1) + 1
    padded_hw = (image_hw[0] + sum(pads[0]), image_hw[1] + sum(pads[1]))
    if span > min(padded_hw):
        st.error(tr("lab.error.empty_output", span=span, ph=padded_hw[0], pw=padded_hw[1], k=size, d=dilation))
    else:
        st.error(tr("lab.error.pad_mode", mode=tr(f"lab.padmode.{pad_mode}"), h=image_hw[0], w=image_hw[1]))
    st.stop()

feature_maps = ops.conv2d(image, weights if channels == 3 else weights[:, 0][:, None],
                          stride=stride_pair, padding=padding, dilation=dilation, bias=biases, pad_mode=pad_mode)
feature = feature_maps[focus]                # (H', W')
activated = ops.activate(feature, activation)
pooled, pool_error = None, None
if pooling != "none":
    try:
        pooled = ops.pool2d(activated, size=pool_size, stride=pool_stride, mode=pooling)
    except ValueError:
        pool_error = tr("lab.error.pool_too_big", size=pool_size, h=out_hw[0], w=out_hw[1])

formulas = "&emsp;&emsp;&emsp;".join(viz.size_formula_html(axis, i, size, s, p, dilation, result)
                                    for axis, i, s, p, result in zip("hw", image_hw, stride_pair, pads, out_hw))
st.markdown(f'<div class="size-formula" style="font-size:1.25em;text-align:center">{formulas}</div>',
            unsafe_allow_html=True)
st.caption(tr("lab.formula.help"))


# ------------------------------------------------------------------ the maps, a chosen cell, its arithmetic
# (all in the browser: pages/views/lab_maps.py)


def show_map(values: np.ndarray, title: str, key: str, height: int = 260) -> None:
    """A map nobody clicks: a picture when big enough, else a chart with its values written in."""
    st.markdown(f"**{title}**", unsafe_allow_html=True)
    if viz.as_picture(values.shape, clickable=False):
        st.image(viz.map_png(values), width="stretch")
    else:
        st.plotly_chart(viz.map_figure(values, height=height), key=key, config={"displayModeBar": False})


def shape_text(*dims: int) -> str:
    return "×".join(str(d) for d in dims)


lab_maps.lab_maps(padded=padded, pads=pads, kernel=weights[focus], bias=float(biases[focus]), stride=stride_pair,
                  dilation=dilation, feature=feature, activated=activated, pooled=pooled,
                  pool=(pool_size, pool_stride, pooling if pooling != "none" else "max"), activation=activation,
                  focus=focus, note=pool_error)


# ------------------------------------------------------------------ RGB and several kernels

if channels == 3:
    st.subheader(tr("lab.rgb.title"))
    st.caption(tr("lab.rgb.help"))
    per_channel = [ops.conv2d(image[c], weights[focus, c], stride=stride_pair, padding=padding, dilation=dilation,
                              pad_mode=pad_mode) for c in range(3)]
    cols = st.columns(5)
    for c in range(3):
        name = CHANNEL_NAMES[c]
        with cols[c]:
            show_map(per_channel[c], f"{name} ⊛ k<sub>{name}</sub>", f"fig_partial_{c}")
    with cols[3]:
        show_map(sum(per_channel), "Σ", "fig_partial_sum")
    with cols[4]:
        show_map(feature, f"Σ + b ({biases[focus]:.2f})", "fig_partial_bias")

if n_filters > 1:
    st.subheader(tr("lab.multi.title", n=n_filters, shape=shape_text(n_filters, *out_hw)))
    st.caption(tr("lab.multi.help"))
    cols = st.columns(4)
    for m in range(n_filters):
        with cols[m]:
            show_map(feature_maps[m], tr("lab.kernel.number", n=m + 1), f"fig_map_{m}")


# ------------------------------------------------------------------ convolution as a matrix; parameters

with st.expander(tr("lab.matrix.title")):
    if channels != 1 or max(image_hw) > sources.GRID_MAX_SIDE or pad_mode != "zeros":
        st.info(tr("lab.matrix.too_big", side=sources.GRID_MAX_SIDE))
    elif dilation != 1:
        st.info(tr("lab.matrix.no_dilation"))
    else:
        kernel2d = weights[focus, 0]
        index = ops.conv_weight_index(image_hw, (size, size), stride=stride_pair, padding=padding)
        matrix = ops.conv_matrix(image_hw, kernel2d, stride=stride_pair, padding=padding)
        st.caption(tr("lab.matrix.help", rows=matrix.shape[0], cols=matrix.shape[1],
                      nonzero=int((index >= 0).sum()), distinct=int(size * size)))
        figure = viz.matrix_figure(index, matrix, title=tr("lab.matrix.figure", shape=shape_text(*matrix.shape)))
        st.plotly_chart(figure, key="fig_matrix", config={"displayModeBar": False})
        product = matrix @ image.ravel() + biases[focus]
        same = np.allclose(product, feature.ravel())
        st.markdown(tr("lab.matrix.check_ok" if same else "lab.matrix.check_bad"))

with st.expander(tr("lab.params.title")):
    st.caption(tr("lab.params.help"))
    # The calculator starts from the Lab's settings and follows them when they change.
    lab_numbers = {"calc_h": int(image_hw[0]), "calc_w": int(image_hw[1]), "calc_c": channels,
                   "calc_k": size, "calc_f": n_filters}
    if controls.get("calc_from") != lab_numbers:
        for key, value in lab_numbers.items():
            controls.put(key, value)
        controls.kept()["calc_from"] = lab_numbers
    calc = st.columns(6)
    p_h = controls.number(tr("lab.params.height"), 1, 4096, "calc_h", default=lab_numbers["calc_h"],
                          widget=calc[0].number_input)
    p_w = controls.number(tr("lab.params.width"), 1, 4096, "calc_w", default=lab_numbers["calc_w"],
                          widget=calc[1].number_input)
    p_c = controls.number(tr("lab.params.channels"), 1, 512, "calc_c", default=channels, widget=calc[2].number_input)
    p_k = controls.number(tr("lab.params.kernel"), 1, 15, "calc_k", default=size, widget=calc[3].number_input)
    p_f = controls.number(tr("lab.params.filters"), 1, 1024, "calc_f", default=n_filters, widget=calc[4].number_input)
    p_b = controls.toggle(tr("lab.params.bias"), "calc_b", widget=calc[5].checkbox)
    try:
        counts = ops.connection_parameters((p_h, p_w), (p_k, p_k), in_channels=p_c, filters=p_f,
                                           stride=stride_pair, padding=padding, dilation=dilation, bias=p_b)
        st.table(pd.DataFrame({
            tr("lab.params.kind"): [tr("lab.params.dense"), tr("lab.params.local"), tr("lab.params.shared")],
            tr("lab.params.count"): [f"{counts[k]:,}" for k in ("dense", "local", "shared")],
        }).set_index(tr("lab.params.kind")))
    except ValueError:
        st.warning(tr("lab.error.params"))
