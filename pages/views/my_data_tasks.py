"""A long import (a zip of 10,000 pictures takes seconds) runs in a thread of the server's own, never in the
script: the page stays usable, a progress bar follows it, and a student may stop it. The thread only writes
into its Task (plain numbers and the result); a fragment of the page reads it, in the session's language."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from cnn import images, my_data
from pages.views import background, controls, errors
from pages.views.language import tr
from pages.views.my_data_sets import CURRENT, error_text, flash, report_text

TASK = "my_data_task"


class _Stopped(Exception):
    pass


@dataclass
class Task:
    done: int = 0
    total: int = 0
    finished: bool = False
    report: my_data.ImportReport | None = None
    made: str | None = None              # the id of a set an import made
    error: Exception | None = None       # a refusal (MyDataError, ImageError) to say
    failed: bool = False                 # something unexpected (logged on the server)
    stop: threading.Event = field(default_factory=threading.Event)

    def moved(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        background.stop_point()
        if self.stop.is_set():
            raise _Stopped


def running() -> bool:
    task = st.session_state.get(TASK)
    return task is not None and not task.finished


def start(work: Callable, *args, **kwargs) -> None:
    """Run `work(*args, progress=..., **kwargs)` (my_data.import_zip, add_zip, add_pictures) in a thread."""
    task = Task()
    st.session_state[TASK] = task
    background.start(_run, task, work, args, kwargs, name="my-data-import")


def _run(task: Task, work: Callable, args: tuple, kwargs: dict) -> None:
    try:
        result = work(*args, progress=task.moved, **kwargs)
        if isinstance(result, tuple):            # import_zip: (the new set, its report)
            task.made, task.report = result[0].id, result[1]
        else:
            task.report = result
    except (my_data.MyDataError, images.ImageError) as exc:
        task.error = exc
    except (_Stopped, background.Stopping):
        pass
    except Exception as exc:                     # never a traceback for the student; the log has it
        errors.log.error("My data import failed", exc_info=exc)
        task.failed = True
    finally:
        task.finished = True


def _stop() -> None:
    task = st.session_state.get(TASK)
    if task is not None:
        task.stop.set()


def watch() -> None:
    """The import under way (its progress and a Stop button), then what it gave."""
    task = st.session_state.get(TASK)
    if task is None:
        return

    @errors.fragment(run_every=None if task.finished else 0.5)
    def progress() -> None:
        current = st.session_state.get(TASK)
        if current is None:
            return
        if not current.finished:
            share = current.done / current.total if current.total else 0.0
            left, right = st.columns([5, 1], vertical_alignment="center")
            left.progress(min(1.0, share), text=tr("my_data.progress", percent=round(100 * share)))
            right.button(tr("my_data.progress.stop"), key="my_data_stop", on_click=errors.callback(_stop))
            return
        del st.session_state[TASK]
        if current.error is not None:
            flash("error", error_text(current.error))
        elif current.failed:
            flash("error", tr("error.unexpected"))
        elif current.report is None:
            flash("info", tr("my_data.progress.stopped"))
        else:
            if current.made:
                controls.put(CURRENT, current.made)
            flash(*report_text(current.report))
        st.rerun()

    progress()
