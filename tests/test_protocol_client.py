"""bench/classroom.py's protocol-level student, kept working: against a real server, one student opens the Lab
(the page completes: its first run finished with the maps drawn) and changes the stride (Python answers with
maps drawn at the new stride); a teacher creates a class on the Class page and a student joins it through the
page's forms, as the bench's class does. Not a timed test: the times are only checked to have been measured."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent   # (not from conftest: tests/e2e has a conftest of its own)
sys.path.insert(0, str(ROOT / "bench"))

import classroom  # noqa: E402  (bench/ is not a package)
from harness import streamlit_server  # noqa: E402  (classroom put tests/e2e on the path)

from cnn.classroom import Classroom  # noqa: E402


def _run(coroutine):
    """asyncio.run in a thread of its own: in the whole suite, Playwright's sync API already runs an event loop
    in this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_one_student_opens_the_lab_and_a_stride_change_is_answered(tmp_path):
    env = classroom.fresh_env(str(tmp_path), "class")
    with streamlit_server(env=env) as url:
        result = _run(classroom.one_student(url))
    assert result["stride_before"] == [1, 1]           # the Lab's default, drawn by the first run
    assert result["stride_after"] == [2, 1]            # the live slider's trigger reached Python
    assert result["open_s"] > 0 and result["answer_s"] > 0


def test_the_client_names_a_components_trigger_as_streamlit_does():
    from streamlit.components.v2.bidi_component.main import _make_trigger_id

    assert classroom.trigger_id("$$ID-abc-live_stride_h") == _make_trigger_id("$$ID-abc-live_stride_h", "events")


async def _a_class_of_one(url) -> list[float]:
    """The teacher creates the class and keeps its page open; one student joins. The times of the teacher's board
    refreshing by itself (at least one, within a minute)."""
    statics = classroom.Statics()
    statics.learn_from_index(url)
    teacher, student = classroom.Student(url, statics), classroom.Student(url, statics)
    try:
        await teacher.open("class")
        await teacher.create_class("Room 7")
        teacher.refreshes = []
        await student.open("class")
        await student.join("Ada <b>")
        deadline = time.monotonic() + 60
        while not teacher.refreshes and time.monotonic() < deadline:
            await asyncio.sleep(0.1)     # waiting for the board's own refresh (run_every)
        return list(teacher.refreshes)
    finally:
        await asyncio.gather(teacher.close(), student.close())


def test_a_teacher_makes_a_class_and_a_student_joins_it_through_the_pages(tmp_path):
    env = classroom.fresh_env(str(tmp_path), "class")
    with streamlit_server(env=env) as url:
        refreshes = _run(_a_class_of_one(url))
    room = Classroom(env["CNN_LAB_DATABASE"])
    try:
        info = room.class_by_code(classroom.CLASS_CODE)
        assert info is not None and info.name == "Room 7"
        assert [p.nickname for p in room.students(info.id)] == ["Ada <b>"]
    finally:
        room.close()
    assert refreshes and all(seconds > 0 for seconds in refreshes)


async def _a_stroke(url) -> tuple[classroom.Student, float]:
    statics = classroom.Statics()
    statics.learn_from_index(url)
    student = classroom.Student(url, statics)
    try:
        await student.open("draw")
        return student, await student.stroke(5)
    finally:
        await student.close()


def test_a_stroke_is_answered_and_the_pad_hears_which_picture_python_took_up(tmp_path):
    """The client's stroke keeps the pad's pace (draw_pad.js): on a quiet server every picture goes while the
    pen moves, and each run's pad data names the picture Python took up, the last one at the end."""
    env = classroom.fresh_env(str(tmp_path), "class")
    with streamlit_server(env=env) as url:
        student, seconds = _run(_a_stroke(url))
    assert seconds > 0
    assert student.seq >= 2                             # more than the lift's picture went
    assert student.taken == student.seq                 # Python's runs told the pad
    assert 0 < student.quickest <= student.lag < 60
