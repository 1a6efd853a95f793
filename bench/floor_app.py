"""Streamlit's floor: the barest page that answers a control (one slider, one line of text). Every
browser figure in bench/ is given as a ratio to this page's time, measured in the same run."""

import streamlit as st

value = st.slider("Floor", 0, 100, 50)
st.markdown(f'<div data-testid="floor-value">{value}</div>', unsafe_allow_html=True)
