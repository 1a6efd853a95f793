"""What a student sees when something goes wrong that no page expected: a short message in their language,
never a traceback. The full trace goes to the server's log, where a developer (and the browser tests'
walker) finds it. `guard` wraps a page, `fragment` a fragment, `callback` a widget's on_change.

The class database out of reach (PostgreSQL stopped, a network cut) is no bug: the page says so instead, and
works again on its next run once the database is back (cnn.classroom reconnects by itself)."""

from __future__ import annotations

import functools
import logging
import sys

import streamlit as st

from cnn.classroom import Unavailable
from pages.views.language import tr

log = logging.getLogger("cnn_lab")
if not log.handlers:   # Streamlit configures only its own loggers: ours writes to the server's stderr
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def report(exc: BaseException, where: str = "") -> None:
    """Log the whole trace on the server; show the user what happened and what to do, in their language."""
    if isinstance(exc, Unavailable):
        database_unavailable(exc, where)
        return
    log.error("Unexpected error%s", f" in {where}" if where else "", exc_info=exc)
    st.error(tr("error.unexpected"), icon=":material/error:")


def database_unavailable(exc: Unavailable, where: str = "") -> None:
    """The class database cannot be reached: one line in the log, and the page says so."""
    log.warning("Class database unavailable%s: %s", f" in {where}" if where else "", exc)
    st.warning(tr("class.unavailable"), icon=":material/cloud_off:")


def guard(func):
    """Run `func`; an unexpected exception becomes report(). st.stop() and st.rerun() pass through
    (they are BaseExceptions, not Exceptions)."""
    @functools.wraps(func)
    def guarded(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            report(exc, getattr(func, "__qualname__", ""))
            return None
    return guarded


def fragment(func=None, *, run_every=None, key: str | None = None):
    """st.fragment, guarded: a fragment's own reruns happen outside the page's guard. A `key` lets a widget
    callback elsewhere rerun this fragment alone (st.rerun(key))."""
    if func is None:
        return lambda f: fragment(f, run_every=run_every, key=key)
    return st.fragment(guard(func), run_every=run_every, key=key)


def callback(func):
    """A widget callback, guarded: callbacks run before the page script, outside its guard."""
    return guard(func)
