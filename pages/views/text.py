"""What users name (runs, data sets, classes, nicknames) is shown as text, never as Markdown or HTML.

Streamlit's markdown, captions and alerts read Markdown (links, images, bold, colour directives, LaTeX)
and our own HTML snippets read HTML; plotly reads HTML tags in a trace's name. So a name goes through one
of these before it meets any of them: `md` for Markdown (every ASCII punctuation mark backslash-escaped,
which CommonMark always shows as the mark itself), `html_text` for HTML and plotly, and `say` for a whole
sentence of ours that holds names of theirs (written as HTML, the names escaped: st.html makes no links).
"""

from __future__ import annotations

import html
import re

import streamlit as st

from cnn.i18n import t
from pages.views.language import lang

# The marks that can begin Markdown's and Streamlit's constructs anywhere in a line: emphasis, code, links and
# images, HTML, tables, strike-through, LaTeX, :colour[...] and :icon: directives.
_MARKS = re.compile(r"([\\`*_\[\]()<>!#|~$:&@])")
_LINE_START = re.compile(r"^([-+=]|\d+(?=[.)]))")    # a list or heading where the name begins a line
# Streamlit links bare addresses after parsing (in the text, where escapes are already gone): a word joiner
# (U+2060, invisible, unbreakable) inside "://", "www." and after "@" leaves no address to find.
JOINER = "\u2060"
_ADDRESS = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)")
_SPACE = re.compile(r"\s+")


def md(name: object) -> str:
    """`name` for a Markdown string: shown exactly as typed (on one line), never as a link, image, tag or style.
    CommonMark shows a backslash-escaped punctuation mark as the mark itself; "mnist-default" needs none."""
    escaped = _MARKS.sub(r"\\\1", _SPACE.sub(" ", str(name)).strip())
    escaped = _LINE_START.sub(lambda m: m.group(1) + "\\" if m.group(1).isdigit() else "\\" + m.group(1), escaped)
    return _ADDRESS.sub(JOINER, escaped)


def html_text(name: object) -> str:
    """`name` for HTML (and plotly's labels): its characters, never tags or entities."""
    return html.escape(_SPACE.sub(" ", str(name)).strip())


def dataset(name: str | None, language: str | None = None) -> str:
    """A data set's name in the user's language (a built-in's), or the name its owner gave it (an own set's),
    or, for one no one knows (a deleted own set), the name as plain text: escape it where it meets Markdown."""
    from cnn import datasets

    info = datasets.find(name)
    if info is None:
        return str(name or "—")
    if info.own:
        return info.label
    return t(f"dataset_name.{info.name}", language or lang())


def dataset_choice(name: str, language: str | None = None) -> str:
    """A data set as a menu offers it (plain text): "MNIST 5k (offline)", or an own set's name and classes."""
    from cnn import datasets

    info = datasets.find(name)
    language = language or lang()
    if info is None:
        return str(name)
    if info.own:
        return t("dataset.own", language, name=info.label, n=len(info.classes))
    return t(f"dataset.{info.name}", language)


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
