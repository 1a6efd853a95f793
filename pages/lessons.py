"""Lessons: six short lessons along the lecture's path, each with a live view and checked exercises."""

from __future__ import annotations

import streamlit as st

from cnn import lessons
from pages.views import controls, errors, exercises, lesson_views, progress
from pages.views.language import tr
from pages.views.page import begin

LESSONS = tuple(lessons.LESSONS)

begin("lessons")


def _lesson_from_link() -> None:
    """Open the lesson the link names (?lesson=3) when the link is new to this session (a first visit, or
    Home's assigned lesson); the page's own choice is written back below. A bad value is ignored."""
    asked = st.query_params.get("lesson", "")
    if st.session_state.get("lesson_link_read") == asked:
        return
    st.session_state.lesson_link_read = asked
    try:
        wanted = int(asked)
    except ValueError:
        return
    if wanted in LESSONS:
        controls.put("lesson", wanted)


_lesson_from_link()
done = exercises.solved()
total = len(lessons.all_exercises())
menu, body = st.columns([1, 3], gap="large")
with menu:
    st.progress(len(done) / total, text=tr("lessons.progress", done=len(done), total=total))

    # Static labels (a label that changed with progress would make a new widget on every answer).
    titles = {n: tr(f"lesson.{n}.title") for n in LESSONS}   # translated now: format_func may run later
    lesson = controls.select(tr("lessons.pick"), LESSONS, "lesson", widget=st.radio, format_func=titles.get)
    for n, items in lessons.LESSONS.items():
        ticks = "".join("●" if item.id in done else "○" for item in items)
        st.caption(f"{n} · {ticks}")
st.query_params["lesson"] = st.session_state.lesson_link_read = str(lesson)
progress.visit(lesson)

with body:
    st.header(tr(f"lesson.{lesson}.title"), anchor=f"lesson-{lesson}")
    st.markdown(tr(f"lesson.{lesson}.body"))
    errors.guard(lesson_views.VIEWS[lesson])()
    st.divider()
    st.subheader(tr("lessons.exercises"))
    for item in lessons.LESSONS[lesson]:
        exercises.exercise(lesson, item)
    if lesson + 1 in LESSONS:
        st.button(tr("lessons.next"), on_click=controls.put, args=("lesson", lesson + 1))

progress.keep()
