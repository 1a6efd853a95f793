"""Convolution as a matrix: for a small one-channel input, the sparse matrix with shared weights whose
product with the flattened input is the feature map (checked on the page)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn import ops, viz
from pages.views.language import tr


def conv_matrix(image: np.ndarray, kernel: np.ndarray, bias: float, feature: np.ndarray, *, stride, padding,
                dilation: int, pad_mode: str, max_side: int, expanded: bool = False, key: str = "lab_matrix") -> None:
    """image (H, W) or (C, H, W); kernel (k, k) for a one-channel image. Drawn only while open: a closed
    expander costs the Lab's reruns nothing."""
    box = st.expander(tr("lab.matrix.title"), expanded=expanded, key=key, on_change="rerun")
    if not box.open:
        return
    with box:
        if image.ndim != 2 or max(image.shape) > max_side or pad_mode != "zeros":
            st.info(tr("lab.matrix.too_big", side=max_side))
            return
        if dilation != 1:
            st.info(tr("lab.matrix.no_dilation"))
            return
        size = kernel.shape[-1]
        index = ops.conv_weight_index(image.shape, (size, size), stride=stride, padding=padding)
        matrix = ops.conv_matrix(image.shape, kernel, stride=stride, padding=padding)
        st.caption(tr("lab.matrix.help", rows=matrix.shape[0], cols=matrix.shape[1],
                      nonzero=int((index >= 0).sum()), distinct=int(size * size)))
        shape = f"{matrix.shape[0]}×{matrix.shape[1]}"
        st.plotly_chart(viz.matrix_figure(index, matrix, title=tr("lab.matrix.figure", shape=shape), kernel=kernel,
                                          rows_title=tr("lab.matrix.rows"), cols_title=tr("lab.matrix.cols"),
                                          entry_title=tr("lab.matrix.entry")),
                        key="fig_matrix", config={"displayModeBar": False})
        same = np.allclose(matrix @ image.ravel() + bias, feature.ravel())
        st.markdown(tr("lab.matrix.check_ok" if same else "lab.matrix.check_bad"))
