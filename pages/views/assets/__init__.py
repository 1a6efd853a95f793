"""The browser half of our Components v2 views: one .js (and optional .css) file per component, read
here and registered inline (no build step, no iframe). Python stays the source of truth for every value
they show; the JavaScript only draws and reports what the pointer does."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent


def component(name: str, asset: str, *, html: str = "<div></div>", isolate_styles: bool = True):
    """Register the component `name` from assets/<asset>.js (+ <asset>.css when there is one)."""
    css = HERE / f"{asset}.css"
    return st.components.v2.component(name, html=html, js=(HERE / f"{asset}.js").read_text(encoding="utf-8"),
                                      css=css.read_text(encoding="utf-8") if css.exists() else None,
                                      isolate_styles=isolate_styles)
