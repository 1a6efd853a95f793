"""Work the server does in threads of its own (the warm-up, the filter search), and a clean exit.

A daemon thread that is inside torch's C++ code when Python exits makes the whole process abort
("terminate called without an active exception", exit status 134): its thread pool is torn down under it.
So every such thread starts here, checks `stop_point()` between its steps, and the interpreter waits at
exit until each has finished the step it was in."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable

from streamlit.runtime.scriptrunner import add_script_run_ctx

_stopping = threading.Event()
_threads: list[threading.Thread] = []
_lock = threading.Lock()


class Stopping(Exception):
    """Raised by stop_point() once the interpreter is exiting: the thread ends at its next step."""


def start(target: Callable[..., None], *args, name: str) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    add_script_run_ctx(thread)   # the caches these threads fill are Streamlit's, which want a script context
    with _lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()
    return thread


def stop_point() -> None:
    if _stopping.is_set():
        raise Stopping


@atexit.register   # atexit runs after Python has joined its non-daemon threads, before it tears torch down
def _finish() -> None:
    _stopping.set()
    with _lock:
        threads = list(_threads)
    for thread in threads:
        thread.join(timeout=120)
