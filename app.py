"""CNN Lab: the router. Page registry, the sidebar every page shares, and the guard around every page."""

import streamlit as st

from cnn.i18n import normalise_language, t
from pages import registry

st.set_page_config(page_title="CNN Lab", page_icon="🧠", layout="wide")

# The language comes from the URL on a session's first run (?lang=zh), so a teacher can share a link;
# without one, from this browser's last choice (kept with its token in the classroom database).
if "lang" not in st.session_state:
    wanted = st.query_params.get("lang")
    if wanted is None:
        from pages.views.identity import remembered_language

        wanted = remembered_language()
    st.session_state.lang = normalise_language(wanted)

HOME_ROOT = "index"  # Home is the default page, served at "/"; Streamlit names it by this internal path
home = registry.HOME
page = st.navigation([
    st.Page(entry.file, title=t(f"nav.{entry.key}", st.session_state.lang), icon=entry.icon,
            url_path=HOME_ROOT if entry is home else entry.url, default=entry is home)
    for entry in registry.PAGES
] + [  # ... and Home answers at its own address too: /home runs the same page (hidden from the menu)
    st.Page(home.file, title=t(f"nav.{home.key}", st.session_state.lang), icon=home.icon, url_path=home.url,
            visibility="hidden"),
])

from pages.views import errors, owner, projector, shared, sidebar  # noqa: E402  (after st.navigation: see pages/views/__init__)

shared.warm_up()
errors.guard(owner.browser_token)()   # who this browser is, before any page asks (pages/views/identity.py)
errors.guard(projector.apply)()
errors.guard(sidebar.shared)()
errors.guard(page.run)()
