"""One run, watched: live while it trains (a fragment that refreshes every second and sends only what
changed), then its results: test accuracy, confusion matrix with its images, the worst mistakes,
downloads and "Use this model". Anyone may watch; only the owner sees Pause and Stop.
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from cnn import classroom, data, job_queue, models, runs, viz
from pages.views import errors, identity, legend, model_menu, picking, text
from pages.views.curves import live_curves
from pages.views.job_board import reason_text, state_text
from pages.views.language import tr
from pages.views.shared import test_split

SLOW_DOWN_AFTER_S = 2.0   # seconds of progress on screen before the page polls once a second again


def _filters_png(job: job_queue.Job) -> bytes | None:
    """The first layer's kernels as a picture, made again only when the worker sent new ones."""
    snap_filters = job.filters
    if snap_filters is None:
        return None
    cache = st.session_state.setdefault("filters_png", {})
    mark = (job.id, id(snap_filters))
    if cache.get("mark") != mark:
        cache.update(mark=mark, png=viz.filters_png(snap_filters))
    return cache["png"]


def _act(handler, manager, job: job_queue.Job) -> None:
    """Pause, resume or stop, through cnn.classroom's handlers (which ask the one ownership rule)."""
    try:
        handler(identity.room(), manager, job, identity.me())
    except classroom.NotAllowed:
        st.session_state.run_notice = ("warning", tr("train.not_allowed"))
    except job_queue.QueueUnavailable:
        st.session_state.run_notice = ("error", tr("train.queue_down"))


def _behind(manager, job: job_queue.Job) -> bool:
    """Queued with another run before it: not next, or next while another run holds the worker."""
    if job.state != job_queue.QUEUED:
        return False
    position = manager.position(job)
    if position is None:
        return False
    return position > 1 or any(j.state in job_queue.STARTED for j in manager.jobs() if j.id != job.id)


def live(manager, job: job_queue.Job, me: str) -> None:
    """The watched job while it is queued or trains; reruns the whole page once, when it ends."""
    active = job.state not in job_queue.DONE
    # Until the first progress, look 4 times a second: Start should answer as soon as the worker does.
    # Once progress has been on screen a while, the whole page reruns once to poll once a second. A run
    # behind others in the queue polls once a second too (ten waiting runs watched 4 times a second cost
    # the server half a core), and the page reruns to look faster once its turn comes.
    waiting = active and job.progress is None
    behind = waiting and _behind(manager, job)

    @errors.fragment(run_every=(0.25 if waiting and not behind else 1.0) if active else None)
    def refresh() -> None:
        snap = job.snapshot()
        if snap.state in job_queue.DONE and st.session_state.get("shown_done") != snap.id:
            st.session_state.shown_done = snap.id
            st.rerun()   # once: the whole page redraws with the results and stops polling
        if behind and not _behind(manager, job):
            st.rerun()   # its turn: poll 4 times a second until its first progress
        if waiting and snap.progress is not None:
            first_seen = st.session_state.setdefault("progress_seen", {}).setdefault(snap.id, time.monotonic())
            if time.monotonic() - first_seen > SLOW_DOWN_AFTER_S:
                st.rerun()
        head = st.columns([4, 1, 1], vertical_alignment="center")
        head[0].markdown(f"**{text.md(snap.name)}** · {text.md(text.dataset(snap.dataset))} · "
                         f"{state_text(snap, manager)}")
        if identity.may_manage(job.owner):   # the one rule: the owner, or the owner's teacher
            if snap.state == job_queue.RUNNING:
                head[1].button(tr("train.pause"), on_click=errors.callback(_act),
                               args=(classroom.pause_run, manager, job), width="stretch")
            elif snap.state == job_queue.PAUSED:
                head[1].button(tr("train.resume"), on_click=errors.callback(_act),
                               args=(classroom.unpause_run, manager, job), width="stretch")
            if snap.state not in job_queue.DONE:
                head[2].button(tr("train.stop"), on_click=errors.callback(_act),
                               args=(classroom.stop_run, manager, job), width="stretch")
        elif snap.state not in job_queue.DONE:
            head[1].caption(tr("train.not_yours"))
        if snap.state in (job_queue.QUEUED, job_queue.PREPARING) and snap.progress is None:
            st.info(tr("train.preparing") if snap.state == job_queue.PREPARING or not manager.position(job)
                    else tr("train.waiting", n=manager.position(job)), icon=":material/hourglass_top:")
        if snap.state in job_queue.DONE and (snap.message or snap.reason):
            (st.error if snap.state == job_queue.FAILED else st.info)(reason_text(snap))
        p = snap.progress
        if p is not None:
            done = ((p.epoch - 1) * p.steps + p.step) / (p.epochs * p.steps)
            eta = f"{int(p.eta_s // 60)}:{int(p.eta_s % 60):02d}"
            st.progress(min(done, 1.0), text=tr("train.progress", epoch=p.epoch, epochs=p.epochs, step=p.step,
                                                 steps=p.steps, rate=f"{p.images_per_s:,.0f}", eta=eta))
        charts, kernels = st.columns([3, 2])
        with charts:
            live_curves(job)
        picture = _filters_png(snap)
        if picture is not None:
            kernels.markdown(f"**{tr('train.filters', n=snap.filters.shape[0])}**")
            kernels.image(picture, width="stretch")
            legend.colour_bar("diverging", tr("legend.minus_max"), tr("legend.plus_max"), tr("legend.each_map"), "0",
                              where=kernels)

    refresh()


# ---------------------------------------------------------------- after the run


def _picture(dataset, i: int) -> np.ndarray:
    """One image of a split, enlarged 3x: gray (H, W) or, from a colour set, (H, W, 3)."""
    picture = dataset.images[int(i)].numpy()
    if picture.shape[0] == 3:
        return np.kron(picture.transpose(1, 2, 0), np.ones((3, 3, 1), dtype=np.uint8))
    return np.kron(picture[0], np.ones((3, 3), dtype=np.uint8))


def _gallery(dataset, indices, captions, per_row: int = 8) -> None:
    for start in range(0, len(indices), per_row):
        row = st.columns(per_row)
        for column, i, caption in zip(row, indices[start:start + per_row], captions[start:start + per_row]):
            column.image(_picture(dataset, i), caption=caption, width="stretch")


def run_classes(run_id: str) -> list[str] | None:
    """The class names a run's model was trained with (its model.json), or None where it has none."""
    try:
        classes = models.read_sidecar(runs.run_dir(run_id) / "model")["spec"]["classes"]
    except (ValueError, KeyError, TypeError, OSError, models.ModelFileError):
        return None
    return [str(c) for c in classes] if isinstance(classes, list) else None


def results(run_id: str, name: str, dataset_name: str, report: dict) -> None:
    """Test accuracy, the confusion matrix (click a cell: its images), the most confident mistakes. The classes
    are named as the run's model names them (an own set's, as its owner typed them)."""
    from pages.views.sources import dataset_error

    confusion = np.array(report["confusion"])
    try:
        test = test_split(dataset_name)
        missing = None
    except (data.DatasetUnavailable, ValueError) as exc:     # an own set deleted since: the numbers remain
        test = None
        missing = dataset_error(exc) if isinstance(exc, data.DatasetUnavailable) else text.md(str(exc))
    classes = run_classes(run_id)
    if classes is None or len(classes) != len(confusion):
        classes = test.classes if test is not None else [str(k) for k in range(len(confusion))]
    st.subheader(tr("train.results"))
    st.metric(tr("train.test_accuracy"), viz.accuracy_text(report['accuracy']))
    matrix_col, detail_col = st.columns([1, 1])
    with matrix_col:
        st.markdown(f"**{tr('train.confusion')}**")
        st.caption(tr("train.confusion_help"))
        picking.chart(viz.confusion_figure(confusion, tr("train.confusion_hover"), [text.html_text(c) for c in classes],
                                           x_title=tr("train.confusion_answered"), y_title=tr("train.confusion_true"),
                                           count_title=tr("train.confusion_count")), "confusion_chart",
                      f"confusion_{run_id}", picking.row_col(len(classes)))
    predicted = np.array(report.get("predicted", []))
    # The images are those the run was tested on only while the set's test split is still the same size.
    same = test is not None and len(predicted) == len(test)
    with detail_col:
        cell = picking.picked(f"confusion_{run_id}")
        if missing is not None:
            st.warning(tr("sample.unavailable", reason=missing))
        elif cell is not None and same:
            true_class, predicted_class = cell
            labels = test.labels.numpy()
            chosen = np.nonzero((labels == true_class) & (predicted == predicted_class))[0][:24]
            title = tr("train.cell_images", true=text.md(classes[true_class]),
                       predicted=text.md(classes[predicted_class]), n=len(chosen))
            st.markdown(f"**{title}**")
            _gallery(test, list(chosen), [str(i) for i in chosen], per_row=6)
        else:
            st.info(tr("train.click_cell"))
    if same:
        st.markdown(f"**{tr('train.mistakes')}**")
        worst = report["mistakes"][:16]
        _gallery(test, worst, [f"{text.md(classes[int(test.labels[i])])} → {text.md(classes[predicted[i]])}"
                               for i in worst])


def downloads(run_id: str, name: str) -> None:
    folder = runs.run_dir(run_id)
    if not (folder / "model.safetensors").exists():
        return
    actions = st.columns(4)
    actions[0].download_button(tr("train.download_weights"), (folder / "model.safetensors").read_bytes(),
                               file_name=f"{run_id}.safetensors", width="stretch")
    actions[1].download_button(tr("train.download_json"), (folder / "model.json").read_bytes(),
                               file_name=f"{run_id}.json", width="stretch")
    try:
        code = models.to_pytorch_code(models.ModelSpec.from_dict(models.read_sidecar(folder / "model")["spec"]))
        actions[2].download_button(tr("train.download_code"), code, file_name=f"{name.replace('-', '_')}.py",
                                   width="stretch")
    except (models.SpecError, models.ModelFileError):
        pass
    # A callback, so the choice is made before the next run draws the sidebar's model menu.
    actions[3].button(tr("train.use"), type="primary", width="stretch", key=f"use_this_{run_id}",
                      on_click=errors.callback(model_menu.choose), args=(run_id,))
    if st.session_state.get("current_model") == run_id:
        st.success(tr("train.using", name=text.md(name)))


def saved_report(run_id: str) -> dict | None:
    """An ended run's test results from its folder (test.json), or None."""
    report = runs.read_json(runs.run_dir(run_id) / "test.json")
    return report if isinstance(report, dict) and {"accuracy", "confusion", "mistakes"} <= set(report) else None
