"""Convolution Lab: change the input, the kernel, stride, padding, dilation, activation and pooling,
and see every map change at once, with the arithmetic behind any cell."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from cnn import images, kernels, ops, viz
from pages._ui import matrix_html, operator_html, sidebar_help, tr

SOURCES = ("digit", "grid", "photo", "draw", "upload")
DEFAULT_PRESETS = ("sobel_x", "sobel_y", "laplacian", "gaussian")
PAD_CHOICES = ("valid", "same", "full", "custom")
SPEEDS = {"slow": 1.0, "normal": 0.5, "fast": 0.2}  # seconds per step
CHANNEL_NAMES = ("R", "G", "B")
MATRIX_MAX_SIDE = 8

st.title(tr("lab.title"))
st.caption(tr("lab.subtitle"))
sidebar_help("lab")


# ------------------------------------------------------------------ kernel state
# The kernels live in session state as one (M, C, k, k) array. Editors show `base`, a snapshot taken
# whenever the kernels change from outside an editor, so an editor's own edits apply on top of it.


def _bank() -> dict:
    if "kernel_bank" not in st.session_state:
        weights = kernels.preset(DEFAULT_PRESETS[0])[None, None]
        st.session_state.kernel_bank = {"weights": weights, "base": weights.copy(), "version": 0}
    return st.session_state.kernel_bank


def _changed(bank: dict) -> None:
    bank["base"] = bank["weights"].copy()
    bank["version"] += 1


def _fit_bank(filters: int, channels: int) -> dict:
    """Grow or shrink the kernel bank to `filters` maps of `channels` channels."""
    bank = _bank()
    w = bank["weights"]
    if w.shape[:2] == (filters, channels):
        return bank
    size = w.shape[-1]
    new = np.zeros((filters, channels, size, size))
    for m in range(filters):
        if m < w.shape[0]:
            new[m] = w[m, 0] if channels != w.shape[1] else w[m]  # a channel change restarts from channel 1
        else:
            new[m] = kernels.resize(kernels.preset(DEFAULT_PRESETS[m % len(DEFAULT_PRESETS)], size), size)
    bank["weights"] = new
    _changed(bank)
    return bank


def _load_preset(focus: int) -> None:
    name = st.session_state[f"preset_{focus}"]
    bank = _bank()
    if name == "custom":
        return
    size = bank["weights"].shape[-1]
    kernel = kernels.preset(name, size)
    if kernel.shape[0] != size:  # a fixed 3x3 preset sets the size for every kernel
        st.session_state.kernel_size = kernel.shape[0]
        _resize()
    bank["weights"][focus] = kernel
    _changed(bank)


def _resize() -> None:
    bank = _bank()
    size = st.session_state.kernel_size
    w = bank["weights"]
    new = np.zeros(w.shape[:2] + (size, size))
    for m in range(w.shape[0]):
        name = st.session_state.get(f"preset_{m}", "custom")
        for c in range(w.shape[1]):
            scalable = name in ("identity", "box_blur", "gaussian")
            new[m, c] = kernels.preset(name, size) if scalable else kernels.resize(w[m, c], size)
    bank["weights"] = new
    _changed(bank)


def _randomise(focus: int) -> None:
    bank = _bank()
    _, channels, size, _ = bank["weights"].shape
    bank["weights"][focus] = kernels.random_kernel(size, channels=channels)
    _changed(bank)


def _normalise(focus: int) -> None:
    bank = _bank()
    bank["weights"][focus] = kernels.normalise(bank["weights"][focus])
    _changed(bank)


def _random_digit() -> None:
    st.session_state.digit_index = int(np.random.default_rng().integers(images.MNIST_5K_SIZE))


# ------------------------------------------------------------------ controls

col_input, col_kernel, col_geometry, col_after = st.columns([1.15, 1.25, 1, 1], gap="medium")
problems: list[str] = []  # messages that stop the outputs, shown where the outputs would be
image = None

with col_input.container(border=True):
    st.subheader(tr("lab.input.title"))
    source = st.selectbox(tr("lab.input.source"), SOURCES, key="source",
                          format_func=lambda s: tr(f"lab.source.{s}"), help=tr("lab.input.help"))
    if source == "digit":
        st.session_state.setdefault("digit_index", 0)
        index = st.number_input(tr("lab.digit.index"), 0, images.MNIST_5K_SIZE - 1, key="digit_index")
        st.button(tr("lab.digit.random"), on_click=_random_digit)
        image, label = images.mnist_digit(index)
        st.caption(tr("lab.digit.label", label=label))
    elif source == "grid":
        # Streamlit forgets a widget's state on a run that does not draw it; the grid's size and numbers
        # are kept in plain keys too, so a trip to another source (or page) does not lose them.
        grid_size = st.slider(tr("lab.grid.size"), 3, MATRIX_MAX_SIDE, st.session_state.get("grid_size_kept", 6),
                              key="grid_size")
        st.session_state.grid_size_kept = grid_size
        editor, base = f"grid_editor_{grid_size}", f"grid_base_{grid_size}"
        if editor not in st.session_state or base not in st.session_state:
            start = np.zeros((grid_size, grid_size))
            keep = min(grid_size, 6)
            start[:keep, :keep] = images.SEED_GRID[:keep, :keep]
            st.session_state[base] = st.session_state.get(f"grid_values_{grid_size}", start)
        edited = st.data_editor(pd.DataFrame(st.session_state[base], columns=[str(c) for c in range(grid_size)]),
                                key=editor, hide_index=True)
        st.session_state[f"grid_values_{grid_size}"] = edited.to_numpy(dtype=np.float64, na_value=np.nan)
        st.caption(tr("lab.grid.help"))
        try:
            image = images.parse_grid(edited.to_numpy(dtype=np.float64, na_value=np.nan))
        except images.ImageError as exc:
            problems.append(tr("lab.error.grid_not_finite", detail=str(exc)))
    elif source == "photo":
        photo = st.selectbox(tr("lab.photo.name"), images.PHOTOS, key="photo")
        rgb = st.toggle(tr("lab.photo.rgb"), key="photo_rgb", help=tr("lab.photo.rgb_help"))
        size = st.select_slider(tr("lab.photo.size"), [32, 64, 128, 256, 512], value=64, key="photo_size",
                                help=tr("lab.photo.size_help"))
        image = images.sample_photo(photo, rgb=rgb, size=size)
    elif source == "draw":
        from streamlit_drawable_canvas import st_canvas  # only importable inside a running app

        drawing = st_canvas(stroke_width=st.slider(tr("lab.draw.stroke"), 6, 40, 18, key="lab_stroke"),
                            stroke_color="#FFFFFF", background_color="#000000", height=280, width=280,
                            drawing_mode="freedraw", return_image_data=True, key="lab_canvas")
        st.caption(tr("lab.draw.help"))
        try:
            if drawing.image_data is None:
                raise images.ImageError("empty_drawing", "empty")
            image = images.canvas_to_gray(drawing.image_data, size=28)
        except images.ImageError:
            problems.append(tr("lab.error.empty_drawing"))
    else:
        upload = st.file_uploader(tr("lab.upload.label"), type=["png", "jpg", "jpeg"], key="upload",
                                  help=tr("lab.upload.help"))
        rgb = st.toggle(tr("lab.photo.rgb"), key="upload_rgb")
        if upload is None:
            problems.append(tr("lab.upload.waiting"))
        else:
            try:
                image = images.load_upload(upload.getvalue(), rgb=rgb)
                st.caption(tr("lab.upload.loaded", h=image.shape[-2], w=image.shape[-1]))
            except images.ImageError as exc:
                problems.append(tr(f"lab.error.{exc.code}", detail=str(exc)))

channels = 3 if image is not None and image.ndim == 3 else 1

with col_kernel.container(border=True):
    st.subheader(tr("lab.kernel.title"))
    top = st.columns(2)
    n_filters = top[0].number_input(tr("lab.kernel.count"), 1, 4, 1, key="n_filters",
                                    help=tr("lab.kernel.count_help"))
    bank = _fit_bank(n_filters, channels)
    focus = top[1].selectbox(tr("lab.kernel.focus"), range(n_filters), key="focus",
                             format_func=lambda m: tr("lab.kernel.number", n=m + 1),
                             on_change=_changed, args=(bank,))
    focus = min(focus, n_filters - 1)
    st.session_state.setdefault(f"preset_{focus}", DEFAULT_PRESETS[focus % len(DEFAULT_PRESETS)])
    row = st.columns(2)
    row[0].selectbox(tr("lab.kernel.preset"), ("custom",) + kernels.PRESETS, key=f"preset_{focus}",
                     format_func=lambda p: tr(f"kernel.{p}"), on_change=_load_preset, args=(focus,))
    st.session_state.setdefault("kernel_size", 3)
    size = row[1].slider(tr("lab.kernel.size"), kernels.MIN_SIZE, kernels.MAX_SIZE, key="kernel_size",
                         on_change=_resize)
    channel = 0
    if channels == 3:
        channel = st.radio(tr("lab.kernel.channel"), range(3), horizontal=True, key="focus_channel",
                           format_func=lambda c: CHANNEL_NAMES[c], on_change=_changed, args=(bank,))
    editor = st.data_editor(
        pd.DataFrame(bank["base"][focus, channel], columns=[str(c) for c in range(size)]),
        key=f"kernel_editor_{bank['version']}_{focus}_{channel}_{size}", hide_index=True)
    typed = editor.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.all(np.isfinite(typed)):
        bank["weights"][focus, channel] = typed
    else:
        problems.append(tr("lab.error.kernel_not_finite"))
    st.number_input(tr("lab.kernel.bias"), value=0.0, step=0.1, format="%.2f",
                           key=f"bias_{focus}", help=tr("lab.kernel.bias_help"))
    buttons = st.columns(2)
    buttons[0].button(tr("lab.kernel.random"), on_click=_randomise, args=(focus,), help=tr("lab.kernel.random_help"),
                      width="stretch")
    buttons[1].button(tr("lab.kernel.normalise"), on_click=_normalise, args=(focus,),
                      help=tr("lab.kernel.normalise_help"), width="stretch")
    biases = np.array([st.session_state.get(f"bias_{m}", 0.0) for m in range(n_filters)], dtype=np.float64)
    if not np.all(np.isfinite(biases)):
        problems.append(tr("lab.error.kernel_not_finite"))

with col_geometry.container(border=True):
    st.subheader(tr("lab.geometry.title"))
    strides = st.columns(2)
    stride_h = strides[0].slider(tr("lab.stride.rows"), 1, 4, 1, key="stride_h", help=tr("lab.stride.help"))
    stride_w = strides[1].slider(tr("lab.stride.cols"), 1, 4, 1, key="stride_w", help=tr("lab.stride.help"))
    pad_kind = st.selectbox(tr("lab.padding.kind"), PAD_CHOICES, key="pad_kind",
                            format_func=lambda p: tr(f"lab.padding.{p}"), help=tr("lab.padding.help"))
    padding = st.slider(tr("lab.padding.amount"), 0, 6, 1, key="pad_amount") if pad_kind == "custom" else pad_kind
    pad_mode = st.selectbox(tr("lab.padding.mode"), ops.PAD_MODES, key="pad_mode",
                            format_func=lambda p: tr(f"lab.padmode.{p}"), help=tr("lab.padding.mode_help"))
    dilation = st.slider(tr("lab.dilation"), 1, 3, 1, key="dilation", help=tr("lab.dilation.help"))

with col_after.container(border=True):
    st.subheader(tr("lab.after.title"))
    activation = st.selectbox(tr("lab.activation"), ops.ACTIVATIONS, index=1, key="activation",
                              format_func=lambda a: tr(f"activation.{a}"), help=tr("lab.activation.help"))
    pooling = st.selectbox(tr("lab.pooling"), ("none",) + ops.POOL_MODES, index=1, key="pooling",
                           format_func=lambda p: tr(f"pooling.{p}"), help=tr("lab.pooling.help"))
    pool_size, pool_stride = 2, 2
    if pooling != "none":
        pool_cols = st.columns(2)
        pool_size = pool_cols[0].slider(tr("lab.pool.size"), 1, 4, 2, key="pool_size")
        pool_stride = pool_cols[1].slider(tr("lab.pool.stride"), 1, 4, 2, key="pool_stride")


# ------------------------------------------------------------------ computation

if image is None or problems:
    for message in problems or [tr("lab.error.no_input")]:
        st.warning(message)
    st.stop()

weights = bank["weights"]                    # (M, C, k, k)
image_hw = image.shape[-2:]
strides, dilations = (stride_h, stride_w), (dilation, dilation)
pads = ops.resolve_padding(padding, (size, size), dilations)
try:
    out_hw = ops.conv_output_shape(image_hw, (size, size), stride=strides, padding=padding, dilation=dilation)
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
                          stride=strides, padding=padding, dilation=dilation, bias=biases, pad_mode=pad_mode)
feature = feature_maps[focus]                # (H', W')
activated = ops.activate(feature, activation)
pooled, pool_error = None, None
if pooling != "none":
    try:
        pooled = ops.pool2d(activated, size=pool_size, stride=pool_stride, mode=pooling)
    except ValueError:
        pool_error = tr("lab.error.pool_too_big", size=pool_size, h=out_hw[0], w=out_hw[1])

formulas = "&emsp;&emsp;&emsp;".join(viz.size_formula_html(axis, i, size, s, p, dilation, result)
                                    for axis, i, s, p, result in zip("hw", image_hw, strides, pads, out_hw))
st.markdown(f'<div class="size-formula" style="font-size:1.25em;text-align:center">{formulas}</div>',
            unsafe_allow_html=True)
st.caption(tr("lab.formula.help"))


# ------------------------------------------------------------------ the maps, a chosen cell, its arithmetic


def _pick(chart_key: str, position_key: str, width: int) -> None:
    """A click on a map: remember the clicked cell as a row-major position."""
    points = st.session_state[chart_key].selection.get("points", [])
    if points:
        st.session_state[position_key] = int(points[0]["y"]) * width + int(points[0]["x"])


def _show_map(values: np.ndarray, title: str, key: str, height: int = 260) -> None:
    """A map nobody clicks: a picture when big enough, else a chart with its values written in."""
    st.markdown(f"**{title}**", unsafe_allow_html=True)
    if viz.as_picture(values.shape, clickable=False):
        st.image(viz.map_png(values), width="stretch")
    else:
        st.plotly_chart(viz.map_figure(values, height=height), key=key, config={"displayModeBar": False})


def _shape(*dims: int) -> str:
    return "×".join(str(d) for d in dims)


# Play and speed sit outside the fragment: they decide how often it reruns.
play_controls = st.columns([1, 1, 4])
playing = play_controls[0].toggle(tr("lab.step.play"), key="playing", help=tr("lab.step.play_help"))
speed = SPEEDS[play_controls[1].selectbox(tr("lab.step.speed"), tuple(SPEEDS), index=1, key="speed",
                                          format_func=lambda s: tr(f"lab.speed.{s}"), label_visibility="collapsed")]


@st.fragment(run_every=speed if playing else None)
def pipeline_view() -> None:
    n_cells = out_hw[0] * out_hw[1]
    if "cell_pos" not in st.session_state:  # open on the strongest response, not an empty corner
        st.session_state.cell_pos = int(np.argmax(np.abs(feature)))
    position = min(int(st.session_state.cell_pos), n_cells - 1)
    if st.session_state.get("playing"):
        position = (position + 1) % n_cells
    st.session_state.cell_pos = position
    row, col = divmod(position, out_hw[1])
    kernel = weights[focus] if channels == 3 else weights[focus, 0]
    win = ops.window(image, kernel, row, col, stride=strides, padding=padding, dilation=dilation,
                     bias=float(biases[focus]), pad_mode=pad_mode)

    pool_win = None
    if pooled is not None:
        if "pool_pos" not in st.session_state:
            st.session_state.pool_pos = int(np.argmax(np.abs(pooled)))
        pool_pos = min(int(st.session_state.pool_pos), pooled.size - 1)
        pool_row, pool_col = divmod(pool_pos, pooled.shape[1])
        pool_win = ops.pool_window(activated, pool_row, pool_col, size=pool_size, stride=pool_stride, mode=pooling)

    columns = st.columns(4)
    shown_input = padded if channels == 3 else padded[0]
    # (chart key, title, values, overlays, the position a click sets)
    views = [
        ("fig_input", tr("lab.map.padded", shape=_shape(channels, *padded.shape[-2:])),
         shown_input, dict(signed=False, pads=pads, receptive=(win.rows, win.cols)), None),
        ("fig_feature", tr("lab.map.feature", shape=_shape(*out_hw)), feature, dict(cell=(row, col)), "cell_pos"),
        ("fig_activated", tr("lab.map.activated", name=tr(f"activation.{activation}"), shape=_shape(*out_hw)),
         activated, dict(cell=(row, col), receptive=None if pool_win is None else (pool_win.rows, pool_win.cols)),
         None),  # the same cells as the feature map: clicks there suffice, and each click layer costs
    ]
    if pooled is not None:
        views.append(("fig_pooled", tr("lab.map.pooled", name=tr(f"pooling.{pooling}"), shape=_shape(*pooled.shape)),
                      pooled, dict(cell=(pool_row, pool_col)), "pool_pos"))
    for column, (key, title, values, overlays, target) in zip(columns, views):
        with column:
            st.markdown(f"**{title}**")
            shape = values.shape[-2:]
            if viz.as_picture(shape, clickable=target is not None):
                st.image(viz.map_png(values, **overlays), width="stretch")
            elif target is not None:
                st.plotly_chart(viz.map_figure(values, clickable=True, **overlays), key=key, selection_mode="points",
                                on_select=partial(_pick, key, target, shape[1]), config={"displayModeBar": False})
            else:
                st.plotly_chart(viz.map_figure(values, **overlays), key=key, config={"displayModeBar": False})
    if pooled is None:
        columns[3].info(pool_error or tr("lab.map.no_pooling"))

    # The scrubber: every output position in reading order.
    if n_cells > 1:
        st.slider(tr("lab.step.position", row=row, col=col), 0, n_cells - 1, key="cell_pos",
                  help=tr("lab.step.help"))

    arithmetic, pool_column = st.columns([3, 1])
    with arithmetic:
        st.markdown(f"**{tr('lab.arith.title', row=row, col=col, n=focus + 1)}**")
        patches = win.patch if win.patch.ndim == 3 else win.patch[None]
        products = win.products if win.products.ndim == 3 else win.products[None]
        kernels_shown = kernel if kernel.ndim == 3 else kernel[None]
        parts = []
        for c in range(patches.shape[0]):
            label = f"{CHANNEL_NAMES[c]}: " if channels == 3 else ""
            parts.append(
                matrix_html(patches[c], f"{label}{tr('lab.arith.patch')}", signed=False) + operator_html("⊙")
                + matrix_html(kernels_shown[c], tr("lab.arith.kernel")) + operator_html("=")
                + matrix_html(products[c], tr("lab.arith.products"))
                + operator_html(f"Σ = {products[c].sum():.3f}"))
        st.markdown("<br>".join(parts), unsafe_allow_html=True)
        channel_sums = " + ".join(f"{products[c].sum():.3f}" for c in range(products.shape[0]))
        total = f"{channel_sums} = {win.total:.3f}" if channels == 3 else f"{win.total:.3f}"
        st.markdown(f'<div style="font-size:1.15em">Σ = {total}&emsp;&emsp;{win.total:.3f} + b ({win.bias:.2f})'
                    f' = <b>{win.value:.3f}</b></div>', unsafe_allow_html=True)
        st.caption(tr("lab.arith.check", value=f"{feature[row, col]:.3f}",
                      act=tr(f"activation.{activation}"), activated=f"{activated[row, col]:.3f}"))
    with pool_column:
        if pool_win is not None:
            st.markdown(f"**{tr('lab.pool.arith', row=pool_row, col=pool_col)}**")
            st.markdown(matrix_html(pool_win.patch, tr("lab.pool.window")), unsafe_allow_html=True)
            st.markdown(tr(f"lab.pool.result_{pooling}", value=f"{pool_win.value:.3f}"))


pipeline_view()


# ------------------------------------------------------------------ RGB and several kernels

if channels == 3:
    st.subheader(tr("lab.rgb.title"))
    st.caption(tr("lab.rgb.help"))
    partial = [ops.conv2d(image[c], weights[focus, c], stride=strides, padding=padding, dilation=dilation,
                          pad_mode=pad_mode) for c in range(3)]
    cols = st.columns(5)
    for c in range(3):
        name = CHANNEL_NAMES[c]
        with cols[c]:
            _show_map(partial[c], f"{name} ⊛ k<sub>{name}</sub>", f"fig_partial_{c}")
    with cols[3]:
        _show_map(sum(partial), "Σ", "fig_partial_sum")
    with cols[4]:
        _show_map(feature, f"Σ + b ({biases[focus]:.2f})", "fig_partial_bias")

if n_filters > 1:
    st.subheader(tr("lab.multi.title", n=n_filters, shape=_shape(n_filters, *out_hw)))
    st.caption(tr("lab.multi.help"))
    cols = st.columns(4)
    for m in range(n_filters):
        with cols[m]:
            _show_map(feature_maps[m], tr("lab.kernel.number", n=m + 1), f"fig_map_{m}")


# ------------------------------------------------------------------ convolution as a matrix; parameters

with st.expander(tr("lab.matrix.title")):
    if channels != 1 or max(image_hw) > MATRIX_MAX_SIDE or pad_mode != "zeros":
        st.info(tr("lab.matrix.too_big", side=MATRIX_MAX_SIDE))
    else:
        kernel2d = weights[focus, 0]
        index = ops.conv_weight_index(image_hw, (size, size), stride=strides, padding=padding) \
            if dilation == 1 else None
        if index is None:
            st.info(tr("lab.matrix.no_dilation"))
        else:
            matrix = ops.conv_matrix(image_hw, kernel2d, stride=strides, padding=padding)
            st.caption(tr("lab.matrix.help", rows=matrix.shape[0], cols=matrix.shape[1],
                          nonzero=int((index >= 0).sum()), distinct=int(size * size)))
            figure = viz.matrix_figure(index, matrix, title=tr("lab.matrix.figure", shape=_shape(*matrix.shape)))
            st.plotly_chart(figure, key="fig_matrix", config={"displayModeBar": False})
            product = matrix @ image.ravel() + biases[focus]
            same = np.allclose(product, feature.ravel())
            st.markdown(tr("lab.matrix.check_ok" if same else "lab.matrix.check_bad"))

with st.expander(tr("lab.params.title")):
    st.caption(tr("lab.params.help"))
    # The calculator starts from the Lab's settings and follows them when they change.
    lab_numbers = {"calc_h": int(image_hw[0]), "calc_w": int(image_hw[1]), "calc_c": channels,
                   "calc_k": size, "calc_f": n_filters}
    if st.session_state.get("calc_from") != lab_numbers:
        st.session_state.update(lab_numbers, calc_from=lab_numbers)
    calc = st.columns(6)
    p_h = calc[0].number_input(tr("lab.params.height"), 1, 4096, key="calc_h")
    p_w = calc[1].number_input(tr("lab.params.width"), 1, 4096, key="calc_w")
    p_c = calc[2].number_input(tr("lab.params.channels"), 1, 512, key="calc_c")
    p_k = calc[3].number_input(tr("lab.params.kernel"), 1, 15, key="calc_k")
    p_f = calc[4].number_input(tr("lab.params.filters"), 1, 1024, key="calc_f")
    p_b = calc[5].checkbox(tr("lab.params.bias"), key="calc_b")
    try:
        counts = ops.connection_parameters((p_h, p_w), (p_k, p_k), in_channels=p_c, filters=p_f,
                                           stride=strides, padding=padding, dilation=dilation, bias=p_b)
        st.table(pd.DataFrame({
            tr("lab.params.kind"): [tr("lab.params.dense"), tr("lab.params.local"), tr("lab.params.shared")],
            tr("lab.params.count"): [f"{counts[k]:,}" for k in ("dense", "local", "shared")],
        }).set_index(tr("lab.params.kind")))
    except ValueError:
        st.warning(tr("lab.error.params"))
