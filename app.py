"""CNN Lab: the router. Page registry, language switch and the sidebar every page shares."""

import streamlit as st

from cnn.i18n import LANGUAGES, normalise_language, t

st.set_page_config(page_title="CNN Lab", page_icon="🧠", layout="wide")

# The language comes from the URL on first load (?lang=zh), so a teacher can share a link.
if "lang" not in st.session_state:
    st.session_state.lang = normalise_language(st.query_params.get("lang"))
lang = st.session_state.lang

PAGES = [  # (file, url path, catalog key, icon)
    ("pages/home.py", "home", "nav.home", ":material/home:"),
    ("pages/lab.py", "lab", "nav.lab", ":material/grid_on:"),
    ("pages/draw.py", "draw", "nav.draw", ":material/draw:"),
    ("pages/train.py", "train", "nav.train", ":material/model_training:"),
    ("pages/inside.py", "inside", "nav.inside", ":material/layers:"),
]
page = st.navigation([
    st.Page(path, title=t(key, lang), icon=icon, url_path=url, default=(url == "home"))
    for path, url, key, icon in PAGES
])

with st.sidebar:
    st.selectbox(t("sidebar.language", lang), list(LANGUAGES), key="lang", format_func=LANGUAGES.get)
st.query_params["lang"] = st.session_state.lang

page.run()
