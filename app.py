"""CNN Lab: the router. Page registry, the sidebar every page shares, and the guard around every page."""

import streamlit as st

from cnn.i18n import normalise_language, t

st.set_page_config(page_title="CNN Lab", page_icon="🧠", layout="wide")

# The language comes from the URL on a session's first run (?lang=zh), so a teacher can share a link.
if "lang" not in st.session_state:
    st.session_state.lang = normalise_language(st.query_params.get("lang"))

PAGES = [  # (file, url path, catalog key, icon)
    ("pages/home.py", "home", "nav.home", ":material/home:"),
    ("pages/lessons.py", "lessons", "nav.lessons", ":material/school:"),
    ("pages/lab.py", "lab", "nav.lab", ":material/grid_on:"),
    ("pages/learn.py", "learn", "nav.learn", ":material/trending_down:"),
    ("pages/draw.py", "draw", "nav.draw", ":material/draw:"),
    ("pages/train.py", "train", "nav.train", ":material/model_training:"),
    ("pages/inside.py", "inside", "nav.inside", ":material/layers:"),
]
HOME_ROOT = "index"  # Home is the default page, served at "/"; Streamlit names it by this internal path
page = st.navigation([
    st.Page(path, title=t(key, st.session_state.lang), icon=icon, url_path=HOME_ROOT if url == "home" else url,
            default=(url == "home"))
    for path, url, key, icon in PAGES
] + [  # ... and Home answers at its own address too: /home runs the same page (hidden from the menu)
    st.Page(PAGES[0][0], title=t(PAGES[0][2], st.session_state.lang), icon=PAGES[0][3], url_path=PAGES[0][1],
            visibility="hidden"),
])

from pages.views import errors, shared, sidebar  # noqa: E402  (after st.navigation: see pages/views/__init__)

shared.warm_up()
errors.guard(sidebar.shared)()
errors.guard(page.run)()
