"""Small Streamlit helpers every page uses: the current language and the sidebar help box."""

from __future__ import annotations

import html

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
