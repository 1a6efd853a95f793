"""Train: choose data and a network, start a run, watch it learn (any run on this server, anyone's), then
see what it got wrong."""

import streamlit as st

from cnn import cost, job_queue, runner, runs, viz
from pages.views import curves, identity, job_board, model_menu, network_editor, run_view, shared, text
from pages.views.language import tr
from pages.views.page import begin

begin("train", "nav.train")
manager = shared.job_manager()
me = identity.me()
limits = identity.room().class_limits(me)   # (max epochs, max estimated seconds) locked by the teacher, or None
limit_s = cost.DEFAULT_MAX_SECONDS           # the longest run this server trains; a class may lower it
if limits and limits[1]:
    limit_s = min(limit_s, limits[1])
curves.forget()   # a full run of the page: the chart may be new to this browser


setup, settings = st.columns([3, 2], gap="medium")
with setup.container(border=True):
    st.subheader(tr("train.setup"))
    dataset, spec, problem = network_editor.network()
with settings.container(border=True):
    st.subheader(tr("train.settings"))
    config = network_editor.settings(network_editor.train_images(dataset))
    start_from, freeze, refused = network_editor.start_from(spec)
    problem = problem or refused
    # A run that starts from the shipped model says so in its name: the comparison below tells the two apart.
    name = spec.name if not start_from else tr("train.name_frozen" if freeze else "train.name_shipped", name=spec.name)
    plan = runner.RunPlan(name, spec, config, dataset, start_from=start_from, freeze=freeze)
    if problem is None:     # the time it would take, beside Start, redone as the table and the settings change
        problem = network_editor.cost_line(manager.estimate(plan, limit_s))
    # Not a callback: a callback's arguments are the settings of the run before the click, and a student
    # who sets 30 epochs and clicks Start at once must get 30. This run already has the new values.
    if problem is None and limits and limits[0] and config.epochs > limits[0]:
        problem = tr("train.class_limit_epochs", n=limits[0])
        st.warning(problem)
    if st.button(tr("train.start"), type="primary", disabled=problem is not None, width="stretch"):
        try:
            # A teacher's run goes ahead of the students' waiting runs.
            job = manager.submit(plan, me, max_seconds=limit_s, priority=1 if identity.teaches() else 0)
        except job_queue.QueueFull:
            st.warning(tr("train.queue_full"), icon=":material/group:")
        except job_queue.QueueUnavailable:
            st.error(tr("train.queue_down"), icon=":material/cloud_off:")
        else:
            identity.room().record_run(job.id, me, job.name)
            job_board.watch(job.id)

with st.container(border=True):
    job_board.board(manager, me)

# ------------------------------------------------------------------ the watched run

watched = job_board.watched()
job = manager.get(watched)
if job is not None:
    run_view.live(manager, job, me)
    report = job.test if job.state in job_queue.DONE else None
    name, dataset_name = job.name, job.dataset
elif watched:
    try:
        folder_run = runs.read_run(runs.run_dir(watched))
    except ValueError:
        folder_run = None
    if folder_run is None or not folder_run.path.exists():
        st.info(tr("train.no_run"))
        report = None
    else:
        state = tr(f"train.state.{folder_run.status}") if folder_run.problem is None else \
            tr("train.damaged", problem=model_menu.problem_text(folder_run))
        st.markdown(" · ".join(text.md(part) for part in (folder_run.name, text.dataset(folder_run.dataset), state)))
        report = run_view.saved_report(watched) if folder_run.problem is None else None
        name, dataset_name = folder_run.name, folder_run.dataset
else:
    st.info(tr("train.no_run"))
    report = None

if report is not None:
    run_view.results(watched, name, dataset_name, report)
    run_view.downloads(watched, name)

# ------------------------------------------------------------------ every saved run

st.subheader(tr("train.compare"))
with_epochs = [r for r in runs.list_runs() if r.problem is None and any("val_accuracy" in e for e in r.epochs)]

labels = {r.id: f"{r.name} · {text.dataset(r.dataset)} · {runs.short_id(r.id)}" for r in with_epochs}   # plain text
chosen = []
if labels:
    kept = [r for r in st.session_state.get("compare_runs", []) if r in labels]   # a deleted run drops out
    # The watched run joins the comparison once, when it has its first epoch (the menu may have been drawn
    # before, without it); a student who then takes it out keeps it out.
    if watched in labels and st.session_state.get("compare_added") != watched:
        st.session_state.compare_added = watched
        kept += [] if watched in kept else [watched]
    st.session_state.compare_runs = kept
    chosen = st.multiselect(tr("train.compare_pick"), list(labels), format_func=labels.get, key="compare_runs",
                            placeholder=tr("train.compare_placeholder"))
else:
    st.caption(tr("train.compare_none"))
if chosen:
    series = {labels[r.id]: ([e["epoch"] for e in r.epochs], [e.get("val_accuracy") for e in r.epochs])
              for r in with_epochs if r.id in chosen}
    st.plotly_chart(viz.compare_figure(series, x_title=tr("train.curve.epoch"), y_title=tr("train.curve.val_acc")),
                    key="compare_chart", config={"displayModeBar": False})

with st.expander(tr("train.manage"), expanded=False):
    job_board.saved_runs(manager, me)
