"""The one way a click on a chart picks something: a callback stores the picked cell under a name, and
the page reads it from there on every run (no second rerun, no reading the chart's return value).

Maps are drawn by the browser (`cells`, `tiles`: assets/map_picker.js, no chart library to load) and
report the clicked cell. Other charts are plotly figures from cnn.viz whose clickable cells carry one
marker each (a heatmap's own cells report no clicks in Streamlit); the marker's point_index is the cell.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from cnn import viz
from pages.views import controls
from pages.views.assets import array, component
from pages.views.errors import callback

# Our CSS is scoped by class; the map-drawing functions are shared with the Lab's map view.
_picker = component("cnn_lab_map_picker", "map_picker", isolate_styles=False, shared=("map_common",))


def _store(chart_key: str, name: str, decode: Callable[[dict], object]) -> None:
    event = st.session_state.get(chart_key)
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    markers = [p for p in points if "point_index" in p]
    if markers:
        controls.kept()[name] = decode(markers[0])


def picked(name: str, default=None):
    return controls.kept().get(name, default)


def pick(name: str, value) -> None:
    controls.kept()[name] = value


def row_col(width: int) -> Callable[[dict], tuple[int, int]]:
    """Decode a click on a width-wide grid of markers into (row, column)."""
    return lambda point: divmod(int(point["point_index"]), width)


def chart(figure, key: str, name: str, decode: Callable[[dict], object], **kwargs) -> None:
    """A clickable chart: a click stores decode(point) as the picked `name`."""
    st.plotly_chart(figure, key=key, on_select=callback(lambda: _store(key, name, decode)), selection_mode="points",
                    config={"displayModeBar": False}, **kwargs)


def _take(key: str, name: str, shape: tuple[int, int], decode: Callable[[tuple[int, int]], object]) -> None:
    cell = (st.session_state.get(key) or {}).get("picked")   # [row, col, the click's number]
    if isinstance(cell, list) and len(cell) >= 2 and all(isinstance(v, int) for v in cell[:2]) \
            and 0 <= cell[0] < shape[0] and 0 <= cell[1] < shape[1]:
        value = decode((cell[0], cell[1]))
        if value is not None:
            controls.kept()[name] = value


def cells(values: np.ndarray, key: str, name: str | None = None, *, cell: tuple[int, int] | None = None,
          signed: bool = True, height: int = 260, hover: str = "") -> None:
    """A map (H, W), its numbers written in when it is small. With a `name`, a click picks a cell, kept as
    (row, col); `cell` is outlined. `hover` ("row {row}, col {col}: {value}") names the cell under the pointer."""
    values = np.asarray(values, dtype=np.float64)
    _picker(key=key, data={"map": array(values, signed), "outline": [*cell, *cell] if cell else None,
                           "numbers": True, "height": height, "clickable": name is not None, "hover": hover},
            on_picked_change=callback(lambda: _take(key, name, values.shape, tuple)) if name else None)


def tiles(maps: np.ndarray, key: str, name: str, *, selected: int | None, title: str = "", height: int = 420,
          hover: str = "") -> None:
    """Every map of a layer (K, H, W) as a grid, each on its own scale (viz.tile); a click picks a map,
    kept as its number; the `selected` one is outlined. `hover` ("map {map}: {row}, {col}") names the
    map and cell under the pointer."""
    mosaic, index, columns = viz.tile(maps)
    outline = None
    if selected is not None and (index == selected).any():
        rows, cols = np.nonzero(index == selected)
        outline = [int(rows.min()), int(cols.min()), int(rows.max()), int(cols.max())]
    signed = bool(np.nanmin(maps) < 0)
    _picker(key=key, data={"map": array(mosaic, signed), "range": [-1 if signed else 0, 1], "outline": outline,
                           "numbers": False, "height": height, "clickable": True, "title": title, "hover": hover,
                           "tiles": {"h": maps.shape[1], "w": maps.shape[2], "columns": columns}},
            on_picked_change=callback(lambda: _take(key, name, mosaic.shape,
                                                    lambda rc: int(index[rc]) if index[rc] >= 0 else None)))
