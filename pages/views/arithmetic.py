"""The arithmetic of one output cell, written out: input patch ⊙ kernel = products, Σ + b = the value.

Server-side HTML, for pages that explain a cell of a trained network (Inside: `first_layer`); the Lab's
map view draws the same table in the browser as the pointer moves.
"""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from cnn import inspect, ops, viz
from pages.views import controls, legend, picking
from pages.views.language import tr

POSITIVE, NEGATIVE = "178,24,43", "33,102,172"     # the tint of positive and negative numbers (RGB)


def _tint(v: float, scale: float, signed: bool) -> str:
    alpha = min(abs(v) / scale, 1.0) * 0.6
    return f"rgba({POSITIVE if v > 0 or not signed else NEGATIVE},{alpha:.2f})"


def scale_html(scale: float, signed: bool = True) -> str:
    """The legend of a tinted table: a colour bar from −scale (blue) through 0 (white) to +scale (red), or
    from 0 to +scale, with its values written under it."""
    stops = (f"rgba({NEGATIVE},0.6), rgba(255,255,255,0), rgba({POSITIVE},0.6)" if signed
             else f"rgba({POSITIVE},0), rgba({POSITIVE},0.6)")
    low = f"−{scale:.2g}" if signed else "0"
    labels = (f"<span>{low}</span>" + ("<span>0</span>" if signed else "") + f"<span>{scale:.2g}</span>")
    return (f'<div data-testid="colour-legend" style="margin-top:3px;max-width:150px">'
            f'<div style="height:8px;border:1px solid #ddd;background:linear-gradient(to right, {stops})"></div>'
            f'<div style="display:flex;justify-content:space-between;font-size:12px;color:#666">{labels}</div></div>')


def matrix_html(values: np.ndarray, caption: str, signed: bool = True, legend: bool = False,
                marked: set[tuple[int, int]] = frozenset(), block: int = 0) -> str:
    """A small matrix as an HTML table whose cells are tinted by sign and size (numbers at 13 px); with
    `legend`, the colour bar of its tint under it. Cells in `marked` are outlined in green (data-marked="1");
    `block` > 1 parts the table into block x block windows with thicker lines."""
    values = np.asarray(values, dtype=np.float64)
    scale = float(np.max(np.abs(values))) or 1.0
    rows = []
    for i, row in enumerate(np.round(values, 2) + 0.0):  # + 0.0 turns -0.0 into 0.0: no "-0.00" in the tables
        cells = []
        for j, v in enumerate(row):
            extra = ""
            if (i, j) in marked:
                extra += "outline:3px solid #00c853;outline-offset:-3px;font-weight:700;"
            if block > 1 and j and j % block == 0:
                extra += "border-left:3px solid #555;"
            if block > 1 and i and i % block == 0:
                extra += "border-top:3px solid #555;"
            tint = _tint(v, scale, signed)
            cells.append(f'<td data-marked="{int((i, j) in marked)}" style="{extra}background:{tint};padding:2px 5px;'
                         f'text-align:right;border:1px solid #ddd;font-family:monospace">{v:.2f}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div style="display:inline-block;margin:4px"><div style="font-size:13px;color:#666">'
            f'{html.escape(caption)}</div><table style="border-collapse:collapse;font-size:13px;margin:0">'
            + "".join(rows) + "</table>" + (scale_html(scale, signed) if legend else "") + "</div>")


def row_html(*parts: str) -> str:
    """Tables and operators side by side, wrapping to the next line when the column is too narrow (never
    overlapping, as fixed columns do when a table is wider than its column)."""
    return ('<div style="display:flex;flex-wrap:wrap;align-items:center;gap:4px 10px">'
            + "".join(parts) + "</div>")


def operator_html(symbol: str) -> str:
    return f'<div style="display:inline-block;font-size:1.6em;margin:0 6px;vertical-align:middle">{symbol}</div>'


def table(step: ops.Window, kernel: np.ndarray, channel_names: tuple[str, ...] | None = None) -> None:
    """patch ⊙ kernel = products for each channel of a window (kernel (C, kh, kw) or (kh, kw))."""
    patches = step.patch if step.patch.ndim == 3 else step.patch[None]
    products = step.products if step.products.ndim == 3 else step.products[None]
    kernels = kernel if kernel.ndim == 3 else kernel[None]
    parts = []
    for c in range(patches.shape[0]):
        label = f"{channel_names[c]}: " if channel_names and patches.shape[0] > 1 else ""
        parts.append(matrix_html(patches[c], f"{label}{tr('lab.arith.patch')}", signed=False) + operator_html("⊙")
                     + matrix_html(kernels[c], tr("lab.arith.kernel")) + operator_html("=")
                     + matrix_html(products[c], tr("lab.arith.products"))
                     + operator_html(f"Σ = {products[c].sum():.3f}"))
    st.markdown("<br>".join(parts), unsafe_allow_html=True)


def first_layer(model, spec, layer: inspect.LayerOutput, chosen: int, x: np.ndarray) -> None:
    """The first convolution's arithmetic for the picked map and cell (a click on the map or these
    sliders pick the cell; it stays inside the map), checked against what the network computed."""
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
        padded = ops.pad(x, pads)
        seen.image(viz.map_png(padded, signed=False, pads=pads, receptive=(step.rows, step.cols)),
                   caption=tr("inside.arith_input"), width=220)
        legend.map_bar(padded if padded.ndim == 2 else padded.mean(0), False, tr("legend.value"), where=seen)
        made.image(viz.map_png(layer.values[selected], cell=(row, col)), caption=tr("inside.arith_map", k=selected),
                   width=220)
        legend.map_bar(layer.values[selected], True, tr("legend.value"), where=made)
        table(step, weights[selected])
        st.markdown(tr("inside.arith_sum", s=f"{step.total:.4f}", b=f"{step.bias:.4f}", v=f"{step.value:.4f}",
                       map=selected, row=row, col=col, check=f"{layer.values[selected, row, col]:.4f}"))
