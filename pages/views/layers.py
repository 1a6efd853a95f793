"""The layers of one input through the model: the strip that picks a layer, that layer's maps (every map as a
mosaic, one map, the kernel that made it) or its units; and every layer at once. Clicks on maps go through
pages/views/picking (the picked map and cell are kept there)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn import inspect, viz
from pages.views import arithmetic, controls, legend, picking
from pages.views.language import tr


def shape_of(values: np.ndarray) -> str:
    return "×".join(map(str, values.shape))


def layer_name(layer: inspect.LayerOutput) -> str:
    return f"{layer.index + 1}. {tr(f'inside.kind.{layer.kind}')} · {shape_of(layer.values)}"


def own_scale(signed: bool, where=st) -> None:
    """The legend of a mosaic whose maps are each on their own scale (viz.tile)."""
    if signed:
        legend.colour_bar("diverging", tr("legend.minus_max"), tr("legend.plus_max"), tr("legend.each_map"), "0",
                          where=where)
    else:
        legend.colour_bar("gray", "0", tr("legend.plus_max"), tr("legend.each_map"), where=where)


def layer_strip(model, spec, look: inspect.Trace) -> int:
    """Pick a layer; show its maps and the kernel behind them, or its units. Returns the picked layer."""
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
            own_scale(bool(layer.values.min() < 0))
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
            legend.map_bar(one, bool(layer.values.min() < 0), tr("legend.value"))
            if conv_index is not None:
                weights, bias = inspect.kernels(model, conv_index)
                kernel = weights[selected]
                st.markdown(tr("inside.kernel_of", k=selected, layer=conv_index + 1, shape=shape_of(kernel),
                               b=f"{bias[selected]:.3f}"))
                if kernel.shape[0] == 1:   # its numbers, tinted as in the arithmetic below
                    st.markdown(arithmetic.matrix_html(kernel[0], tr("lab.arith.kernel"), legend=True),
                                unsafe_allow_html=True)
                else:
                    st.image(viz.mosaic_picture(kernel, side=240),
                             caption=tr("inside.kernel_slices", c=kernel.shape[0]))
                    own_scale(bool(kernel.min() < 0))
    else:
        with maps_col:
            labels = spec.classes if layer.values.shape[0] == len(spec.classes) else None
            st.plotly_chart(viz.bars_figure(layer.values, labels, height=260, y_title=tr("inside.bars_value"),
                                            x_title=tr("inside.bars_class" if labels else "inside.bars_unit")),
                            key=f"dense_{chosen}",
                            config={"displayModeBar": False})
            st.caption(tr("inside.units", n=layer.values.shape[0]))
    return chosen


def every_layer(look: inspect.Trace) -> None:
    """Every layer's output at once, in an expander drawn only while open."""
    expander = st.expander(tr("inside.all_layers"), key="inside_all_layers", on_change="rerun")
    with expander:
        for each in look.layers if expander.open else []:
            st.markdown(f"**{layer_name(each)}**")
            if each.values.ndim == 3:
                st.image(viz.mosaic_picture(each.values, side=480))
                own_scale(bool(each.values.min() < 0))
            else:
                st.plotly_chart(viz.bars_figure(each.values, height=160, x_title=tr("inside.bars_unit"),
                                                y_title=tr("inside.bars_value")), key=f"all_{each.index}",
                                config={"displayModeBar": False})
