"""The browser half of our Components v2 views: one .js (and optional .css) file per component, read
here and registered inline (no build step, no iframe). Python stays the source of truth for every value
they show; the JavaScript only draws and reports what the pointer does (the Lab's map view also previews a
control's change from numbers Python sent, until Python's own answer arrives)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import streamlit as st

HERE = Path(__file__).resolve().parent


def component(name: str, asset: str, *, html: str = "<div></div>", isolate_styles: bool = True,
              shared: tuple[str, ...] = ()):
    """Register the component `name` from assets/<asset>.js (+ <asset>.css when there is one), with the
    functions of the `shared` assets put in front of its script. A shared asset may be an ES module (Node
    imports lab_arith.js in tests/js): its `export`s become plain declarations here."""
    css = HERE / f"{asset}.css"
    js = "".join([*(shared_js(part) for part in shared), (HERE / f"{asset}.js").read_text(encoding="utf-8")])
    return st.components.v2.component(name, html=html, js=js,
                                      css=css.read_text(encoding="utf-8") if css.exists() else None,
                                      isolate_styles=isolate_styles)


def shared_js(part: str) -> str:
    """A shared asset's script, its top-level `export` keywords dropped (one script holds them all)."""
    return re.sub(r"^export ", "", (HERE / f"{part}.js").read_text(encoding="utf-8"), flags=re.MULTILINE)


def array(values: np.ndarray, signed: bool = True, exact_values: int = 200_000) -> dict:
    """Numbers as the components read them (map_common.js decode): float64 up to `exact_values` numbers,
    so the browser's arithmetic is exactly Python's; float32 beyond (big photos: more than 8-bit pixels hold)."""
    values = np.asarray(values, dtype=np.float64)
    shape = values.shape if values.ndim == 3 else (1, *values.shape)
    dtype = "<f8" if values.size <= exact_values else "<f4"
    raw = np.ascontiguousarray(values, dtype=dtype).tobytes()
    return {"c": shape[0], "h": shape[1], "w": shape[2], "dtype": "f8" if dtype == "<f8" else "f4",
            "b64": base64.b64encode(raw).decode("ascii"), "signed": signed}
