"""The first lines of every page: make sure it runs inside app.py, then its title, subtitle and help box."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from pages.views.language import tr
from pages.views.sidebar import help_box


def begin(name: str, title_key: str | None = None, subtitle_key: str | None = None, help_key: str | None = None
          ) -> None:
    """Streamlit treats a folder named pages/ as its old file-based navigation until the entry script has
    called st.navigation (and AppTest starts every run that way), which would run this page without
    app.py: no language switch, no shared sidebar, no guard. Hand control back to app.py and rerun."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    st.title(tr(title_key or f"{name}.title"))
    if subtitle_key != "":
        st.caption(tr(subtitle_key or f"{name}.subtitle"))
    if help_key != "":        # "": the page shows its own (Draw's depends on the model's data set)
        help_box(name, help_key)
