"""Lesson progress: the exercises solved, every answer checked and the lessons visited, kept on the server
(cnn.classroom) under this browser's token, so a reload, a new tab or a restarted server keeps them and
the teacher sees them. Loaded and saved here only; pages use `solved`, `attempt`, `visit` and `keep`."""

from __future__ import annotations

import streamlit as st

from cnn import lessons
from pages.views import identity


def solved() -> set[str]:
    """The exercises this student has answered right, in this session or before it."""
    token = identity.me()
    if st.session_state.get("lessons_solved_for") != token:      # first call, or the cookie named another
        known = {item.id for item in lessons.all_exercises()}   # ids of exercises since removed are ignored
        kept = identity.room().solved(token) & known
        st.session_state.lessons_solved = kept | st.session_state.get("lessons_solved", set())
        st.session_state.lessons_solved_for = token
    return st.session_state.lessons_solved


def attempt(lesson: int, exercise: str, right: bool) -> None:
    """One checked answer, kept with its time; a right one ticks the exercise."""
    identity.room().attempt(identity.me(), exercise, right, lesson)
    if right:
        solved().add(exercise)


def visit(lesson: int) -> None:
    """The lesson on screen: kept once each time the student opens it (not on every click inside it)."""
    if st.session_state.get("lesson_visited") != lesson:
        st.session_state.lesson_visited = lesson
        identity.room().visit(identity.me(), lesson)


def keep() -> None:
    """Nothing left to save at the end of a page: every answer is kept as it is checked."""
