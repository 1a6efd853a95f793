"""The batch the network will really see: a few samples of a data set, each beside copies moved as training
moves them (cnn.augment: shifted, turned, scaled, mirrored where flips make sense), and why that is enough
to learn from 20 drawings. "New batch" draws new moves; the same batch number gives the same pictures."""

from __future__ import annotations

import numpy as np
import streamlit as st

from pages.views import text
from pages.views.language import tr

ROWS = 4          # samples shown (one of each class in turn)
COPIES = 5        # augmented copies of each
PIXELS = 96       # each picture's side on screen


def _rows(labels, classes: int, rows: int = ROWS) -> list[int]:
    """Sample indices: the first of each class in turn, then the second of each..., `rows` of them."""
    by_class = [np.flatnonzero(labels == c) for c in range(classes)]
    picked: list[int] = []
    for rank in range(max((len(i) for i in by_class), default=0)):
        for found in by_class:
            if rank < len(found) and len(picked) < rows:
                picked.append(int(found[rank]))
    return picked


def picture(image, side: int = PIXELS) -> np.ndarray:
    """(C, H, W) float in [0, 1] -> an (H', W') gray or (H', W', 3) colour uint8 picture, enlarged with
    hard pixel edges to about `side` pixels."""
    image = np.clip(np.asarray(image, dtype=np.float64), 0, 1)
    scale = max(1, side // max(image.shape[1:]))
    pixels = (image * 255).round().astype(np.uint8)
    pixels = pixels[0] if pixels.shape[0] == 1 else pixels.transpose(1, 2, 0)
    grow = np.ones((scale, scale) + (() if pixels.ndim == 2 else (1,)), dtype=np.uint8)
    return np.kron(pixels, grow)


def batch_number(key: str) -> int:
    return int(st.session_state.get(f"{key}_batch", 0))


def _new_batch(key: str) -> None:
    st.session_state[f"{key}_batch"] = batch_number(key) + 1


def augment_preview(dataset, *, flips: bool = False, key: str = "augment_preview", augmented: bool = True) -> None:
    """`dataset` (a cnn.data.Dataset) as training sees it: ROWS samples, each original, then COPIES moved
    copies; the sentence that says why that helps; a "New batch" button. `flips`: mirror too. `augmented`:
    False where the run's augmentation is off (then it says the network would see only the originals)."""
    import torch

    from cnn import augment

    st.markdown(tr("augment.why"))
    if not augmented:
        st.warning(tr("augment.off"), icon=":material/info:")
    if dataset is None or len(dataset) == 0:
        st.info(tr("augment.empty"))
        return
    picked = _rows(dataset.labels.numpy(), len(dataset.classes))
    number = batch_number(key)
    generator = torch.Generator().manual_seed(number)
    originals = augment.as_float(dataset.images[picked])                       # (rows, C, H, W)
    moved = augment.augment_batch(originals.repeat_interleave(COPIES, 0), generator, flips=flips)
    moved = moved.reshape(len(picked), COPIES, *originals.shape[1:])
    for row, index in enumerate(picked):
        name = dataset.classes[int(dataset.labels[index])]
        cells = st.columns(COPIES + 1, gap="small")
        cells[0].image(picture(originals[row].numpy()), width=PIXELS,
                       caption=f"{text.md(name)} · {tr('augment.original')}")
        for c in range(COPIES):
            cells[c + 1].image(picture(moved[row, c].numpy()), width=PIXELS,
                               caption=tr("augment.seen", n=c + 1))
    left, right = st.columns([1, 3], vertical_alignment="center")
    left.button(tr("augment.new_batch"), key=f"{key}_new", on_click=_new_batch, args=(key,),
                icon=":material/shuffle:")
    right.caption(tr("augment.moves_flips" if flips else "augment.moves", angle=round(augment.MAX_ANGLE),
                     shift=round(100 * augment.MAX_SHIFT), low=round(100 * augment.SCALES[0]),
                     high=round(100 * augment.SCALES[1]), batch=number + 1))
