"""A whole-number slider that updates while it is dragged (assets/live_slider.js): for the Lab's geometry,
where every intermediate value is exact and cheap, the maps follow the thumb instead of waiting for the
release. Each value reaches Python as a trigger, so moving back to a value Python has since changed (a preset
that sets the kernel size) still reaches it. Kept like every other control (pages/views/controls.py)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from pages.views import controls
from pages.views.assets import component
from pages.views.errors import callback

_slider = component("cnn_lab_live_slider", "live_slider", isolate_styles=False)  # our CSS is scoped by class


def _valid(low: int, high: int):
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _take(key: str, low: int, high: int, then: Callable[[], None] | None) -> None:
    value = (st.session_state.get(f"live_{key}") or {}).get("value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if _valid(low, high)(value):
        controls.kept()[key] = value
        if then is not None:
            then()


def live_slider(label: str, low: int, high: int, key: str, *, default: int, help: str | None = None,
                on_change: Callable[[], None] | None = None) -> int:
    """`on_change` runs after a valid new value is kept (the Lab's: rerun only the maps)."""
    value = controls.prepare(key, default, _valid(low, high))
    _slider(key=f"live_{key}", data={"label": label, "min": low, "max": high, "value": value, "help": help, "key": key},
            on_value_change=callback(lambda: _take(key, low, high, on_change)))
    return value
