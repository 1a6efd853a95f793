"""What each filter looks for (cnn.filter_view): for a convolution layer of the current model, every
filter's nine strongest input patches, outlined in their images, beside a picture made to excite it.
Searched once per model file and layer for the whole server, in a process of its own (cnn.filter_search:
never in the app's process, in chunks within a memory bound, cancellable), with a progress bar that every
session asking meanwhile watches."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn import data, datasets, filter_search, filter_view, inspect
from pages.views import controls, errors, explain, legend, model_menu, sources, text
from pages.views.language import tr

SAMPLES = 1000            # images searched for the strongest patches
PER_PAGE = 8              # filters shown at once
THUMB = 84                # pixels a side of each patch's picture


@st.cache_resource(show_spinner=False)
def searches() -> filter_search.Searches:
    """The filter searches of this server, shared by every session (one process at a time)."""
    return filter_search.Searches(concurrent=1, samples=SAMPLES)


def search(choice: str, layer: int, dataset: str | None, images: np.ndarray) -> filter_search.Search:
    """The search of (model file, layer): started the first time anyone asks, the same for everyone after.
    An own set's search is handed the images shown here (its source is this process's), and is redone when
    its set has changed."""
    info = datasets.find(dataset)
    if info is not None and info.own:
        key = f"{explain._key(choice)}|{dataset}|{len(images)}|{float(np.asarray(images).sum()):.6g}"
        return searches().get(key, model_menu.model_path(choice), layer, dataset, images)
    return searches().get(explain._key(choice), model_menu.model_path(choice), layer, dataset)


def _images(spec, dataset: str | None) -> np.ndarray:
    """The images the search looked through (the same as the search process's, from the cached split)."""
    from pages.views.shared import test_split

    return filter_view.search_images(spec, dataset, SAMPLES, test_split=test_split)


def _gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else image.mean(0)


def _outlined(image: np.ndarray, box) -> np.ndarray:
    """The image as RGB uint8 (a colour image in its colours), enlarged, with the box drawn around the patch."""
    gray = _gray(image)
    scale = max(1, THUMB // max(gray.shape))
    colour = image.transpose(1, 2, 0) if image.ndim == 3 and image.shape[0] == 3 else gray[..., None]
    rgb = np.repeat((np.clip(colour, 0, 1) * 255).astype(np.uint8), 3 // colour.shape[-1], axis=2)
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


def _progress(found: filter_search.Search) -> None:
    """The search's progress, redrawn twice a second on its own; the whole page reruns once it is done."""
    @errors.fragment(run_every=None if found.failed else 0.5)
    def watch() -> None:
        if found.state == filter_search.CANCELLED:
            st.info(tr("filters.cancelled"))
            st.button(tr("filters.search_again"), key="filters_again")
        elif found.failed:
            errors.log.warning("What each filter looks for: the search failed (%s): %s", found.key, found.reason)
            st.error(tr("filters.failed"))
        elif found.result is not None:
            st.rerun()
        else:
            text = tr("filters.waiting") if found.state == filter_search.WAITING else tr("filters.computing")
            st.progress(min(1.0, found.progress), text=text)
            st.button(tr("filters.cancel"), key="filters_cancel", on_click=errors.callback(found.cancel))
    watch()


def filter_gallery(choice: str, model, spec, dataset: str | None) -> None:
    convs = inspect.conv_layers(spec)
    if not convs:
        st.info(tr("inside.no_conv"))
        return
    layer = controls.select(tr("filters.layer"), convs, f"filters_layer_{spec.name}",
                            format_func=lambda i: tr("filters.layer_name", n=convs.index(i) + 1, index=i + 1))
    try:
        images = _images(spec, dataset)
    except data.DatasetUnavailable as exc:
        st.warning(tr("sample.unavailable", reason=sources.dataset_error(exc)))
        return
    if len(images) == 0:
        st.info(tr("sample.unavailable", reason=tr("dataset_error.no_test", name=text.md(text.dataset(dataset)))))
        return
    found = search(choice, layer, dataset, images)
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
