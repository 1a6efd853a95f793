"""A number field of the Lab's own, with − and + buttons (assets/number_field.js): for the bias. A typed number
is kept exactly as typed, even with more decimals than the field shows; each change is announced on the page
at once (the Lab's map view draws it before Python answers) and reaches Python as a trigger. Kept like every
other control (pages/views/controls.py)."""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st

from pages.views import controls
from pages.views.assets import component
from pages.views.errors import callback
from pages.views.language import tr

_field = component("cnn_lab_number", "number_field", isolate_styles=False)   # our CSS is scoped by class


def widget_key(key: str) -> str:
    """The component's own key for the kept value `key` (tests and the walker find it by it)."""
    return f"field_{key}"


def _valid(low: float, high: float):
    return lambda v: (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                      and low <= v <= high)


def _take(key: str, low: float, high: float, then: Callable[[], None] | None) -> None:
    value = (st.session_state.get(widget_key(key)) or {}).get("pick")
    if _valid(low, high)(value):
        controls.kept()[key] = float(value)
        if then is not None:
            then()


def number_field(label: str, low: float, high: float, key: str, *, default: float, step: float, decimals: int = 2,
                 help: str | None = None, on_change: Callable[[], None] | None = None) -> float:
    """A float in [low, high]; `on_change` runs after a valid new value is kept."""
    value = float(controls.prepare(key, default, _valid(low, high)))
    _field(key=widget_key(key), data={
        "label": label, "help": help, "key": key, "value": value, "min": low, "max": high, "step": step,
        "decimals": decimals, "labels": {"minus": tr("control.minus", step=step), "plus": tr("control.plus", step=step),
                                         "invalid": tr("control.invalid", low=f"{low:,g}", high=f"{high:,g}")}},
        on_pick_change=callback(lambda: _take(key, low, high, on_change)))
    return value
