"""Maps that sit beside the Lab's main view: a colour input's three partial maps and their sum, and one
map per kernel when there are several. Pictures (or small charts with their numbers), nothing to click."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn import ops, viz
from pages.views import legend
from pages.views.language import tr

CHANNEL_NAMES = ("R", "G", "B")


def _show(values: np.ndarray, title: str, key: str, height: int = 260) -> None:
    """One map, its title above and its colour bar (with values) below."""
    st.markdown(f"**{title}**", unsafe_allow_html=True)
    if viz.as_picture(values.shape, clickable=False):
        st.image(viz.map_png(values), width="stretch")
    else:
        st.plotly_chart(viz.map_figure(values, height=height), key=key, config={"displayModeBar": False})
    legend.map_bar(values, True, tr("legend.value"))


def rgb_partials(image: np.ndarray, kernel: np.ndarray, bias: float, feature: np.ndarray, **geometry) -> None:
    """image (3, H, W), kernel (3, k, k): each channel ⊛ its kernel slice, their sum, and + b."""
    st.subheader(tr("lab.rgb.title"))
    st.caption(tr("lab.rgb.help"))
    partial = [ops.conv2d(image[c], kernel[c], **geometry) for c in range(3)]
    cols = st.columns(5)
    for c, name in enumerate(CHANNEL_NAMES):
        with cols[c]:
            _show(partial[c], f"{name} ⊛ k<sub>{name}</sub>", f"fig_partial_{c}")
    with cols[3]:
        _show(sum(partial), "Σ", "fig_partial_sum")
    with cols[4]:
        _show(feature, f"Σ + b ({bias:.2f})", "fig_partial_bias")


def several_maps(feature_maps: np.ndarray) -> None:
    """(M, H', W'): one map per kernel."""
    count, height, width = feature_maps.shape
    st.subheader(tr("lab.multi.title", n=count, shape=f"{count}×{height}×{width}"))
    st.caption(tr("lab.multi.help"))
    cols = st.columns(4)
    for m in range(count):
        with cols[m]:
            _show(feature_maps[m], tr("lab.kernel.number", n=m + 1), f"fig_map_{m}")
