"""Lesson progress: the exercises solved, every answer checked and the lessons visited, kept on the server
(cnn.classroom) under this browser's token, so a reload, a new tab or a restarted server keeps them and
the teacher sees them. Loaded and saved here only; pages use `solved`, `attempt`, `visit` and `keep`.

With the class database out of reach the lessons go on: answers are checked and ticked for this session,
the page says once that progress is not kept now, and what was kept loads again once the database is back."""

from __future__ import annotations

import streamlit as st

from cnn import lessons
from cnn.classroom import Unavailable
from pages.views import errors, identity
from pages.views.language import tr


def _not_kept(exc: Unavailable) -> None:
    """Say once per run (keep() ends the run) that progress cannot be saved now."""
    errors.log.warning("Lesson progress not kept: %s", exc)
    if not st.session_state.get("progress_not_kept_said"):
        st.session_state.progress_not_kept_said = True
        st.warning(tr("lessons.progress.unsaved"), icon=":material/cloud_off:")


def solved() -> set[str]:
    """The exercises this student has answered right, in this session or before it."""
    token = identity.me()
    if st.session_state.get("lessons_solved_for") != token:      # first call, or the cookie named another
        known = {item.id for item in lessons.all_exercises()}   # ids of exercises since removed are ignored
        try:
            kept = identity.room().solved(token) & known
        except Unavailable as exc:        # this session's ticks for now; the kept ones on a later run
            _not_kept(exc)
            return st.session_state.setdefault("lessons_solved", set())
        st.session_state.lessons_solved = kept | st.session_state.get("lessons_solved", set())
        st.session_state.lessons_solved_for = token
    return st.session_state.lessons_solved


def attempt(lesson: int, exercise: str, right: bool) -> None:
    """One checked answer, kept with its time; a right one ticks the exercise."""
    try:
        identity.room().attempt(identity.me(), exercise, right, lesson)
    except Unavailable as exc:
        _not_kept(exc)
    if right:
        solved().add(exercise)


def visit(lesson: int) -> None:
    """The lesson on screen: kept once each time the student opens it (not on every click inside it)."""
    if st.session_state.get("lesson_visited") != lesson:
        try:
            identity.room().visit(identity.me(), lesson)
        except Unavailable as exc:
            _not_kept(exc)
            return
        st.session_state.lesson_visited = lesson


def keep() -> None:
    """Nothing left to save at the end of a page: every answer is kept as it is checked. The run is over: a
    later one may say again that progress cannot be kept."""
    st.session_state.progress_not_kept_said = False
