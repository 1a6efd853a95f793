"""Live training curves that cost a watcher almost nothing: the browser keeps the points it has, and each
refresh sends only the new ones (a run's whole history is re-sent only when the chart is new to the page).

Loss on the left axis, accuracy (0-1) on the right, per batch for training and per epoch for validation,
drawn on a canvas by a Components v2 view; hovering shows the values under the pointer.
"""

from __future__ import annotations

import streamlit as st

from pages.views.assets import component
from pages.views.language import tr

_curves = component("cnn_lab_curves", "curves")


def _sent() -> dict[str, int]:
    return st.session_state.setdefault("curves_sent", {})


def forget() -> None:
    """Call on every full run of the page: the chart may be new to the browser, so send whole histories."""
    st.session_state.curves_sent = {}


def _resync() -> None:
    run = (st.session_state.get("train_curves") or {}).get("resync")
    _sent().pop(run, None)


def live_curves(job) -> None:
    """The curves of a Job (cnn.job_queue), sending the browser only the points it does not have yet."""
    sent = _sent()
    start = sent.get(job.id, 0)
    total, points = job.curve_since(start)
    if total < start:        # a run taken up again after its worker died drops its unfinished epoch's points
        start = 0
        total, points = job.curve_since(0)
    sent[job.id] = total
    labels = {k: tr(f"train.curve.{k}") for k in ("train_loss", "train_acc", "val_loss", "val_acc", "epoch", "loss",
                                                 "accuracy")}
    _curves(key="train_curves", data={"run": job.id, "start": start, "points": [list(p) for p in points],
                                      "epochs": job.snapshot().epochs, "labels": labels,
                                      "planned": job.epochs_planned},
            on_resync_change=_resync)
