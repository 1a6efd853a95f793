"""Inside the Network: one input through every layer of the current model, its kernels, and why it chose."""

import numpy as np
import streamlit as st

from cnn import inspect, ops, preprocess, viz
from pages.views import arithmetic, bars, controls, explain, filter_gallery, model_menu, picking, sources
from pages.views.language import tr
from pages.views.page import begin

begin("inside", "nav.inside")

model, spec, sidecar = model_menu.current_model_or_stop()
choice = model_menu.current_choice()
dataset = sidecar.get("dataset")
framing = preprocess.framing_for(dataset, spec.input_shape[-1])
model_menu.caption(spec, sidecar)


def shape_of(values: np.ndarray) -> str:
    return "×".join(map(str, values.shape))


def layer_name(layer: inspect.LayerOutput) -> str:
    return f"{layer.index + 1}. {tr(f'inside.kind.{layer.kind}')} · {shape_of(layer.values)}"


# ------------------------------------------------------------------ the input

source_col, picture_col, guess_col = st.columns([2, 1, 3])
with source_col:
    drawn = st.session_state.get("drawn_input")
    source = controls.select(tr("inside.source"), ("drawing", "sample", "upload"), "inside_source", widget=st.radio,
                             horizontal=True, default="drawing" if drawn is not None else "sample",
                             format_func=lambda s: tr(f"inside.source.{s}"))
    x = None
    if source == "drawing":
        if drawn is None or tuple(np.shape(drawn)[-2:]) != tuple(spec.input_shape[1:]):
            st.info(tr("inside.no_drawing"))
            st.page_link("pages/draw.py", label=tr("nav.draw"), icon=":material/draw:")
        else:
            x = drawn
    elif source == "sample":
        x = sources.sample(spec, dataset, "inside_sample")
    else:
        picture = sources.upload("inside_upload")
        if picture is not None:
            try:
                x = preprocess.to_model_input(picture, framing)
            except preprocess.EmptyDrawing as exc:
                st.error(tr(f"draw.{exc.code}"))
if x is None:
    st.stop()
x = np.asarray(x, dtype=np.float64)
if x.ndim == 2 and spec.input_shape[0] > 1:
    x = np.repeat(x[None], spec.input_shape[0], axis=0)
look = explain.trace(choice, model, spec, x)
top = look.top
picture_col.image(viz.enlarge(x if x.ndim == 2 else x.mean(0), 140), caption=tr("inside.input", shape=shape_of(x)),
                  width=140)
with guess_col:
    guess = tr("inside.guess", label=spec.classes[top], p=f"{100 * look.probabilities[top]:.1f}%")
    st.markdown(f"**{tr('inside.softmax')}** — {guess}")
    bars.probability_bars(look.probabilities, spec.classes, top)

# ------------------------------------------------------------------ the layer strip

st.subheader(tr("inside.layers"))
chosen = controls.select(tr("inside.pick_layer"), list(range(len(look.layers))), f"inside_layer_{spec.name}",
                         widget=st.radio, horizontal=True, format_func=lambda i: layer_name(look.layers[i]))
layer = look.layers[chosen]
convs = inspect.conv_layers(spec)
first_conv = bool(convs) and chosen == convs[0]
maps_col, side_col = st.columns([3, 2], gap="medium")
if layer.values.ndim == 3:
    count = layer.values.shape[0]
    map_key = f"inside_map_{spec.name}_{chosen}"
    selected = min(int(picking.picked(map_key, 0)), count - 1)
    with maps_col:
        picking.tiles(layer.values, f"mosaic_{spec.name}_{chosen}", map_key, selected=selected,
                      title=tr("inside.maps_title", n=count, shape=shape_of(layer.values)),
                      hover=tr("inside.hover_map"))
        st.caption(tr("inside.maps_help"))
    # The conv that made these maps: this layer, or the nearest conv before it (batch norm, activation
    # and pooling keep the map count).
    conv_index = next((i for i in range(chosen, -1, -1) if spec.layers[i]["type"] == "conv"), None)
    with side_col:
        st.markdown(f"**{tr('inside.map_k', k=selected)}**")
        one = layer.values[selected]
        if first_conv:   # a click on a cell picks the cell whose arithmetic is shown below
            cell = picking.picked("inside_cell", (one.shape[0] // 2, one.shape[1] // 2))
            cell = (min(cell[0], one.shape[0] - 1), min(cell[1], one.shape[1] - 1))
            picking.cells(one, f"inside_one_map_{chosen}", "inside_cell", cell=cell,
                          signed=bool(layer.values.min() < 0), hover=tr("inside.hover_cell"))
            st.caption(tr("inside.click_cell"))
        else:
            picking.cells(one, f"inside_one_map_{chosen}", signed=bool(layer.values.min() < 0),
                          hover=tr("inside.hover_cell"))
        if conv_index is not None:
            weights, bias = inspect.kernels(model, conv_index)
            kernel = weights[selected]
            st.markdown(tr("inside.kernel_of", k=selected, layer=conv_index + 1, shape=shape_of(kernel),
                           b=f"{bias[selected]:.3f}"))
            if kernel.shape[0] == 1:   # its numbers, tinted as in the arithmetic below
                st.markdown(arithmetic.matrix_html(kernel[0], tr("lab.arith.kernel")), unsafe_allow_html=True)
            else:
                st.image(viz.mosaic_picture(kernel, side=240), caption=tr("inside.kernel_slices", c=kernel.shape[0]))
else:
    with maps_col:
        labels = spec.classes if layer.values.shape[0] == len(spec.classes) else None
        st.plotly_chart(viz.bars_figure(layer.values, labels, height=260), key=f"dense_{chosen}",
                        config={"displayModeBar": False})
        st.caption(tr("inside.units", n=layer.values.shape[0]))

# ------------------------------------------------------------------ the arithmetic of the first layer

if first_conv:
    conv_layer = spec.layers[chosen]
    weights, bias = inspect.kernels(model, chosen)
    selected = min(int(picking.picked(f"inside_map_{spec.name}_{chosen}", 0)), weights.shape[0] - 1)
    with st.expander(tr("inside.arithmetic"), expanded=True):
        out_h, out_w = layer.values.shape[1:]
        # One picked cell, set by a click on the map or by these sliders; it stays inside this map.
        row, col = picking.picked("inside_cell", (out_h // 2, out_w // 2))
        row, col = min(row, out_h - 1), min(col, out_w - 1)
        controls.put("inside_row", row)
        controls.put("inside_col", col)

        def moved() -> None:
            picking.pick("inside_cell", (controls.get("inside_row"), controls.get("inside_col")))

        pick = st.columns(2)
        controls.slider(tr("inside.row"), 0, out_h - 1, "inside_row", default=row, widget=pick[0].slider,
                        on_change=moved)
        controls.slider(tr("inside.col"), 0, out_w - 1, "inside_col", default=col, widget=pick[1].slider,
                        on_change=moved)
        dilation = conv_layer.get("dilation", 1)
        step = ops.window(x, weights[selected], row, col, stride=conv_layer.get("stride", 1),
                          padding=conv_layer.get("padding", 0), dilation=dilation, bias=float(bias[selected]))
        pads = ops.resolve_padding(conv_layer.get("padding", 0), weights.shape[-2:], (dilation, dilation))
        seen, made = st.columns(2)
        seen.image(viz.map_png(ops.pad(x, pads), signed=False, pads=pads, receptive=(step.rows, step.cols)),
                   caption=tr("inside.arith_input"), width=220)
        made.image(viz.map_png(layer.values[selected], cell=(row, col)), caption=tr("inside.arith_map", k=selected),
                   width=220)
        arithmetic.table(step, weights[selected])
        st.markdown(tr("inside.arith_sum", s=f"{step.total:.4f}", b=f"{step.bias:.4f}", v=f"{step.value:.4f}",
                       map=selected, row=row, col=col, check=f"{layer.values[selected, row, col]:.4f}"))

# ------------------------------------------------------------------ why this prediction

st.subheader(tr("inside.why"))
target = controls.select(tr("inside.target"), list(range(len(spec.classes))), f"inside_target_{spec.name}",
                         default=top, format_func=lambda k: f"{spec.classes[k]} ({100 * look.probabilities[k]:.1f}%)")
gray = x if x.ndim == 2 else x.mean(0)
why = st.columns(3)
if convs:
    # Grad-CAM is defined on the last conv layer; earlier layers give finer (if less abstract) maps.
    spatial = [each.index for each in look.layers if each.values.ndim == 3 and each.index >= convs[0]]
    cam_at = controls.select(tr("inside.cam_layer"), spatial, f"inside_cam_{spec.name}",
                             default=inspect.cam_layer(spec), format_func=lambda i: layer_name(look.layers[i]))
    cam = explain.grad_cam(choice, model, spec, x, target, cam_at)
    why[0].image(viz.overlay(gray, cam["map"], side=224), caption=tr("inside.gradcam", layer=cam["layer"] + 1),
                 width="stretch")
else:
    why[0].info(tr("inside.no_conv"))
why[1].image(viz.overlay(gray, explain.saliency(choice, model, spec, x, target), side=224),
             caption=tr("inside.saliency"), width="stretch")
occ = explain.occlusion(choice, model, spec, x, target)
drop = np.clip(occ["map"], 0, None)
why[2].image(viz.overlay(gray, drop / drop.max() if drop.max() > 0 else drop, side=224),
             caption=tr("inside.occlusion", patch=occ["patch"], p=f"{100 * occ['base']:.1f}%",
                        worst=f"{100 * occ['map'].max():.1f}"), width="stretch")
st.caption(tr("inside.why_help"))

# ------------------------------------------------------------------ what each filter looks for

st.subheader(tr("filters.title"))
if controls.toggle(tr("filters.show"), "filters_show", help=tr("filters.show_help")):
    filter_gallery.filter_gallery(choice, model, spec, dataset)

# ------------------------------------------------------------------ every layer at once

every_layer = st.expander(tr("inside.all_layers"), key="inside_all_layers", on_change="rerun")
with every_layer:      # drawn only while open
    for each in look.layers if every_layer.open else []:
        st.markdown(f"**{layer_name(each)}**")
        if each.values.ndim == 3:
            st.image(viz.mosaic_picture(each.values, side=480))
        else:
            st.plotly_chart(viz.bars_figure(each.values, height=140), key=f"all_{each.index}",
                            config={"displayModeBar": False})
