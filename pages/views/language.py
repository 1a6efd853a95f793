"""The language of this session: chosen in the sidebar, kept in the URL (?lang=zh) so a link opens in it."""

from __future__ import annotations

import streamlit as st

from cnn.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language, t


def lang() -> str:
    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def tr(key: str, /, **values) -> str:
    """The UI string `key` in this session's language."""
    return t(key, lang(), **values)


def start() -> None:
    """On a session's first run, take the language from the link."""
    if "lang" not in st.session_state:
        st.session_state.lang = normalise_language(st.query_params.get("lang"))


def _choose() -> None:
    # A plain session key, not the widget's own, so the choice outlives any page that skips the widget.
    st.session_state.lang = st.session_state.language_choice
    from pages.views import identity

    identity.keep_language(st.session_state.lang)   # a new tab opened without ?lang= opens in it


def switch() -> None:
    """The sidebar's language menu; the choice goes into the URL too. Options are codes: no label is stored."""
    current = lang()
    st.session_state.language_choice = current
    st.sidebar.selectbox(tr("sidebar.language"), list(LANGUAGES), key="language_choice", format_func=LANGUAGES.get,
                         on_change=_choose)
    st.query_params["lang"] = current
