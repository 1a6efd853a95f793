"""Inside the Network: not built yet. Says so plainly and points to what works today."""

import streamlit as st

from pages._ui import sidebar_help, tr

st.title(tr("nav.inside"))
sidebar_help("inside")
st.info(tr("coming.badge"))
st.markdown(tr("inside.coming"))
st.page_link("pages/lab.py", label=tr("coming.try_lab"), icon="➡️")
