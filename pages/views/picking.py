"""The one way a click on a chart picks something: a callback stores the picked cell under a name, and
the page reads it from there on every run (no second rerun, no reading the chart's return value).

Charts are plotly figures from cnn.viz whose clickable cells carry one marker each (a heatmap's own
cells report no clicks in Streamlit); the marker's point_index is the cell, row-major.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from pages.views import controls
from pages.views.errors import callback


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


def index(point: dict) -> int:
    return int(point["point_index"])


def chart(figure, key: str, name: str, decode: Callable[[dict], object], **kwargs) -> None:
    """A clickable chart: a click stores decode(point) as the picked `name`."""
    st.plotly_chart(figure, key=key, on_select=callback(lambda: _store(key, name, decode)), selection_mode="points",
                    config={"displayModeBar": False}, **kwargs)
