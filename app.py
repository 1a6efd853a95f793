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



def _choose_language() -> None:
    # A plain session key, not the widget's own, so the choice outlives any page that skips the widget.
    st.session_state.lang = st.session_state.language_choice


with st.sidebar:
    st.selectbox(t("sidebar.language", lang), list(LANGUAGES), index=list(LANGUAGES).index(lang),
                 key="language_choice", format_func=LANGUAGES.get, on_change=_choose_language)
st.query_params["lang"] = lang


def _choose_model() -> None:
    st.session_state.current_model = st.session_state.model_choice


# The model every page uses. A plain session key holds the choice (the Train page's "Use this model"
# sets it too); the menu is brought in line with it before it is drawn.
with st.sidebar:
    from pages._ui import current_choice, model_choices, model_label

    st.session_state.model_choice = current_choice()
    st.selectbox(t("sidebar.model", lang), model_choices(), key="model_choice",
                 format_func=lambda choice: model_label(choice, lang), on_change=_choose_model,
                 help=t("sidebar.model_help", lang))

page.run()
