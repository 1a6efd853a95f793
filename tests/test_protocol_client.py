"""bench/classroom.py's protocol-level student, kept working: against a real server, one student opens the Lab
(the page completes: its first run finished with the maps drawn) and changes the stride (Python answers with
maps drawn at the new stride). Not a timed test: the times are only checked to have been measured."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent   # (not from conftest: tests/e2e has a conftest of its own)
sys.path.insert(0, str(ROOT / "bench"))

import classroom  # noqa: E402  (bench/ is not a package)
from harness import streamlit_server  # noqa: E402  (classroom put tests/e2e on the path)


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
