"""Every run this server knows: the jobs of this server (running, waiting, ended) as every session sees
them, and the run folders on disk (including interrupted and damaged ones) with what can be done to each.
"""

from __future__ import annotations

import streamlit as st

from cnn import classroom, job_queue, runs, viz
from pages.views import errors, identity, model_menu, text
from pages.views.errors import callback
from pages.views.language import tr

SHOWN = 12


def watched() -> str | None:
    """The run this session looks at: chosen on this page, else named in the link (?job=)."""
    return st.session_state.get("watch") or st.query_params.get("job")


def watch(run_id: str) -> None:
    st.session_state.watch = run_id
    st.query_params["job"] = run_id     # a reload, or a link sent to someone else, opens the same run


def _watch_from_board(run_id: str) -> None:
    watch(run_id)
    st.session_state.watch_changed = True   # the board is a fragment: it asks for the whole page


def state_text(job: job_queue.Job, manager) -> str:
    """Its state, its place in the queue, and while it trains, where (the device and the worker)."""
    position = manager.position(job)
    said = tr(f"train.state.{job.state}")
    if job.state in job_queue.STARTED and job.device:
        where = f"{job.device} ({job.worker})" if job.worker else job.device
        said += " · " + text.md(tr("train.trains_on", where=where))
    return said + (f" · {tr('train.queue', n=position)}" if position else "")


def reason_text(job) -> str:
    """Why a job ended as it did, in the user's language (the English message where no code is known)."""
    if job.reason is None:
        return job.message
    code, params = job.reason
    if code == "spec":
        from cnn import models
        from pages.views.network_editor import spec_error

        inner = dict(params)
        return spec_error(models.SpecError("", inner.pop("code", "invalid"), **inner))
    if code == "dataset":
        inner = dict(params)
        return tr(f"dataset_error.{inner.pop('code', 'missing')}", **inner)
    return tr(f"job_reason.{code}", **params)


def _progress(job: job_queue.Job) -> str:
    """How far it got, and, until it ends, how long it was expected to take in all ("45% · ≈ 40 s")."""
    p = job.progress
    if job.state in job_queue.DONE or p is None:
        done = f"{len(job.epochs)}/{job.epochs_planned}"
    else:
        done = f"{100 * ((p.epoch - 1) * p.steps + p.step) / (p.epochs * p.steps):.0f}%"
    if job.state in job_queue.DONE or job.estimate_s is None:
        return done
    from pages.views.network_editor import duration

    return f"{done} · {tr('train.board_estimate', time=duration(job.estimate_s))}"


def board(manager, me: str) -> None:
    """The jobs of this server, newest first: anyone sees them; the owner's are marked "yours". While any
    job is live it refreshes itself every two seconds, so runs others start appear without a click."""
    live = any(job.state not in job_queue.DONE for job in manager.jobs())

    @errors.fragment(run_every=2.0 if live else None)
    def refresh() -> None:
        if st.session_state.pop("watch_changed", False):
            st.rerun()      # the watched run is drawn outside this fragment: redraw the page
        _rows(manager, me)

    refresh()


def _rows(manager, me: str) -> None:
    all_jobs = manager.jobs()[:SHOWN]
    st.markdown(f"**{tr('train.board', n=len(manager.jobs()))}**")
    if not manager.reachable():
        st.error(tr("train.queue_down"), icon=":material/cloud_off:")
    else:
        machines = manager.workers()
        st.caption(tr("train.workers", n=len(machines)) + (" · " + text.md(", ".join(
            sorted({str(w.get("device")) for w in machines}))) if machines else "")
            if machines else tr("train.no_workers"))
    if not all_jobs:
        st.caption(tr("train.board_empty"))
        return
    current = watched()
    nicknames = identity.room().nicknames(job.owner for job in all_jobs)
    for job in all_jobs:
        row = st.container(key=f"job_{job.id}").columns([4, 3, 1.6, 1.6, 1.3], vertical_alignment="center")
        mark = "▶ " if job.id == current else ""
        row[0].markdown(f"{mark}**{text.md(job.name)}** · {text.md(text.dataset(job.dataset))} · "
                        f"{text.md(runs.short_id(job.id))}")
        row[1].markdown(state_text(job, manager))
        row[2].markdown(_progress(job))
        row[3].text(whose(job.owner, me, nicknames))
        row[4].button(tr("train.watch"), key=f"watch_{job.id}", on_click=callback(_watch_from_board), args=(job.id,),
                      disabled=job.id == current, width="stretch")


def whose(owner: str, me: str, nicknames: dict[str, str]) -> str:
    """Plain text (for st.text): "yours", the owner's nickname, or "someone else's"."""
    if owner and owner == me:
        return tr("train.yours") + (f" · {nicknames[me]}" if me in nicknames else "")
    return nicknames.get(owner) or tr("train.someone_else")


def _refused() -> None:
    st.session_state.run_notice = ("warning", tr("train.not_allowed"))


def _rename(manager, run_id: str, me: str) -> None:
    try:
        classroom.rename_run(identity.room(), run_id, st.session_state.get(f"name_{run_id}", ""), me, manager)
    except classroom.NotAllowed:
        _refused()


def _delete(manager, run_id: str, me: str) -> None:
    try:
        classroom.delete_run(identity.room(), run_id, me, manager)
    except classroom.NotAllowed:
        _refused()
        return
    except RuntimeError:
        st.session_state.run_notice = ("warning", tr("train.delete_busy"))
        return
    if st.session_state.get("watch") == run_id:
        st.session_state.watch = None
    if st.session_state.get("current_model") == run_id:
        model_menu.choose(model_menu.SHIPPED)


def _resume(manager, run_id: str, me: str) -> None:
    try:
        classroom.resume_run(identity.room(), manager, run_id, me)
    except classroom.NotAllowed:
        _refused()
        return
    except job_queue.QueueFull:
        st.session_state.run_notice = ("warning", tr("train.queue_full"))
        return
    except job_queue.QueueUnavailable:
        st.session_state.run_notice = ("error", tr("train.queue_down"))
        return
    except ValueError as exc:
        st.session_state.run_notice = ("error", str(exc))
        return
    watch(run_id)


def saved_runs(manager, me: str) -> None:
    """The run folders on disk: open, rename, delete, resume an interrupted one, use one as the model.
    A damaged folder is listed with its problem and can only be deleted."""
    notice = st.session_state.pop("run_notice", None)
    if notice:
        getattr(st, notice[0])(notice[1])
    listed = runs.list_runs()
    if not listed:
        st.caption(tr("train.no_saved_runs"))
        return
    live = {job.id for job in manager.jobs() if job.state not in job_queue.DONE}
    owners = {run.id: runs.read_owner(run.path) for run in listed[:40]}
    nicknames = identity.room().nicknames(owners.values())
    for run in listed[:40]:
        mine = identity.may_manage(owners[run.id])   # the one rule: the owner, or the owner's teacher
        row = st.container(key=f"run_{run.id}").columns([4, 2.4, 1.2, 1.2, 1.2, 1.2], vertical_alignment="center")
        # A damaged run says so, not "finished · 92.50%": its status and accuracy are what it claimed.
        status = "damaged" if run.problem else run.status
        facts = [runs.short_id(run.id), text.dataset(run.dataset) if run.dataset else "",
                 tr(f"train.state.{status}") if f"train.state.{status}" in _known_states() else status,
                 tr("train.epochs_done", done=len(run.epochs), planned=run.epochs_planned or "?")]
        if run.test_accuracy is not None and not run.problem:
            facts.append(viz.accuracy_text(run.test_accuracy))
        row[0].markdown(" · ".join(text.md(f) for f in facts if f))
        if owners[run.id]:
            row[0].text(whose(owners[run.id], me, nicknames))
        if run.problem:
            row[1].warning(tr("train.damaged", problem=text.md(model_menu.problem_text(run))),
                           icon=":material/warning:")
        elif mine:
            row[1].text_input(tr("train.rename"), value=run.name, key=f"name_{run.id}", label_visibility="collapsed",
                              on_change=callback(_rename), args=(manager, run.id, me), max_chars=80)
        else:
            row[1].text(run.name)
        busy = run.id in live or run.status in runs.LIVE
        if not run.problem:
            row[2].button(tr("train.watch"), key=f"open_{run.id}", on_click=callback(watch), args=(run.id,),
                          width="stretch")
        if run.resumable and not busy and mine:
            row[3].button(tr("train.resume_run"), key=f"resume_{run.id}", on_click=callback(_resume),
                          args=(manager, run.id, me), width="stretch", type="primary")
        if run.problem is None and run.has_model:
            row[4].button(tr("train.use_short"), key=f"use_{run.id}", on_click=callback(model_menu.choose),
                          args=(run.id,), width="stretch")
        if mine:
            row[5].button(tr("train.delete"), key=f"delete_{run.id}", on_click=callback(_delete),
                          args=(manager, run.id, me), disabled=busy, width="stretch")


def _known_states() -> set[str]:
    return {f"train.state.{s}" for s in (*job_queue.DONE, job_queue.QUEUED, *job_queue.STARTED, runs.INTERRUPTED,
                                         "damaged")}
