"""Train: not built yet. Says so plainly and points to what works today."""

import streamlit as st

from pages._ui import sidebar_help, tr

st.title(tr("nav.train"))
sidebar_help("train")
st.info(tr("coming.badge"))
st.markdown(tr("train.coming"))
st.page_link("pages/lab.py", label=tr("coming.try_lab"), icon="➡️")
