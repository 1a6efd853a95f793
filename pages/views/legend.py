"""Colour bars: the legend beside every coloured map or picture, its colour scale with the values at its
ends (and 0 in the middle of a signed scale). Plain HTML, drawn at once; the scales are cnn.viz's."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from cnn import viz


def _number(v: float) -> str:
    return "0" if v == 0 else f"{v:.3g}".replace("-", "−")


def colour_bar_html(scale: str, low: float | str, high: float | str, title: str = "", middle: str | None = None,
                    width: int = 220) -> str:
    """A colour bar of `scale` ("diverging", "gray", "heat") from `low` to `high` (numbers or words)."""
    ends = [_number(v) if isinstance(v, (int, float, np.floating)) else str(v) for v in (low, high)]
    labels = [ends[0]] + ([middle] if middle is not None else []) + [ends[1]]
    numbers = all(isinstance(v, (int, float, np.floating)) for v in (low, high))
    exact = f' data-range="{float(low)!r},{float(high)!r}"' if numbers else ""   # the exact ends, for tests
    return (f'<div data-testid="colour-legend"{exact} style="max-width:{width}px;margin:2px 0 6px 0;font-size:12px;'
            f'color:#555">' + (f"<div>{html.escape(title)}</div>" if title else "")
            + f'<div style="height:10px;border:1px solid #ccc;background:{viz.css_gradient(scale)}"></div>'
            + '<div style="display:flex;justify-content:space-between">'
            + "".join(f"<span>{html.escape(t)}</span>" for t in labels) + "</div></div>")


def colour_bar(scale: str, low, high, title: str = "", middle: str | None = None, width: int = 220,
               where=st) -> None:
    where.markdown(colour_bar_html(scale, low, high, title, middle, width), unsafe_allow_html=True)


def map_bar(values: np.ndarray, signed: bool, title: str = "", where=st, width: int = 220) -> None:
    """The legend of a map coloured as viz and the browser colour it: diverging ±max|v|, or gray min..max."""
    low, high = viz.map_range(values, signed)
    colour_bar("diverging" if signed else "gray", low, high, title, "0" if signed else None, width, where)
