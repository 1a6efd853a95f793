"""Train: choose data and a network, start a run, watch it learn, then see what it got wrong."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnn import jobs, models, runs, train, viz
from pages._ui import job_manager, sidebar_help, test_split, tr

st.title(tr("nav.train"))
st.caption(tr("train.subtitle"))
sidebar_help("train")
manager = job_manager()

DATASETS = ("mnist-5k", "shapes", "mnist", "fashion-mnist")   # the offline ones first
INPUT_SHAPES = {"mnist-5k": (1, 28, 28), "mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28), "shapes": (1, 72, 72)}
COLUMNS = ("type", "filters", "kernel", "stride", "padding", "units", "name", "mode", "size", "p")
WHOLE = ("filters", "kernel", "stride", "padding", "dilation", "units", "size")


def _table(spec: models.ModelSpec) -> pd.DataFrame:
    return pd.DataFrame([{c: layer.get(c) for c in COLUMNS} for layer in spec.layers], columns=list(COLUMNS))


def _layers(table: pd.DataFrame) -> list[dict]:
    """Edited table rows -> layer dicts; empty cells are left out (the layer's default applies)."""
    layers = []
    for row in table.to_dict("records"):
        layer = {}
        for key, value in row.items():
            if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
                continue
            if key in WHOLE and isinstance(value, float) and value.is_integer():
                value = int(value)
            layer[key] = value
        if layer:
            layers.append(layer)
    return layers


# ------------------------------------------------------------------ set-up

setup, settings = st.columns([3, 2], gap="medium")
with setup.container(border=True):
    st.subheader(tr("train.setup"))
    top = st.columns(2)
    dataset = top[0].selectbox(tr("train.dataset"), DATASETS, key="train_dataset",
                               format_func=lambda d: tr(f"dataset.{d}"), help=tr("train.dataset_help"))
    choices = [n for n, s in models.PRESETS.items() if tuple(s.input_shape) == INPUT_SHAPES[dataset]]
    preset = top[1].selectbox(tr("train.preset"), choices, key=f"train_preset_{dataset}")
    spec = models.preset(preset)
    st.caption(tr("train.layers_help"))
    edited = st.data_editor(_table(spec), num_rows="dynamic", key=f"layers_{preset}", hide_index=True,
                            column_config={"type": st.column_config.SelectboxColumn(options=list(models.LAYER_TYPES),
                                                                                    required=True)})
    spec.layers = _layers(edited)
    spec_error = None
    try:
        rows = models.summary(spec)
        st.dataframe(pd.DataFrame({
            tr("train.col.layer"): [f"{r.index + 1}. {r.kind}" for r in rows],
            tr("train.col.detail"): [r.description for r in rows],
            tr("train.col.shape"): ["×".join(map(str, r.output_shape)) for r in rows],
            tr("train.col.params"): [f"{r.parameters:,}" for r in rows],
            tr("train.col.macs"): [f"{r.mult_adds:,}" for r in rows],
        }), hide_index=True, height=min(38 + 35 * len(rows), 400))
        st.success(tr("train.valid", params=f"{sum(r.parameters for r in rows):,}",
                      macs=f"{sum(r.mult_adds for r in rows):,}"))
    except models.SpecError as exc:
        spec_error = str(exc)
        st.error(tr("train.invalid", reason=spec_error))

with settings.container(border=True):
    st.subheader(tr("train.settings"))
    epochs = st.slider(tr("train.epochs"), 1, 30, 3, key="train_epochs")
    batch = st.select_slider(tr("train.batch"), [16, 32, 64, 128, 256], value=64, key="train_batch")
    lr = st.select_slider(tr("train.lr"), [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0], value=1e-3,
                          key="train_lr", help=tr("train.lr_help"))
    optimizer = st.radio(tr("train.optimizer"), ("adam", "sgd"), horizontal=True, key="train_optimizer",
                         format_func=lambda o: tr(f"train.optimizer.{o}"))
    augment = st.toggle(tr("train.augment"), key="train_augment", help=tr("train.augment_help"))
    if st.button(tr("train.start"), type="primary", disabled=spec_error is not None, width="stretch"):
        config = train.TrainConfig(epochs=epochs, batch_size=batch, lr=lr, optimizer=optimizer, augment=augment)
        job = manager.submit(jobs.JobRequest(preset, spec, config, dataset))
        st.session_state.job_id = job.id
        st.query_params["job"] = job.id  # a reload re-attaches to the run

# ------------------------------------------------------------------ the current run, live

job_id = st.session_state.get("job_id") or st.query_params.get("job")
job = manager.get(job_id) if job_id else None
if job is None:
    st.info(tr("train.no_run"))
    st.stop()
st.session_state.job_id = job.id


def _curves(snap: jobs.Job) -> go.Figure:
    fig = go.Figure()
    if snap.curve:
        x, loss, acc = zip(*snap.curve)
        fig.add_scatter(x=x, y=loss, name=tr("train.curve.train_loss"), line=dict(color="#d62728"))
        fig.add_scatter(x=x, y=acc, name=tr("train.curve.train_acc"), line=dict(color="#1f77b4"), yaxis="y2")
    if snap.epochs:
        ep = [e["epoch"] for e in snap.epochs]
        if "val_loss" in snap.epochs[0]:
            fig.add_scatter(x=ep, y=[e["val_loss"] for e in snap.epochs], name=tr("train.curve.val_loss"),
                            mode="lines+markers", line=dict(color="#d62728", dash="dash"))
            fig.add_scatter(x=ep, y=[e["val_accuracy"] for e in snap.epochs], name=tr("train.curve.val_acc"),
                            mode="lines+markers", line=dict(color="#1f77b4", dash="dash"), yaxis="y2")
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), xaxis_title=tr("train.curve.epoch"),
                      yaxis=dict(title=tr("train.curve.loss")),
                      yaxis2=dict(title=tr("train.curve.accuracy"), overlaying="y", side="right", range=[0, 1]),
                      legend=dict(orientation="h", y=1.12))
    return fig


def _filters_png(filters: np.ndarray) -> bytes:
    """First-layer kernels (F, C, k, k), channel 1, side by side with a one-pixel gap."""
    f, _, k, _ = filters.shape
    cols = min(f, 16)
    rows = math.ceil(f / cols)
    mosaic = np.zeros((rows * (k + 1) - 1, cols * (k + 1) - 1))
    for i in range(f):
        r, c = divmod(i, cols)
        kernel = filters[i, 0]
        mosaic[r * (k + 1): r * (k + 1) + k, c * (k + 1): c * (k + 1) + k] = kernel / (np.abs(kernel).max() or 1)
    return viz.map_png(mosaic)


active = job.state not in jobs.DONE


@st.fragment(run_every=1.0 if active else None)
def live_view() -> None:
    snap = job.snapshot()
    if snap.state in jobs.DONE and st.session_state.get("shown_done") != snap.id:
        st.session_state.shown_done = snap.id
        st.rerun()  # once: the whole page redraws with the results and stops polling
    head = st.columns([3, 1, 1, 1])
    position = manager.position(job)
    state = tr(f"train.state.{snap.state}") + (f" · {tr('train.queue', n=position)}" if position else "")
    head[0].markdown(f"**{snap.request.name}** · {tr(f'dataset.{snap.request.dataset}')} · {state}")
    if snap.state == jobs.RUNNING:
        head[1].button(tr("train.pause"), on_click=job.pause, width="stretch")
    elif snap.state == jobs.PAUSED:
        head[1].button(tr("train.resume"), on_click=job.resume, width="stretch")
    if snap.state not in jobs.DONE:
        head[2].button(tr("train.stop"), on_click=job.stop, width="stretch")
    if snap.message:
        (st.error if snap.state == jobs.FAILED else st.info)(snap.message)
    p = snap.progress
    if p is not None:
        done = ((p.epoch - 1) * p.steps + p.step) / (p.epochs * p.steps)
        eta = f"{int(p.eta_s // 60)}:{int(p.eta_s % 60):02d}"
        st.progress(min(done, 1.0), text=tr("train.progress", epoch=p.epoch, epochs=p.epochs, step=p.step,
                                             steps=p.steps, rate=f"{p.images_per_s:,.0f}", eta=eta))
    charts, kernels = st.columns([3, 2])
    charts.plotly_chart(_curves(snap), key="train_curves", config={"displayModeBar": False})
    if snap.filters is not None:
        kernels.markdown(f"**{tr('train.filters', n=snap.filters.shape[0])}**")
        kernels.image(_filters_png(snap.filters), width="stretch")


live_view()

# ------------------------------------------------------------------ after the run

if job.test is None:
    st.stop()
report = job.test
test_ds = test_split(job.request.dataset)
classes = test_ds.classes
st.subheader(tr("train.results"))
st.metric(tr("train.test_accuracy"), f"{100 * report['accuracy']:.2f}%")


def _pick_cell(chart_key: str) -> None:
    points = st.session_state[chart_key].selection.get("points", [])
    if points:
        st.session_state.confusion_cell = (int(points[0]["y"]), int(points[0]["x"]))


def _gallery(indices, captions, per_row: int = 8) -> None:
    for start in range(0, len(indices), per_row):
        row = st.columns(per_row)
        for column, i, caption in zip(row, indices[start:start + per_row], captions[start:start + per_row]):
            picture = test_ds.images[i, 0].numpy()
            column.image(np.kron(picture, np.ones((3, 3), dtype=np.uint8)), caption=caption, width="stretch")


confusion = np.array(report["confusion"])
matrix_col, detail_col = st.columns([1, 1])
with matrix_col:
    st.markdown(f"**{tr('train.confusion')}**")
    st.caption(tr("train.confusion_help"))
    fig = viz.map_figure(np.log1p(confusion), signed=False, clickable=True, height=420)
    fig.update_traces(selector=dict(type="heatmap"), text=confusion, texttemplate="%{text}",
                      colorscale=[[0, "#ffffff"], [1, "#1f77b4"]], hovertemplate=None, hoverinfo="skip")
    fig.update_traces(selector=dict(type="scatter"), customdata=confusion.ravel(),
                      hovertemplate=tr("train.confusion_hover") + "<extra></extra>")
    st.plotly_chart(fig, key="confusion_chart", on_select=partial(_pick_cell, "confusion_chart"),
                    selection_mode="points", config={"displayModeBar": False})
with detail_col:
    true_class, predicted_class = st.session_state.get("confusion_cell", (None, None))
    if true_class is not None and true_class < len(classes) and predicted_class < len(classes):
        predicted = np.array(report["predicted"])
        labels = test_ds.labels.numpy()
        chosen = np.nonzero((labels == true_class) & (predicted == predicted_class))[0][:24]
        title = tr("train.cell_images", true=classes[true_class], predicted=classes[predicted_class], n=len(chosen))
        st.markdown(f"**{title}**")
        _gallery(list(chosen), [str(i) for i in chosen], per_row=6)
    else:
        st.info(tr("train.click_cell"))

st.markdown(f"**{tr('train.mistakes')}**")
worst = report["mistakes"][:16]
predicted = report["predicted"]
_gallery(worst, [f"{classes[int(test_ds.labels[i])]} → {classes[predicted[i]]}" for i in worst])

# ------------------------------------------------------------------ compare, download, use

st.subheader(tr("train.compare"))
all_runs = [r for r in runs.list_runs(manager.runs_root) if r.get("metrics", {}).get("epochs")]
labels_for = {r["id"]: f"{r.get('name', r['id'])} · {r.get('dataset', '')} · {r['id'][:15]}" for r in all_runs}
chosen_runs = st.multiselect(tr("train.compare_pick"), list(labels_for), format_func=labels_for.get, key="compare_runs",
                             default=[job.run_id] if job.run_id in labels_for else [])
if chosen_runs:
    compare = go.Figure()
    for run_id in chosen_runs:
        epochs_done = next(r for r in all_runs if r["id"] == run_id)["metrics"]["epochs"]
        if epochs_done and "val_accuracy" in epochs_done[0]:
            compare.add_scatter(x=[e["epoch"] for e in epochs_done], y=[e["val_accuracy"] for e in epochs_done],
                                mode="lines+markers", name=labels_for[run_id])
    compare.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10), xaxis_title=tr("train.curve.epoch"),
                          yaxis_title=tr("train.curve.val_acc"))
    st.plotly_chart(compare, key="compare_chart", config={"displayModeBar": False})

with st.expander(tr("train.manage")):
    for run in runs.list_runs(manager.runs_root)[:20]:
        row = st.columns([3, 2, 1, 1])
        accuracy = run.get("metrics", {}).get("test_accuracy")
        row[0].markdown(f"`{run['id'][:15]}` · {run.get('dataset', '')} · {run.get('status', '')}"
                        + (f" · {100 * accuracy:.2f}%" if accuracy is not None else ""))
        new_name = row[1].text_input(tr("train.rename"), value=run.get("name", ""), key=f"name_{run['id']}",
                                     label_visibility="collapsed")
        if row[2].button(tr("train.rename"), key=f"rename_{run['id']}"):
            runs.rename(run["id"], new_name, manager.runs_root)
            st.rerun()
        if row[3].button(tr("train.delete"), key=f"delete_{run['id']}", disabled=run["id"] == job.run_id):
            runs.delete(run["id"], manager.runs_root)
            st.rerun()

if job.run_id:
    folder = runs.run_dir(job.run_id, manager.runs_root)
    actions = st.columns(4)
    actions[0].download_button(tr("train.download_weights"), (folder / "model.safetensors").read_bytes(),
                               file_name=f"{job.run_id}.safetensors", width="stretch")
    actions[1].download_button(tr("train.download_json"), (folder / "model.json").read_bytes(),
                               file_name=f"{job.run_id}.json", width="stretch")
    actions[2].download_button(tr("train.download_code"), models.to_pytorch_code(models.load(folder / "model")[1]),
                               file_name=f"{job.request.name.replace('-', '_')}.py", width="stretch")
    if actions[3].button(tr("train.use"), type="primary", width="stretch"):
        st.session_state.current_model = job.run_id
        st.rerun()   # so the sidebar's model menu, drawn before this page, shows it too
    if st.session_state.get("current_model") == job.run_id:
        st.success(tr("train.using", name=job.request.name))
