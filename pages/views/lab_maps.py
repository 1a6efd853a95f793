"""The Lab's map view: padded input → feature map → activated → pooled, with the arithmetic of any cell.

Python computes every map (cnn.ops) and sends the numbers; the browser (assets/lab_maps.js) draws them
and answers hovering, clicking, the position scrubber and Play on its own, so pointing at a cell costs
no round trip. A click or the end of a scrub is sent back only to keep the chosen cell across reruns.
When a Lab control moves, the browser also redraws the maps from the numbers it holds, as cnn.ops would,
until Python's own maps arrive and replace them (a browser test checks that both agree).
"""

from __future__ import annotations

import re

import numpy as np
import streamlit as st

from cnn import ops
from pages.views import controls, errors, link
from pages.views.assets import array, component
from pages.views.language import lang, tr

CHANNEL_NAMES = ("R", "G", "B")
SPEEDS_MS = (("slow", 1000), ("normal", 500), ("fast", 200))

# Our CSS is scoped by class; the map-drawing functions are shared with the map picker.
_lab_maps = component("cnn_lab_maps", "lab_maps", isolate_styles=False, shared=("map_common", "lab_arith"))


def _html(markdown: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", markdown)


def _shape(*dims: int) -> str:
    return "×".join(str(d) for d in dims)


def _keep(key: str, name: str, kept_as: str) -> None:
    value = (st.session_state.get(key) or {}).get(name)
    if value is not None:
        controls.kept()[kept_as] = tuple(int(v) for v in value)


def map_titles(input_shape, pads, feature_shape, activation: str, pooled: np.ndarray | None,
               mode: str) -> list[str | None]:
    """The four panels' titles: the input ("Padded input" only when there is padding), the feature map, the
    activated map (None, the panel hidden, when no activation is chosen: it would repeat the feature map),
    the pooled map."""
    padded = any(side > 0 for pair in pads for side in pair)
    return [tr("lab.map.padded" if padded else "lab.map.input", shape=_shape(*input_shape)),
            tr("lab.map.feature", shape=_shape(*feature_shape)),
            None if activation == "none" else tr("lab.map.activated", name=tr(f"activation.{activation}"),
                                                 shape=_shape(*feature_shape)),
            tr("lab.map.pooled", name=tr(f"pooling.{mode}"), shape=_shape(*pooled.shape)) if pooled is not None
            else tr("lab.map.not_pooled")]


def shown_pool_cell(cell: tuple[int, int], kept: tuple[int, int] | None, size: int, stride: int,
                    pooled_hw: tuple[int, int]) -> tuple[int, int]:
    """The pooled cell shown with map cell `cell`: one whose window holds it (a pooled cell a student picked,
    while its window holds the cell; else ops.pooled_cell_for). assets/lab_arith.js poolCellFor does the same."""
    if kept is not None:
        kept = (min(kept[0], pooled_hw[0] - 1), min(kept[1], pooled_hw[1] - 1))
        if all(kept[a] * stride <= cell[a] < kept[a] * stride + size for a in (0, 1)):
            return kept
    return ops.pooled_cell_for(*cell, size=size, stride=stride, pooled_hw=pooled_hw)[0]


@errors.fragment
def lab_maps(*, padded: np.ndarray, pads, kernel: np.ndarray, bias: float, stride: tuple[int, int], dilation: int,
             feature: np.ndarray, activated: np.ndarray, pooled: np.ndarray | None, pool: tuple[int, int, str],
             activation: str, focus: int, note: str | None = None, key: str = "lab_maps",
             numbers: bool = True, start: tuple[int, int] | None = None, preview: dict | None = None) -> None:
    """Draw the four maps of one kernel. padded (C, Hp, Wp); kernel (C, k, k); pool = (size, stride, mode).
    `key` names this view: the Lab's own keeps its chosen cell as "cell" (the Lab's links carry it).
    `numbers=False` leaves the outputs' values out of their cells (a lesson asks for them); `start` is the
    cell shown first (default: the strongest response). `preview` lets the browser redraw the maps the
    moment a Lab control moves, from the same numbers, while Python computes them (assets/lab_maps.js):
    {"padding": "valid"/"same"/"full"/n, "pad_amount": n, "pad_mode", "pooling": on or off,
    "kernels": {size: this kernel (C, k, k) at that size}, "controls": what each control may hold}. It learns of
    a change only from our own controls' announcements (live sliders, kernel grid, menus, bias, kernel size)."""
    cell_key, pool_key = ("cell", "pool_cell") if key == "lab_maps" else (f"{key}_cell", f"{key}_pool_cell")
    strongest = np.unravel_index(np.argmax(np.abs(feature)), feature.shape)   # open on the strongest response
    chosen = controls.get(cell_key) or start or tuple(int(v) for v in strongest)
    if key == "lab_maps":
        link.store_field("cell")     # so the server's own copy of the address holds the picked cell too
    chosen = (min(chosen[0], feature.shape[0] - 1), min(chosen[1], feature.shape[1] - 1))
    size, pool_stride, mode = pool
    pool_cell = None
    if pooled is not None:
        pool_cell = shown_pool_cell(chosen, controls.get(pool_key), size, pool_stride, pooled.shape)
    channels = padded.shape[0]
    names = {"activation": {a: tr(f"activation.{a}") for a in ops.ACTIVATIONS},
             "pooling": {m: tr(f"pooling.{m}") for m in ops.POOL_MODES}}
    titles = map_titles(padded.shape, pads, feature.shape, activation, pooled, mode)
    labels = {
        "lang": lang(),
        "arith_title": tr("lab.arith.title", row="{row}", col="{col}", n=focus + 1),
        "patch": tr("lab.arith.patch"), "kernel": tr("lab.arith.kernel"), "products": tr("lab.arith.products"),
        "check": tr("lab.arith.check", value="{value}", act=tr(f"activation.{activation}"), activated="{activated}")
        if activation != "none" else tr("lab.arith.check_none", value="{value}"),
        "check_act": tr("lab.arith.check", value="{value}", act="{act}", activated="{activated}"),
        "check_none": tr("lab.arith.check_none", value="{value}"),
        "pool_title": tr("lab.pool.arith", row="{row}", col="{col}"), "pool_window": tr("lab.pool.window"),
        "pool_outside": tr("lab.pool.outside", row="{row}", col="{col}", prow="{prow}", pcol="{pcol}"),
        "pool_result": _html(tr(f"lab.pool.result_{mode}", value="{value}")),
        "pool_results": {m: _html(tr(f"lab.pool.result_{m}", value="{value}")) for m in ops.POOL_MODES},
        "no_pooling_chosen": tr("lab.map.no_pooling"),
        "position": tr("lab.step.position", row="{row}", col="{col}"), "scrub": tr("lab.step.help"),
        "play": tr("lab.step.play"), "pause": tr("lab.step.pause"),
        "speeds": [[ms, tr(f"lab.speed.{name}")] for name, ms in SPEEDS_MS],
    }
    data = {
        "input": array(padded, signed=False), "pads": [list(p) for p in pads], "kernel": array(kernel),
        "size": int(kernel.shape[-1]), "bias": float(bias), "stride": list(stride), "dilation": int(dilation),
        "feature": array(feature), "activated": array(activated),
        "pooled": None if pooled is None else array(pooled),
        "pool": {"size": int(size), "stride": int(pool_stride), "mode": mode},
        "cell": list(chosen), "pool_cell": None if pool_cell is None else list(pool_cell),
        "titles": titles, "no_pooling": note or tr("lab.map.no_pooling"), "labels": labels,
        "channel_names": list(CHANNEL_NAMES) if channels == 3 else None, "numbers": numbers,
        # The Lab's own view writes a picked cell into the address bar itself: a click reruns only this
        # view, and the URL must hold the cell at once (pages/views/link.py writes everything else).
        "url_param": "cell" if key == "lab_maps" else None,
        "version": st.session_state.setdefault("lab_maps_version", 0),
        "activation": activation, "focus": int(focus),
        "preview": None if preview is None else {
            **preview, "names": names, "kernels": {str(k): array(v) for k, v in preview.get("kernels", {}).items()}},
        # The cells a student picked, as kept (the preview fits them to its maps as Python would).
        "cell_kept": controls.get(cell_key) and list(controls.get(cell_key)),
        "pool_cell_kept": controls.get(pool_key) and list(controls.get(pool_key)),
        # What the preview needs to title the maps it draws (as map_titles does).
        "shape_titles": {"padded": tr("lab.map.padded", shape="{shape}"), "input": tr("lab.map.input", shape="{shape}"),
                         "feature": tr("lab.map.feature", shape="{shape}"),
                         "activated": tr("lab.map.activated", name="{name}", shape="{shape}"),
                         "pooled": tr("lab.map.pooled", name="{name}", shape="{shape}"),
                         "not_pooled": tr("lab.map.not_pooled")},
    }
    st.session_state.lab_maps_version += 1
    _lab_maps(key=key, data=data, on_cell_change=lambda: _keep(key, "cell", cell_key),
              on_pool_cell_change=lambda: _keep(key, "pool_cell", pool_key))
