"""Widgets whose value is a key, whatever the language, whichever page or input is shown.

Streamlit keeps a selectbox's or radio's value as the label it showed, so after a switch to 简体中文 the
stored label matches no option; and it forgets a widget's value on any run that does not draw it. So
every control here keeps its value in `st.session_state.kept`, a plain dict nothing clears, and puts it
back into the widget before drawing it; `format_func` only translates what is shown. A widget's own
key is the same name as its kept value (tests and the URL find it by that name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from pages.views.errors import callback
from pages.views.language import lang

KEPT = "kept"


def kept() -> dict[str, Any]:
    """Every control's value by key, for this session."""
    return st.session_state.setdefault(KEPT, {})


def get(key: str, default: Any = None) -> Any:
    return kept().get(key, default)


def put(key: str, value: Any) -> None:
    """Set a control's value from code (a preset that sets the kernel size, a link): the widget follows."""
    kept()[key] = value
    if key in st.session_state:
        try:
            st.session_state[key] = value
        except StreamlitAPIException:
            pass   # already drawn in this run: prepare() sets it before the next draw


def prepare(key: str, default: Any, valid: Callable[[Any], bool] = lambda _v: True) -> Any:
    """The kept value (or `default` when missing or no longer valid), also set into the widget's state."""
    store = kept()
    value = store.get(key, default)
    if not _is_valid(valid, value):
        value = default
    store[key] = value
    if key not in st.session_state or not _same(st.session_state[key], value):
        st.session_state[key] = value
    return value


def _is_valid(valid, value) -> bool:
    try:
        return bool(valid(value))
    except Exception:
        return False


def _same(a, b) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _on_change(key: str, valid: Callable[[Any], bool], then: Callable | None, args: tuple) -> None:
    value = st.session_state[key]
    # After a language switch Streamlit reports a selectbox "changed" to its old, translated label, before
    # the page runs: that is no choice of the user's. Keep the kept value; prepare() puts it back.
    if not _is_valid(valid, value):
        return
    kept()[key] = value
    if then is not None:
        then(*args)


def _wire(key: str, valid: Callable[[Any], bool], on_change: Callable | None, args: tuple) -> dict:
    return {"key": key, "on_change": callback(_on_change), "args": (key, valid, on_change, tuple(args))}


def select(label: str, options: Sequence, key: str, *, default: Any = None, format_func: Callable = str,
           widget: Callable = st.selectbox, on_change: Callable | None = None, args: tuple = (), **kwargs) -> Any:
    """A selectbox (or radio, segmented control...) over `options` that stores the option, not its label."""
    options = list(options)

    def valid(value) -> bool:
        return value in options

    value = prepare(key, options[0] if default is None else default, valid)
    # The browser keeps a select's chosen label: after a language switch it would go on showing the old
    # language's. Setting the value again from Python makes it take the new label.
    shown_in = st.session_state.setdefault("_control_language", {})
    if shown_in.get(key) != lang():
        st.session_state[key] = value
        shown_in[key] = lang()
    # Labels made now, in this run's language: Streamlit (and AppTest) may call format_func later.
    labels = [format_func(o) for o in options]
    return widget(label, options, format_func=lambda o: labels[options.index(o)], **_wire(key, valid, on_change, args),
                  **kwargs)


def slider(label: str, low, high, key: str, *, default, on_change: Callable | None = None, args: tuple = (),
           widget: Callable = st.slider, **kwargs):
    """A slider (or number_input) kept between runs and pages; values outside [low, high] fall back to default."""
    def valid(value) -> bool:
        return (isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
                and type(value) is type(default))

    prepare(key, default, valid)
    return widget(label, low, high, **_wire(key, valid, on_change, args), **kwargs)


def number(label: str, low, high, key: str, *, default, widget: Callable = st.number_input, **kwargs):
    """A number_input kept like a slider."""
    return slider(label, low, high, key, default=default, widget=widget, **kwargs)


def choice_slider(label: str, options: Sequence, key: str, *, default, **kwargs):
    """A select_slider over `options` (numbers), kept like the others."""
    options = list(options)

    def valid(value) -> bool:
        return value in options

    prepare(key, default, valid)
    return st.select_slider(label, options, **_wire(key, valid, kwargs.pop("on_change", None), kwargs.pop("args", ())),
                            **kwargs)


def toggle(label: str, key: str, *, default: bool = False, widget: Callable = st.toggle,
           on_change: Callable | None = None, args: tuple = (), **kwargs) -> bool:
    def valid(value) -> bool:
        return isinstance(value, bool)

    prepare(key, default, valid)
    return widget(label, **_wire(key, valid, on_change, args), **kwargs)
