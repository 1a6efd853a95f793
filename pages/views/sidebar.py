"""The sidebar every page shares: language, current model, and a "what am I looking at" box."""

from __future__ import annotations

import streamlit as st

from pages.views import language, model_menu
from pages.views.language import tr


def shared() -> None:
    language.switch()
    model_menu.menu()


def help_box(page: str, key: str | None = None) -> None:
    """The sidebar's "what am I looking at": the page's "<page>.help", or the string `key`."""
    with st.sidebar.expander(tr("help.title"), expanded=True):
        st.markdown(tr(key or f"{page}.help"))
