"""Inside the Network: one input through every layer of the current model, its kernels, and why it chose."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnn import data, images, inspect, ops, preprocess, viz
from pages._ui import current_model_or_stop, matrix_html, model_caption, operator_html, sample_image, sidebar_help, tr

st.title(tr("nav.inside"))
st.caption(tr("inside.subtitle"))
sidebar_help("inside")

model, spec, sidecar = current_model_or_stop()
dataset = sidecar.get("dataset")
framing = preprocess.framing_for(dataset, spec.input_shape[-1])
st.caption(model_caption(spec, sidecar))


def _shape(values: np.ndarray) -> str:
    return "×".join(map(str, values.shape))


def _layer_name(layer: inspect.LayerOutput) -> str:
    return f"{layer.index + 1}. {tr(f'inside.kind.{layer.kind}')} · {_shape(layer.values)}"


def _bars(values: np.ndarray, labels: list[str] | None = None, height: int = 220, top: int | None = None) -> go.Figure:
    x = labels or list(range(len(values)))
    colours = ["#e53935" if k == top else "#5c6bc0" for k in range(len(values))]
    fig = go.Figure(go.Bar(x=x, y=values, marker_color=colours, hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), bargap=0.1,
                      xaxis=dict(type="category", showticklabels=len(values) <= 40))
    return fig


# ------------------------------------------------------------------ the input

source_col, picture_col, guess_col = st.columns([2, 1, 3])
with source_col:
    options = ("drawing", "sample", "upload")
    source = st.radio(tr("inside.source"), options, horizontal=True, key="inside_source",
                      index=0 if st.session_state.get("drawn_input") is not None else 1,
                      format_func=lambda s: tr(f"inside.source.{s}"))
    x = None
    if source == "drawing":
        x = st.session_state.get("drawn_input")
        if x is None or tuple(np.shape(x)[-2:]) != tuple(spec.input_shape[1:]):
            x = None
            st.info(tr("inside.no_drawing"))
            st.page_link("pages/draw.py", label=tr("nav.draw"), icon=":material/draw:")
    elif source == "sample":
        if st.button(tr("draw.another"), icon=":material/casino:", key="inside_another"):
            st.session_state.inside_sample = int(np.random.default_rng().integers(0, 1_000_000))
        try:
            raw, label = sample_image(dataset, spec, st.session_state.setdefault("inside_sample", 0))
            st.caption(tr("draw.sample_label", label=label))
            x = raw
        except data.DatasetUnavailable as exc:
            st.warning(str(exc))
    else:
        upload = st.file_uploader(tr("draw.upload"), type=["png", "jpg", "jpeg"], key="inside_upload")
        if upload is not None:
            try:
                x = preprocess.to_model_input(images.load_upload(upload.getvalue()), framing)
            except images.ImageError as exc:
                st.error(tr(f"lab.error.{exc.code}", detail=str(exc)))
            except preprocess.EmptyDrawing as exc:
                st.error(tr(f"draw.{exc.code}"))
if x is None:
    st.stop()
x = np.asarray(x, dtype=np.float64)
if x.ndim == 2 and spec.input_shape[0] > 1:
    x = np.repeat(x[None], spec.input_shape[0], axis=0)
look = inspect.trace(model, spec, x)
top = look.top
picture_col.image(viz.enlarge(x if x.ndim == 2 else x.mean(0), 140), caption=tr("inside.input", shape=_shape(x)),
                  width=140)
with guess_col:
    guess = tr("inside.guess", label=spec.classes[top], p=f"{100 * look.probabilities[top]:.1f}%")
    st.markdown(f"**{tr('inside.softmax')}** — {guess}")
    st.plotly_chart(_bars(look.probabilities, [str(c) for c in spec.classes], 170, top), key="inside_softmax",
                    config={"displayModeBar": False})

# ------------------------------------------------------------------ the layer strip

st.subheader(tr("inside.layers"))
chosen = st.radio(tr("inside.pick_layer"), list(range(len(look.layers))), horizontal=True,
                  key=f"inside_layer_{spec.name}", format_func=lambda i: _layer_name(look.layers[i]), index=0)
layer = look.layers[chosen]
maps_col, side_col = st.columns([3, 2], gap="medium")
if layer.values.ndim == 3:
    count = layer.values.shape[0]
    pick_key = f"inside_map_{spec.name}_{chosen}"
    selected = min(st.session_state.get(pick_key, 0), count - 1)
    with maps_col:
        event = st.plotly_chart(viz.mosaic_figure(layer.values, selected=selected, height=420,
                                                  title=tr("inside.maps_title", n=count, shape=_shape(layer.values))),
                                key=f"mosaic_{spec.name}_{chosen}", on_select="rerun", selection_mode="points",
                                config={"displayModeBar": False})
        points = (event or {}).get("selection", {}).get("points", []) if event else []
        clicked = [p for p in points if p.get("curve_number") == 1]
        if clicked and clicked[0].get("point_index") != selected:
            st.session_state[pick_key] = int(clicked[0]["point_index"])
            st.rerun()
        st.caption(tr("inside.maps_help"))
    # The conv that made these maps: this layer, or the nearest conv before it (batch norm, activation
    # and pooling keep the map count).
    conv_index = next((i for i in range(chosen, -1, -1) if spec.layers[i]["type"] == "conv"), None)
    with side_col:
        st.markdown(f"**{tr('inside.map_k', k=selected)}**")
        # On the first convolution a click on a cell picks the cell whose arithmetic is shown below.
        first_conv = chosen == next(iter(inspect.conv_layers(spec)), None)
        one = layer.values[selected]
        cell = (min(st.session_state.get("inside_row", one.shape[0] // 2), one.shape[0] - 1),
                min(st.session_state.get("inside_col", one.shape[1] // 2), one.shape[1] - 1)) if first_conv else None
        picked = st.plotly_chart(viz.map_figure(one, signed=bool(layer.values.min() < 0), height=260, cell=cell,
                                                clickable=first_conv),
                                 key=f"inside_one_map_{chosen}", config={"displayModeBar": False},
                                 **({"on_select": "rerun", "selection_mode": "points"} if first_conv else {}))
        cells = [p for p in ((picked or {}).get("selection", {}).get("points", []) if first_conv else [])
                 if p.get("curve_number") == 1]
        if cells and divmod(int(cells[0]["point_index"]), one.shape[1]) != cell:
            st.session_state.inside_row, st.session_state.inside_col = divmod(int(cells[0]["point_index"]),
                                                                              one.shape[1])
            st.rerun()
        if first_conv:
            st.caption(tr("inside.click_cell"))
        if conv_index is not None:
            weights, bias = inspect.kernels(model, conv_index)
            kernel = weights[selected]
            st.markdown(tr("inside.kernel_of", k=selected, layer=conv_index + 1, shape=_shape(kernel),
                           b=f"{bias[selected]:.3f}"))
            if kernel.shape[0] == 1:
                st.plotly_chart(viz.map_figure(kernel[0], height=200), key="inside_kernel",
                                config={"displayModeBar": False})
            else:
                st.image(viz.mosaic_picture(kernel, side=240), caption=tr("inside.kernel_slices", c=kernel.shape[0]))
else:
    with maps_col:
        labels = [str(c) for c in spec.classes] if layer.values.shape[0] == len(spec.classes) else None
        st.plotly_chart(_bars(layer.values, labels, 260), key=f"dense_{chosen}", config={"displayModeBar": False})
        st.caption(tr("inside.units", n=layer.values.shape[0]))

# ------------------------------------------------------------------ the arithmetic of the first layer

convs = inspect.conv_layers(spec)
if convs and chosen == convs[0]:
    conv_layer = spec.layers[chosen]
    weights, bias = inspect.kernels(model, chosen)
    selected = min(st.session_state.get(f"inside_map_{spec.name}_{chosen}", 0), weights.shape[0] - 1)
    with st.expander(tr("inside.arithmetic"), expanded=True):
        out_h, out_w = layer.values.shape[1:]
        pick = st.columns(2)
        # The cell may come from a click on the map (set in session state) or from another model's bigger
        # maps: keep it inside this map, and give the sliders a default only when nothing chose yet.
        for key, size in (("inside_row", out_h), ("inside_col", out_w)):
            if key in st.session_state:
                st.session_state[key] = min(int(st.session_state[key]), size - 1)
        row = pick[0].slider(tr("inside.row"), 0, out_h - 1, key="inside_row",
                             **({} if "inside_row" in st.session_state else {"value": out_h // 2}))
        col = pick[1].slider(tr("inside.col"), 0, out_w - 1, key="inside_col",
                             **({} if "inside_col" in st.session_state else {"value": out_w // 2}))
        step = ops.window(x, weights[selected], row, col, stride=conv_layer.get("stride", 1),
                          padding=conv_layer.get("padding", 0), dilation=conv_layer.get("dilation", 1),
                          bias=float(bias[selected]))
        dilation = conv_layer.get("dilation", 1)
        pads = ops.resolve_padding(conv_layer.get("padding", 0), weights.shape[-2:], (dilation, dilation))
        seen, made = st.columns(2)
        seen.image(viz.map_png(ops.pad(x, pads), signed=False, pads=pads, receptive=(step.rows, step.cols)),
                   caption=tr("inside.arith_input"), width=220)
        made.image(viz.map_png(layer.values[selected], cell=(row, col)), caption=tr("inside.arith_map", k=selected),
                   width=220)
        for c in range(step.patch.shape[0]):   # a colour input: one row per channel, all summed
            st.markdown(matrix_html(step.patch[c], tr("lab.arith.patch")) + operator_html("⊙")
                        + matrix_html(weights[selected][c], tr("lab.arith.kernel")) + operator_html("=")
                        + matrix_html(step.products[c], tr("lab.arith.products")), unsafe_allow_html=True)
        st.markdown(tr("inside.arith_sum", s=f"{step.total:.4f}", b=f"{step.bias:.4f}", v=f"{step.value:.4f}",
                       map=selected, row=row, col=col, check=f"{layer.values[selected, row, col]:.4f}"))

# ------------------------------------------------------------------ why this prediction

st.subheader(tr("inside.why"))
target = st.selectbox(tr("inside.target"), list(range(len(spec.classes))), index=top, key=f"inside_target_{spec.name}",
                      format_func=lambda k: f"{spec.classes[k]} ({100 * look.probabilities[k]:.1f}%)")
gray = x if x.ndim == 2 else x.mean(0)
if convs:
    # Grad-CAM is defined on the last conv layer; earlier layers give finer (if less abstract) maps.
    spatial = [layer.index for layer in look.layers if layer.values.ndim == 3 and layer.index >= convs[0]]
    cam_at = st.selectbox(tr("inside.cam_layer"), spatial, index=spatial.index(inspect.cam_layer(spec)),
                          format_func=lambda i: _layer_name(look.layers[i]), key=f"inside_cam_{spec.name}")
why = st.columns(3)
if convs:
    cam = inspect.grad_cam(model, spec, x, target=target, layer=cam_at)
    why[0].image(viz.overlay(gray, cam["map"], side=224), caption=tr("inside.gradcam", layer=cam["layer"] + 1),
                 width="stretch")
else:
    why[0].info(tr("inside.no_conv"))
why[1].image(viz.overlay(gray, inspect.saliency(model, spec, x, target), side=224), caption=tr("inside.saliency"),
             width="stretch")
occ = inspect.occlusion(model, spec, x, target)
drop = np.clip(occ["map"], 0, None)
why[2].image(viz.overlay(gray, drop / drop.max() if drop.max() > 0 else drop, side=224),
             caption=tr("inside.occlusion", patch=occ["patch"], p=f"{100 * occ['base']:.1f}%",
                        worst=f"{100 * occ['map'].max():.1f}"), width="stretch")
st.caption(tr("inside.why_help"))

# ------------------------------------------------------------------ every layer at once

with st.expander(tr("inside.all_layers"), expanded=False):
    for each in look.layers:
        st.markdown(f"**{_layer_name(each)}**")
        if each.values.ndim == 3:
            st.image(viz.mosaic_picture(each.values, side=480))
        else:
            st.plotly_chart(_bars(each.values, height=140), key=f"all_{each.index}", config={"displayModeBar": False})
