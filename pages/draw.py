"""Draw & Predict: not built yet. Says so plainly and points to what works today."""

import streamlit as st

from pages._ui import sidebar_help, tr

st.title(tr("nav.draw"))
sidebar_help("draw")
st.info(tr("coming.badge"))
st.markdown(tr("draw.coming"))
st.page_link("pages/lab.py", label=tr("coming.try_lab"), icon="➡️")
