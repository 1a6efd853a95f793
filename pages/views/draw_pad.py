"""Draw & Predict's canvas (assets/draw_pad.js): it sends the drawing when the pen lifts and about every
150 ms during a stroke, as a PNG, so the prediction follows the pen."""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np
import streamlit as st

from pages.views.assets import component
from pages.views.language import tr

SIDE = 280
_pad = component("cnn_lab_draw_pad", "draw_pad", isolate_styles=False)  # our CSS is scoped by class


@st.cache_data(max_entries=64, show_spinner=False)
def _decode(png: str) -> np.ndarray | None:
    """A data-URI PNG from the pad -> (280, 280, 4) uint8 RGBA; None for anything else."""
    from PIL import Image, UnidentifiedImageError

    head, _, body = png.partition(",")
    if head != "data:image/png;base64" or len(body) > 4 * SIDE * SIDE * 2:
        return None
    try:
        picture = Image.open(io.BytesIO(base64.b64decode(body, validate=True)))
        if picture.size != (SIDE, SIDE):
            return None
        return np.asarray(picture.convert("RGBA"))
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError):
        return None


def draw_pad(key: str, stroke_width: int, *, reset: int | None = None) -> tuple[np.ndarray | None, int]:
    """(The drawing as (280, 280, 4) RGBA or None while the pad is empty, the number of the send it came
    in: the page echoes it, so a benchmark knows which drawing an answer is for). A `reset` that differs
    from the last one wipes the pad (My data, once it has saved a drawing)."""
    data = {"width": int(stroke_width), "labels": {"undo": tr("draw.undo"), "clear": tr("draw.clear")},
            "answering": _seq(st.session_state.get(key))}   # the pad sends less while Python lags behind it
    if reset is not None:
        data["reset"] = int(reset)
    result = _pad(key=key, data=data,
                  on_drawing_change=lambda: None, width="content")
    drawing = result.get("drawing") if result is not None else None
    if not isinstance(drawing, dict):
        return None, 0
    png = drawing.get("png")
    return (_decode(png) if isinstance(png, str) else None), _seq(result)


def _seq(state) -> int:
    """The number of the drawing in the pad's state (what this run reads), 0 when there is none."""
    drawing = state.get("drawing") if hasattr(state, "get") else None
    seq = drawing.get("seq") if isinstance(drawing, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else 0
