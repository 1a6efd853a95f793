"""The teacher's view of a class: live (a fragment that refreshes every few seconds) the grid of students ×
exercises, each lesson's progress, who trains what and the queue, each student's best run; then assign,
limits and exports. Everything students typed (nicknames, run names) goes into tables as text."""

from __future__ import annotations

import csv
import functools
import io
from urllib.parse import urlparse

import pandas as pd
import streamlit as st

from cnn import classroom, job_queue, lessons, runs, viz
from pages import registry
from pages.views import errors, identity, projector
from pages.views.errors import callback
from pages.views.language import tr
from pages.views.text import say

REFRESH_S = 3.0
SOLVED, NOT_YET = "✓", "·"


def pick_class(taught: list[classroom.ClassInfo]) -> classroom.ClassInfo:
    if len(taught) == 1:
        return taught[0]
    by_id = {c.id: c for c in taught}
    chosen = st.selectbox(tr("class.pick"), list(by_id), format_func=lambda i: f"{by_id[i].name} · {by_id[i].code}",
                          key="class_chosen")
    return by_id[chosen]


def header(info: classroom.ClassInfo) -> None:
    say(tr("class.view.title"), tag="h3", name=info.name)
    say(tr("class.view.code"), code=info.code)


def toggle_projector() -> None:
    projector.set_on(st.session_state.projector_toggle)


def _exercises() -> list[tuple[int, str]]:
    return [(n, item.id) for n, items in lessons.LESSONS.items() for item in items]


def _cell(cell: dict | None) -> str:
    if cell is None:
        return NOT_YET
    return SOLVED if cell["solved"] else f"×{cell['attempts']}"


def grid_table(room: classroom.Classroom, class_id: int) -> pd.DataFrame:
    """One row per student (by nickname), one column per exercise: ✓ solved, ×n tried n times, · not yet."""
    students = room.students(class_id)
    progress = room.progress(class_id)
    columns = [exercise for _, exercise in _exercises()]
    rows = [[_cell(progress.get(s.token, {}).get(e)) for e in columns] for s in students]
    index = pd.Index([s.nickname for s in students], name=tr("class.nickname"))
    return pd.DataFrame(rows, columns=columns, index=index)


def _live_runs(room: classroom.Classroom, manager, class_id: int):
    """The class's runs this server knows as jobs, newest first, with the owner's nickname."""
    names = {s.token: s.nickname for s in room.students(class_id)}
    return [(job, names[job.owner]) for job in manager.jobs() if job.owner in names]


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _run_rows(room: classroom.Classroom, class_id: int) -> list[dict]:
    """Every run the class's students started that still has a folder: who, what, how it ended."""
    names = {s.token: s.nickname for s in room.students(class_id)}
    rows = []
    for run_id, token in room.class_runs(class_id):
        try:
            run = runs.read_run(runs.run_dir(run_id))
        except ValueError:
            continue
        if not run.path.exists():
            continue
        accuracy = run.test_accuracy
        if accuracy is None and run.epochs:
            accuracy = run.epochs[-1].get("val_accuracy")
        rows.append({"token": token, "nickname": names.get(token, ""), "id": run.id, "name": run.name,
                     "dataset": run.dataset or "", "network": run.model or "", "status": run.status,
                     "epochs": len(run.epochs), "accuracy": accuracy, "problem": run.problem,
                     "seconds": sum(e.get("seconds", 0.0) for e in run.epochs) or None})
    return rows


def live(room: classroom.Classroom, manager, class_id: int) -> None:
    @errors.fragment(run_every=REFRESH_S)
    def refresh() -> None:
        _grid(room, class_id)
        lessons_col, training_col = st.columns([2, 3], gap="large")
        with lessons_col:
            _lesson_progress(room, class_id)
        with training_col:
            _training(room, manager, class_id)
        _best_runs(room, class_id)

    refresh()


def _grid(room: classroom.Classroom, class_id: int) -> None:
    table = grid_table(room, class_id)
    st.markdown(f"**{tr('class.grid.title', n=len(table))}**")
    if table.empty:
        st.info(tr("class.grid.empty"))
        return
    st.dataframe(table, width="stretch", key="class_grid")
    st.caption(tr("class.grid.legend"))   # shown always: the projector's audience needs it too


def _lesson_progress(room: classroom.Classroom, class_id: int) -> None:
    st.markdown(f"**{tr('class.lessons.title')}**")
    students = room.students(class_id)
    progress, seen = room.progress(class_id), room.lesson_visits(class_id)
    for n, items in lessons.LESSONS.items():
        cells = len(students) * len(items)
        solved = sum(1 for s in students for item in items if progress.get(s.token, {}).get(item.id, {}).get("solved"))
        visited = sum(1 for s in students if n in seen.get(s.token, set()))
        st.progress(solved / cells if cells else 0.0,
                    text=tr("class.lessons.row", n=n, title=tr(f"lesson.{n}.title"), solved=solved, cells=cells,
                            visited=visited, students=len(students)))


def _training(room: classroom.Classroom, manager, class_id: int) -> None:
    st.markdown(f"**{tr('class.training.title')}**")
    waiting = sum(1 for job in manager.jobs() if job.state == job_queue.QUEUED)
    st.caption(tr("class.training.queue", n=waiting))
    live_runs = [(job, name) for job, name in _live_runs(room, manager, class_id) if job.state not in job_queue.DONE]
    if not live_runs:
        st.caption(tr("class.training.none"))
        return
    for job, nickname in live_runs[:30]:
        row = st.columns([3, 3, 1.2, 1.2], vertical_alignment="center")
        position = manager.position(job)
        state = tr(f"train.state.{job.state}") + (f" · {tr('train.queue', n=position)}" if position else "")
        p = job.progress
        if p is not None and job.state in (job_queue.RUNNING, job_queue.PAUSED):
            state += f" · {100 * ((p.epoch - 1) * p.steps + p.step) / (p.epochs * p.steps):.0f}%"
        row[0].text(f"{nickname} · {job.name}")
        row[1].markdown(state)
        if job.state == job_queue.RUNNING:
            row[2].button(tr("train.pause"), key=f"class_pause_{job.id}", on_click=callback(_act),
                          args=(room, manager, classroom.pause_run, job), width="stretch")
        elif job.state == job_queue.PAUSED:
            row[2].button(tr("train.resume"), key=f"class_unpause_{job.id}", on_click=callback(_act),
                          args=(room, manager, classroom.unpause_run, job), width="stretch")
        row[3].button(tr("train.stop"), key=f"class_stop_{job.id}", on_click=callback(_act),
                      args=(room, manager, classroom.stop_run, job), width="stretch")


def _act(room: classroom.Classroom, manager, handler, job) -> None:
    try:
        handler(room, manager, job, identity.me())
    except classroom.NotAllowed:
        st.session_state.class_run_notice = tr("train.not_allowed")


def _delete(room: classroom.Classroom, manager, run_id: str) -> None:
    try:
        classroom.delete_run(room, run_id, identity.me(), manager)
    except classroom.NotAllowed:
        st.session_state.class_run_notice = tr("train.not_allowed")
    except RuntimeError:
        st.session_state.class_run_notice = tr("train.delete_busy")


def _best_runs(room: classroom.Classroom, class_id: int) -> None:
    st.markdown(f"**{tr('class.best.title')}**")
    best: dict[str, dict] = {}
    for row in _run_rows(room, class_id):
        if row["problem"] is None and row["accuracy"] is not None and (
                row["token"] not in best or row["accuracy"] > best[row["token"]]["accuracy"]):
            best[row["token"]] = row
    if not best:
        st.caption(tr("class.best.none"))
        return
    table = pd.DataFrame([{tr("class.nickname"): r["nickname"], tr("class.best.run"): r["name"],
                           tr("class.best.accuracy"): viz.accuracy_text(r['accuracy']),
                           tr("class.best.network"): r["network"], tr("class.best.time"): _clock(r["seconds"])}
                          for r in sorted(best.values(), key=lambda r: -r["accuracy"])])
    st.dataframe(table, hide_index=True, width="stretch", key="class_best")


# ---------------------------------------------------------------- what the teacher sets


def assignment_target(choice: str, link: str) -> str | None:
    """The assignment to store: "" -> None, "lesson:<n>", or a Lab (any page's) link as "link:<page>?<query>"."""
    if choice != "link":
        return choice or None
    parsed = urlparse(link.strip())
    page = parsed.path.strip("/").split("/")[-1] or registry.HOME.url
    if page not in registry.BY_URL:
        raise classroom.ClassroomError("Not a CNN Lab page.", "assignment_bad")
    query = "&".join(p for p in parsed.query.split("&") if p and not p.startswith(("lang=", "projector=")))
    return f"link:{page}" + (f"?{query}" if query else "")


def _assign(room: classroom.Classroom, class_id: int) -> None:
    try:
        room.assign(class_id, assignment_target(st.session_state.get("assign_choice", ""),
                                                st.session_state.get("assign_link", "")))
    except classroom.ClassroomError as exc:
        st.session_state.assign_notice = tr(f"class.error.{exc.code}", **exc.params)


def assign(room: classroom.Classroom, info: classroom.ClassInfo) -> None:
    st.markdown(f"**{tr('class.assign.title')}**")
    options = ["", *(f"lesson:{n}" for n in lessons.LESSONS), "link"]
    labels = {"": tr("class.assign.nothing"), "link": tr("class.assign.link"),
              **{f"lesson:{n}": tr("class.assign.lesson", n=n, title=tr(f"lesson.{n}.title")) for n in lessons.LESSONS}}
    current = info.assignment or ""
    st.session_state.setdefault("assign_choice", current if current in options else ("link" if current else ""))
    st.selectbox(tr("class.assign.pick"), options, format_func=labels.get, key="assign_choice")
    if st.session_state.assign_choice == "link":
        st.text_input(tr("class.assign.link_field"), key="assign_link", placeholder="http://…/lab?stride=2",
                      help=tr("class.assign.link_help"))
    st.button(tr("class.assign.button"), on_click=callback(_assign), args=(room, info.id), type="primary",
              key="assign_button")
    notice = st.session_state.pop("assign_notice", None)
    if notice:
        st.error(notice)
    st.caption(tr("class.assign.now", what=describe_assignment(info.assignment)) if info.assignment
               else tr("class.assign.none"))


def describe_assignment(target: str | None) -> str:
    """An assignment in the reader's words (built from our catalog and page names only)."""
    if not target:
        return ""
    if target.startswith("lesson:"):
        n = int(target.split(":")[1])
        return tr("class.assign.lesson", n=n, title=tr(f"lesson.{n}.title")) if n in lessons.LESSONS else target
    page = target.removeprefix("link:").split("?")[0]
    return tr(f"nav.{registry.BY_URL[page].key}") if page in registry.BY_URL else page


def _limits(room: classroom.Classroom, class_id: int) -> None:
    epochs = int(st.session_state.get("limit_epochs") or 0)
    seconds = int(st.session_state.get("limit_seconds") or 0)
    try:
        room.set_limits(class_id, epochs or None, seconds or None)
    except classroom.ClassroomError as exc:
        st.session_state.limit_notice = tr(f"class.error.{exc.code}", **exc.params)


def limits(room: classroom.Classroom, info: classroom.ClassInfo) -> None:
    st.markdown(f"**{tr('class.limits.title')}**")
    st.caption(tr("class.limits.help"))
    row = st.columns(2)
    row[0].number_input(tr("class.limits.epochs"), min_value=0, max_value=classroom.LIMITS["max_epochs"][1],
                        value=info.max_epochs or 0, step=1, key="limit_epochs")
    row[1].number_input(tr("class.limits.seconds"), min_value=0, max_value=classroom.LIMITS["max_seconds"][1],
                        value=info.max_seconds or 0, step=30, key="limit_seconds")
    st.button(tr("class.limits.button"), on_click=callback(_limits), args=(room, info.id), key="limits_button")
    notice = st.session_state.pop("limit_notice", None)
    if notice:
        st.error(notice)
    st.caption(tr("class.limits.now", epochs=info.max_epochs or "—", seconds=info.max_seconds or "—"))


def runs_csv(room: classroom.Classroom, class_id: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["nickname", "run", "name", "dataset", "network", "status", "epochs", "accuracy", "seconds"])
    for r in _run_rows(room, class_id):
        writer.writerow([classroom._csv_text(r["nickname"]), r["id"], classroom._csv_text(r["name"]), r["dataset"],
                         r["network"], r["status"], r["epochs"],
                         "" if r["accuracy"] is None else f"{r['accuracy']:.4f}",
                         "" if r["seconds"] is None else f"{r['seconds']:.1f}"])
    return out.getvalue()


def exports(room: classroom.Classroom, manager, info: classroom.ClassInfo) -> None:
    """The CSV downloads, and every run of the class with Delete (the teacher may delete any of them)."""
    row = st.columns([1, 1, 2])
    # Made when clicked (deferred), so the file holds the class as it is then, not as the page last ran.
    row[0].download_button(tr("class.export.progress"), functools.partial(room.export_csv, info.id, _exercises()),
                           file_name=f"class-{info.code}-progress.csv", mime="text/csv", width="stretch",
                           on_click="ignore")
    row[1].download_button(tr("class.export.runs"), functools.partial(runs_csv, room, info.id),
                           file_name=f"class-{info.code}-runs.csv", mime="text/csv", width="stretch", on_click="ignore")
    rows = _run_rows(room, info.id)
    with st.expander(tr("class.runs.title", n=len(rows))):
        notice = st.session_state.pop("class_run_notice", None)
        if notice:
            st.warning(notice)
        live = {job.id for job in manager.jobs() if job.state not in job_queue.DONE}
        for r in rows[:60]:
            line = st.columns([5, 1.2], vertical_alignment="center")
            accuracy = "" if r["accuracy"] is None else " · " + viz.accuracy_text(r["accuracy"])
            line[0].text(f"{r['nickname']} · {r['name']} · {r['id'][:15]}{accuracy}")
            line[1].button(tr("train.delete"), key=f"class_delete_{r['id']}", on_click=callback(_delete),
                           args=(room, manager, r["id"]), disabled=r["id"] in live or r["status"] in runs.LIVE,
                           width="stretch")
