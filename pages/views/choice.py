"""A menu of the Lab's own (assets/choice.js): its options side by side, one chosen. A choice is announced on
the page at once, so the Lab's map view draws it before Python answers, and reaches Python as a trigger. The
options' labels are sent in the user's language; only values are sent back. Kept like every other control
(pages/views/controls.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from pages.views import controls
from pages.views.assets import component
from pages.views.errors import callback

_choice = component("cnn_lab_choice", "choice", isolate_styles=False)   # our CSS is scoped by class


def widget_key(key: str) -> str:
    """The component's own key for the kept value `key` (tests and the walker find it by it)."""
    return f"menu_{key}"


def _take(key: str, options: list, then: Callable[[], None] | None) -> None:
    value = (st.session_state.get(widget_key(key)) or {}).get("pick")
    if value in options and not isinstance(value, bool):
        controls.kept()[key] = value
        if then is not None:
            then()


def choice(label: str, options: Sequence, key: str, *, default, option_labels: Sequence[str],
           help: str | None = None, on_change: Callable[[], None] | None = None):
    """`options` (values), shown as `option_labels`; `on_change` runs after a new valid choice is kept."""
    options = list(options)
    value = controls.prepare(key, default, lambda v: v in options)
    _choice(key=widget_key(key), data={"label": label, "help": help, "key": key, "value": value,
                                       "options": [{"value": o, "label": t} for o, t in zip(options, option_labels)]},
            on_pick_change=callback(lambda: _take(key, options, on_change)))
    return value
