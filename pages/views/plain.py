"""What users name (nicknames, class names, run names) shown as the characters they typed.

Markdown cannot promise that: even with every special character escaped, Streamlit's Markdown turns a
typed "http://..." into a link. So a sentence that holds a user's name is written as HTML here, the
name escaped (st.html never makes links of text): `say` takes our catalog sentence (whose **bold** is
ours to draw) and the user's names, which are only ever escaped. Short names alone go in st.text.
"""

from __future__ import annotations

import html
import re

import streamlit as st

STYLES = {
    "p": "margin:0 0 0.6rem 0;line-height:1.6;font-size:1rem",
    "h3": "font-size:1.5rem;font-weight:600;margin:0.4rem 0 0.6rem 0;line-height:1.3",
}


def sentence(template: str, **names) -> str:
    """`template` (our words: **bold** becomes <b>) with `names` (theirs: escaped, nothing else) as HTML."""
    ours = html.escape(template, quote=False)
    ours = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", ours)
    return ours.format(**{key: html.escape(str(value), quote=True) for key, value in names.items()})


def say(template: str, tag: str = "p", **names) -> None:
    """Draw one sentence of ours holding names of theirs; `tag` "p" or "h3"."""
    st.html(f'<{tag} class="cnn-said" style="{STYLES[tag]}">{sentence(template, **names)}</{tag}>')
