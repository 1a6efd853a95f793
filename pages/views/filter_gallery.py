"""What each filter looks for (cnn.filter_view): for a convolution layer of the current model, every
filter's nine strongest input patches, outlined in their images, beside a picture made to excite it.
Searched once per model file and layer for the whole server, in the background, with a progress bar that
every session asking meanwhile watches."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnn import data, filter_view, inspect
from pages.views import background, controls, errors, explain, legend
from pages.views.language import tr

SAMPLES = 1000            # images searched for the strongest patches
PER_PAGE = 8              # filters shown at once
THUMB = 84                # pixels a side of each patch's picture


@dataclass
class Search:
    """One model file's and layer's search, done once for the whole server in a thread of its own: every
    session that asks shares it and watches its progress; nothing in it is per-session."""
    progress: float = 0.0                 # 0..1
    result: tuple | None = None           # (strongest patches per filter, grown pictures) once done
    failed: bool = False


@st.cache_resource(show_spinner=False)
def _store() -> dict:
    return {"searches": {}, "lock": threading.Lock()}


def _search(search: Search, model, spec, images: np.ndarray, layer: int) -> None:
    def progress(start: float):
        def report(done: int, total: int) -> None:
            background.stop_point()           # the server is exiting: end between two chunks of work
            search.progress = start + 0.5 * done / total
        return report

    try:
        top = filter_view.strongest_patches(model, spec, images, layer, on_progress=progress(0.0))
        pictures, _ = filter_view.maximise(model, spec, layer, on_progress=progress(0.5))
        search.result = (top, pictures)
    except background.Stopping:
        search.failed = True
    except Exception:
        errors.log.exception("What each filter looks for: the search failed (layer %d of %s)", layer, spec.name)
        search.failed = True


def search(model_key: str, model, spec, images: np.ndarray, layer: int) -> Search:
    """The search for (model file, layer): started in the background the first time anyone asks (again if
    it failed), the same object for everyone after. The model is only read (cnn.filter_view)."""
    store = _store()
    with store["lock"]:
        key = (model_key, layer)
        found = store["searches"].get(key)
        if found is None or found.failed:
            found = store["searches"][key] = Search()
            finished = [k for k, v in store["searches"].items() if v.result is not None]
            for old in finished[:max(0, len(store["searches"]) - 8)]:     # keep the last 8 results
                del store["searches"][old]
            background.start(_search, found, model, spec, images, layer, name=f"cnn-lab-filters-{layer}")
        return found


def _images(spec, dataset: str | None) -> np.ndarray:
    """The images the model knows: sample digits for digit models, else its data set's test split."""
    if spec.input_shape[1:] == (28, 28) and dataset in (None, "mnist", "mnist-5k"):
        images = data.sample_digits().images[:SAMPLES] / 255.0
    else:
        from pages.views.shared import test_split

        split = test_split(dataset)
        images = np.asarray(split.images[:SAMPLES], dtype=np.float64)
        images = images / 255.0 if images.max() > 1.0 else images
    if spec.input_shape[0] > 1 and images.ndim == 3:
        images = np.repeat(images[:, None], spec.input_shape[0], axis=1)
    return images


def _gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else image.mean(0)


def _outlined(image: np.ndarray, box) -> np.ndarray:
    """The image as RGB uint8, enlarged, with the box drawn around the patch."""
    gray = _gray(image)
    scale = max(1, THUMB // max(gray.shape))
    rgb = np.repeat((np.clip(gray, 0, 1) * 255).astype(np.uint8)[..., None], 3, axis=2)
    rgb = np.kron(rgb, np.ones((scale, scale, 1), dtype=np.uint8))
    top, left, bottom, right = (v * scale for v in box)
    bottom, right = bottom + scale - 1, right + scale - 1
    green = np.array([0, 200, 83], dtype=np.uint8)
    rgb[top, left:right + 1] = rgb[bottom, left:right + 1] = green
    rgb[top:bottom + 1, left] = rgb[top:bottom + 1, right] = green
    return rgb


def _maximised(picture: np.ndarray, field) -> np.ndarray:
    """The grown picture's part that the filter sees (a little margin around it), stretched and enlarged."""
    top, left, bottom, right = field
    gray = _gray(picture)
    margin = max(1, (bottom - top + 1) // 4)
    gray = gray[max(0, top - margin):bottom + margin + 1, max(0, left - margin):right + margin + 1]
    span = gray.max() - gray.min()
    gray = (gray - gray.min()) / span if span > 0 else gray * 0
    scale = max(1, THUMB // max(gray.shape))
    return np.kron((gray * 255).astype(np.uint8), np.ones((scale, scale), dtype=np.uint8))


def _mosaic(tiles: list[np.ndarray], columns: int = 9, gap: int = 4) -> np.ndarray:
    """Equal RGB tiles in a row (or rows), on white: one picture instead of nine elements to draw."""
    h, w = tiles[0].shape[:2]
    rows = (len(tiles) + columns - 1) // columns
    out = np.full((rows * (h + gap) - gap, min(columns, len(tiles)) * (w + gap) - gap, 3), 255, dtype=np.uint8)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, columns)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = tile
    return out


def _progress(found: Search) -> None:
    """The search's progress, redrawn twice a second on its own; the whole page reruns once it is done."""
    @errors.fragment(run_every=None if found.failed else 0.5)
    def watch() -> None:
        if found.failed:
            st.error(tr("filters.failed"))
        elif found.result is not None:
            st.rerun()
        else:
            st.progress(min(1.0, found.progress), text=tr("filters.computing"))
    watch()


def filter_gallery(choice: str, model, spec, dataset: str | None) -> None:
    convs = inspect.conv_layers(spec)
    if not convs:
        st.info(tr("inside.no_conv"))
        return
    layer = controls.select(tr("filters.layer"), convs, f"filters_layer_{spec.name}",
                            format_func=lambda i: tr("filters.layer_name", n=convs.index(i) + 1, index=i + 1))
    images = _images(spec, dataset)
    found = search(explain._key(choice), model, spec, images, layer)
    if found.result is None:
        _progress(found)
        return
    top, pictures = found.result
    count = len(top)
    pages = max(1, (count + PER_PAGE - 1) // PER_PAGE)
    first = 0
    if pages > 1:
        page = controls.slider(tr("filters.page", n=count), 1, pages, f"filters_page_{spec.name}_{layer}", default=1)
        first = (page - 1) * PER_PAGE
    st.caption(tr("filters.help", n=len(images)))
    keys = st.columns([1, 4])
    legend.colour_bar("gray", tr("legend.weakest"), tr("legend.strongest"), tr("legend.made"), where=keys[0],
                      width=160)
    legend.colour_bar("gray", "0", "1", tr("legend.pixels"), where=keys[1])
    field = filter_view.centre_field(model, spec, layer)
    for f in range(first, min(count, first + PER_PAGE)):
        row = st.columns([1, 9], vertical_alignment="center")
        row[0].image(_maximised(pictures[f], field), caption=tr("filters.made", n=f + 1), width=THUMB)
        responses = " · ".join(f"{found.activation:.2f}" for found in top[f])
        row[1].image(_mosaic([_outlined(images[found.image], found.box) for found in top[f]]),
                     caption=tr("filters.responses", values=responses))
