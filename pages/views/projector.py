"""Projector mode, for the screen at the front of the room: large type, no sidebar, legends always shown.
Turned on by the Class page's toggle or by a link (?projector=1, ?projector=0 to leave); it stays on for
the session and in the address, so every page opened from there is projected too."""

from __future__ import annotations

import streamlit as st

CSS = """<style>
html { font-size: 22px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] {
  display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
.legend, .labmaps .legend { display: flex !important; font-size: 1rem !important; }
[data-testid="stCaptionContainer"] { font-size: 0.95rem; }
</style>"""


def on() -> bool:
    return bool(st.session_state.get("projector"))


def set_on(value: bool) -> None:
    st.session_state.projector = bool(value)


def apply() -> None:
    """Read the link, keep the address in step, and restyle the page when projecting."""
    asked = st.query_params.get("projector")
    if asked in ("0", "1") and st.session_state.get("projector_link") != asked:
        st.session_state.projector_link = asked          # once per link: the toggle may change it later
        set_on(asked == "1")
    if on():
        st.query_params["projector"] = "1"
        st.html(CSS)
    elif "projector" in st.query_params:
        del st.query_params["projector"]
