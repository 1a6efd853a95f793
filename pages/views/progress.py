"""Lesson progress: the set of exercises solved, loaded and saved here only. For now it is kept in the
browser (localStorage, through assets/progress_store.js), so a reload keeps it; a server store can
replace this module's insides without any page changing."""

from __future__ import annotations

import streamlit as st

from cnn import lessons
from pages.views.assets import component
from pages.views.errors import callback

_store = component("cnn_lab_progress", "progress_store")
KEY = "lesson_progress"


def solved() -> set[str]:
    """The exercises answered right, in this session and (once `keep` has run) before it in this browser."""
    return st.session_state.setdefault("lessons_solved", set())


def _load() -> None:
    ids = (st.session_state.get(KEY) or {}).get("solved")
    if isinstance(ids, list):
        known = {item.id for item in lessons.all_exercises()}   # ids of exercises since removed are ignored
        solved().update(i for i in ids if isinstance(i, str) and i in known)


def keep() -> None:
    """Save the solved set in the browser, and take what the browser saved before (a rerun follows)."""
    _store(key=KEY, data={"solved": sorted(solved())}, on_solved_change=callback(_load), height=0)
