"""What one server shares between all its sessions: the training queue, data sets, the warm-up. Each is
created once per server and is either read-only or locked inside (cnn.job_queue), never per-session state."""

from __future__ import annotations

import threading
import time

import streamlit as st

from cnn import runs
from pages.views import background


@st.cache_resource(show_spinner=False)
def _job_manager(root: str):
    from cnn.job_queue import JobManager

    return JobManager(runs_root=root)


def job_manager():
    """The training queue as this server sees it (one per runs folder, so a test's temporary folder gets its
    own), with this server's own worker unless $CNN_LAB_LOCAL_WORKERS says 0."""
    return _job_manager(str(runs.default_root()))


@st.cache_resource(max_entries=8, show_spinner=False)
def _test_split(name: str, version: tuple):
    from cnn import data

    return data.load_dataset(name, split="test")


def test_split(name: str):
    """A data set's test split, for galleries and the confusion matrix (loaded once per server; an own set's
    again whenever it has changed, as its description's version and split sizes say)."""
    from cnn import datasets

    info = datasets.find(name)
    version = (info.version, tuple(sorted(info.splits.items()))) if info is not None and info.own else ()
    return _test_split(name, version)


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Once per server, in the background: start the training worker (it loads the default data) and load
    torch, the sample digits and the shipped model, so no first visit waits for them."""
    def work():
        try:
            steps()
        except background.Stopping:
            pass

    def steps():
        started = time.monotonic()
        # The training worker first, alone, and any run started meanwhile until it shows progress: on 2 cores
        # (and under one GIL) the imports and first calls below would slow a student's first Start.
        from cnn import job_queue

        manager = job_manager()
        manager.wait_ready(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
                job.state in (job_queue.QUEUED, job_queue.PREPARING)
                or (job.state == job_queue.RUNNING and job.progress is None) for job in manager.jobs()):
            background.stop_point()
            time.sleep(0.1)
        from cnn import data

        background.stop_point()
        data.sample_digits()
        data._mnist_5k()
        from pages.views.model_menu import SHIPPED, load_model

        background.stop_point()
        model, spec, _ = load_model(SHIPPED)
        # The first look inside pays for Captum's import and each explanation's first call: pay it here.
        import plotly.graph_objects  # noqa: F401

        from cnn import inspect

        x = data.sample_digits().images[0] / 255.0
        background.stop_point()
        inspect.trace(model, spec, x)
        background.stop_point()
        inspect.saliency(model, spec, x, 0)
        background.stop_point()
        inspect.occlusion(model, spec, x, 0)
        # What is loaded now lives as long as the server: keep it out of every later garbage collection,
        # whose full passes over torch's and Streamlit's objects would otherwise pause the server.
        import gc

        gc.collect()
        gc.freeze()
        from pages.views.errors import log

        log.info("warm-up finished in %.1f s", time.monotonic() - started)   # benchmarks wait for this line

    return background.start(work, name="cnn-lab-warm-up")
