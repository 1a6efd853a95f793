"""Probability bars as plain HTML: one element, drawn by the browser at once (no chart library to wake)."""

from __future__ import annotations

import html
import json

import numpy as np
import streamlit as st

from cnn.viz import probability_text


def probability_bars(probabilities: np.ndarray, classes, top: int, answers: int = 0) -> None:
    """`answers`: the number of the drawing these are for (0 for other inputs), kept as data-seq."""
    rows = []
    for k, (label, p) in enumerate(zip(classes, probabilities)):
        colour = "#ff4b4b" if k == top else "#8aa4c8"
        rows.append(f'<div style="display:flex;align-items:center;gap:6px;height:21px">'
                    f'<span style="width:5.5em;text-align:right;font-family:monospace">{html.escape(str(label))}</span>'
                    f'<span style="flex:1;background:#f0f2f6;height:15px;border-radius:3px">'
                    f'<span style="display:block;width:{100 * p:.2f}%;background:{colour};height:15px;'
                    f'border-radius:3px"></span></span>'
                    f'<span style="width:4.8em;text-align:right;font-size:0.85em;white-space:nowrap">'
                    f'{html.escape(probability_text(p))}</span></div>')
    values = html.escape(json.dumps([round(float(p), 6) for p in probabilities]))
    st.markdown(f'<div data-testid="probability-bars" data-probs="{values}" data-seq="{int(answers)}">'
                f'{"".join(rows)}</div>', unsafe_allow_html=True)
