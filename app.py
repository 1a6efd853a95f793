"""CNN Lab: the router. Page registry, language switch and the sidebar every page shares."""

from pathlib import Path

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



def _choose_language() -> None:
    # A plain session key, not the widget's own, so the choice outlives any page that skips the widget.
    st.session_state.lang = st.session_state.language_choice


with st.sidebar:
    st.selectbox(t("sidebar.language", lang), list(LANGUAGES), index=list(LANGUAGES).index(lang),
                 key="language_choice", format_func=LANGUAGES.get, on_change=_choose_language)
st.query_params["lang"] = lang


def _current_model_name() -> str:
    # Chosen with "Use this model" on the Train page; the shipped model until then.
    run_id = st.session_state.get("current_model")
    if run_id:
        return run_id
    from cnn import models

    shipped = Path(__file__).resolve().parent / "assets" / "models" / "mnist-default"
    accuracy = models.read_sidecar(shipped)["metrics"]["test_accuracy"]
    return t("sidebar.model_shipped", lang, acc=f"{100 * accuracy:.2f}%")


st.sidebar.caption(t("sidebar.model", lang, name=_current_model_name()))

page.run()
