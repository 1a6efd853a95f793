"""The model every page uses: the shipped one or any run with weights, chosen in the sidebar (or with the
Train page's "Use this model"), loaded once per server and shared read-only by every session."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cnn import datasets, models, runs, viz
from pages.views.errors import callback
from pages.views.language import lang, tr

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "assets" / "models"
SHIPPED = "shipped"   # the default choice: assets/models/mnist-default
SHIPPED_MODELS = {SHIPPED: "mnist-default", "shipped-shapes": "shapes-default"}   # choice -> file in assets/models
SHIPPED_PATH = SHIPPED_DIR / SHIPPED_MODELS[SHIPPED]


def _shipped() -> list[str]:
    """The shipped models whose files are there."""
    return [c for c, name in SHIPPED_MODELS.items() if (SHIPPED_DIR / name).with_suffix(".safetensors").exists()]


def model_path(choice: str) -> Path:
    """Where the weights of a model choice live: a shipped file, or a run's folder (ValueError: not a run id)."""
    return SHIPPED_DIR / SHIPPED_MODELS[choice] if choice in SHIPPED_MODELS else runs.run_dir(choice) / "model"


def usable_runs() -> list[runs.RunInfo]:
    """Runs whose weights can be used, newest first: finished, stopped and interrupted ones alike."""
    return [run for run in runs.list_runs() if run.problem is None and run.has_model]


def model_choices() -> list[str]:
    """The shipped models, the usable runs, then the runs whose model files are damaged: listed as damaged
    with the reason (choosing one says the reason on the page), never as if they were sound."""
    listed = runs.list_runs()
    usable = [run.id for run in listed if run.problem is None and run.has_model]
    damaged = [run.id for run in listed if run.problem and (run.path / "model.safetensors").exists()]
    return [*_shipped(), *usable, *damaged]


def problem_text(run: runs.RunInfo) -> str:
    """Why a run cannot be used, in the user's language (the English reason where no code is known)."""
    key = f"run_problem.{run.problem_code}"
    from cnn.i18n import catalog

    return tr(key) if key in catalog("en") else str(run.problem)


def model_label(choice: str, language: str | None = None) -> str:
    """"name · data set · accuracy", for the model menu."""
    from cnn.i18n import t

    def say(key, **values):
        return t(key, language or lang(), **values)

    if choice in SHIPPED_MODELS:
        accuracy = models.read_sidecar(model_path(choice))["metrics"]["test_accuracy"]
        return say("sidebar.model_shipped", name=SHIPPED_MODELS[choice], acc=viz.accuracy_text(accuracy))
    try:
        run = runs.read_run(runs.run_dir(choice))
    except ValueError:
        return choice
    # A menu's options are plain text: the names are shown as typed, with no escaping needed.
    from pages.views import text

    parts = [run.name, text.dataset(run.dataset, language or lang()) if datasets.find(run.dataset) else ""]
    if run.problem:
        key = f"run_problem.{run.problem_code}"
        from cnn.i18n import catalog

        parts.append("⚠ " + say("sidebar.damaged", reason=say(key) if key in catalog("en") else run.problem))
    elif run.test_accuracy is not None:
        parts.append(f"{100 * run.test_accuracy:.1f}%")
    elif run.status == runs.INTERRUPTED:
        parts.append(say("sidebar.interrupted", n=len(run.epochs)))
    return " · ".join(p for p in parts if p) + f" ({runs.short_id(choice)})"


def current_choice() -> str:
    """The chosen model, or the shipped one when the choice is gone (a deleted run, a stale session value)."""
    choice = st.session_state.get("current_model") or SHIPPED
    try:
        return choice if model_path(choice).with_suffix(".safetensors").exists() else SHIPPED
    except ValueError:
        return SHIPPED


def choose(choice: str) -> None:
    st.session_state.current_model = choice


@st.cache_resource(max_entries=6, show_spinner=False)
def _load(path: str, stamp: float):
    model, spec = models.load(path)
    return model, spec, models.read_sidecar(path)


def load_model(choice: str):
    """(model, spec, sidecar) of a choice, cached per file version; models.ModelFileError says what is wrong."""
    path = model_path(choice)
    weights = path.with_suffix(".safetensors")
    stamp = weights.stat().st_mtime if weights.exists() else 0.0   # a retrained run is loaded afresh
    return _load(str(path), stamp)


def current_model():
    return load_model(current_choice())


def current_model_or_stop():
    """current_model(), or the reason it cannot be used shown on the page, which then stops there."""
    try:
        return current_model()
    except models.ModelFileError as exc:
        st.error(tr("model.bad_file", reason=str(exc)))
        st.stop()


def caption(spec, sidecar: dict, choice: str | None = None) -> None:
    """"Model: name · trained on data set · test accuracy", under a page's title. A run that never reached
    its test (interrupted, or stopped before one) says what it has: "validation accuracy … (epoch 4 of 30)"."""
    from pages.views import text

    metrics = sidecar.get("metrics", {}) if isinstance(sidecar.get("metrics"), dict) else {}
    values = dict(name=text.md(spec.name), dataset=text.md(text.dataset(sidecar.get("dataset"))))
    if isinstance(metrics.get("test_accuracy"), (int, float)):
        st.caption(tr("draw.model", acc=f"{100 * metrics['test_accuracy']:.2f}%", **values))
        return
    accuracy = metrics.get("val_accuracy")
    choice = choice or current_choice()
    run = None
    if choice not in SHIPPED_MODELS:
        try:
            run = runs.read_run(runs.run_dir(choice))
        except ValueError:
            pass
    if isinstance(accuracy, (int, float)) and run is not None:
        st.caption(tr("draw.model_val", acc=viz.accuracy_text(accuracy), epoch=len(run.epochs),
                      epochs=run.epochs_planned or len(run.epochs), **values))
    else:
        st.caption(tr("draw.model_untested", **values))


@callback
def _chosen() -> None:
    choose(st.session_state.model_choice)


def menu() -> None:
    """The sidebar's model menu, brought in line with the current choice before it is drawn."""
    choices = model_choices()
    st.session_state.model_choice = current_choice()
    st.sidebar.selectbox(tr("sidebar.model"), choices, key="model_choice", on_change=_chosen,
                         format_func=lambda choice, language=lang(): model_label(choice, language),
                         help=tr("sidebar.model_help"))
