"""Each lesson's live view (pages/lessons.py): the Lab's map view, the channel sums, the conv-as-matrix view
or a summary table on a prepared input, and a link that opens the Lab in the same state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnn import images, kernels, lessons, models, ops
from pages.views import channel_maps, conv_matrix, lab_maps, network_editor
from pages.views.language import lang, tr


def _lab_link(**params) -> str:
    """A link that opens the Convolution Lab in a prepared state (see pages/views/link.py)."""
    query = "&".join(f"{k}={v}" for k, v in {**params, "lang": lang()}.items())
    return f"/lab?{query}"


def _numbers(values) -> str:
    return ",".join(repr(float(v)) for v in np.ravel(values))


def _maps(image: np.ndarray, kernel: np.ndarray, *, stride=(1, 1), padding=0, activation="none", pooling="none",
          key: str, **options) -> None:
    """The Lab's map view on a prepared input (one channel)."""
    feature = ops.conv2d(image, kernel, stride=stride, padding=padding)
    activated = ops.activate(feature, activation)
    pooled = ops.pool2d(activated, size=2, stride=2, mode=pooling) if pooling != "none" else None
    pads = ops.resolve_padding(padding, kernel.shape, (1, 1))
    lab_maps.lab_maps(padded=ops.pad(image[None], pads, "zeros"), pads=pads, kernel=kernel[None], bias=0.0,
                      stride=stride, dilation=1, feature=feature, activated=activated, pooled=pooled,
                      pool=(2, 2, pooling if pooling != "none" else "max"), activation=activation, focus=0, key=key,
                      **options)


def view_1() -> None:
    # The outputs' numbers stay hidden: the exercises ask for them. Pointing at a cell shows its arithmetic.
    _maps(images.SEED_GRID, lessons.DIAGONAL, key="lesson_1", numbers=False, start=(2, 3))
    link = _lab_link(src="grid", grid=_numbers(images.SEED_GRID), k=3, w=_numbers(lessons.DIAGONAL), act="none",
                     pool="none", pad="valid")
    st.link_button(tr("lessons.open_lab"), link, icon=":material/grid_on:")


def view_2() -> None:
    digit, _ = images.mnist_digit(0)
    _maps(digit, kernels.preset("sobel_x"), stride=(2, 2), padding=1, key="lesson_2")
    link = _lab_link(src="digit", digit=0, k=3, sh=2, sw=2, pad="custom", padn=1, act="none", pool="none")
    st.link_button(tr("lessons.open_lab"), link, icon=":material/grid_on:")


def view_3() -> None:
    photo = images.sample_photo("astronaut", rgb=True, size=64)
    kernel = np.stack([kernels.preset("sobel_x"), kernels.preset("sobel_y"), kernels.preset("laplacian")])
    bias = 0.1
    feature = ops.conv2d(photo, kernel[None], bias=np.array([bias]))[0]
    channel_maps.rgb_partials(photo, kernel, bias, feature)
    st.markdown(tr("lesson.3.layouts"))
    nchw, nhwc = ("N", "C", "H", "W"), ("N", "H", "W", "C")
    sizes = {"N": 16, "C": 3, "H": 32, "W": 32}
    cols = st.columns(2)
    for column, name, axes in ((cols[0], "NCHW (PyTorch)", nchw), (cols[1], "NHWC (TensorFlow / Keras)", nhwc)):
        column.markdown(f"**{name}** · ({', '.join(str(sizes[a]) for a in axes)})")
        column.dataframe(pd.DataFrame({tr("lesson.3.axis"): list(range(4)), tr("lesson.3.meaning"): list(axes),
                                       tr("lesson.3.size"): [sizes[a] for a in axes]}), hide_index=True)
    st.link_button(tr("lessons.open_lab"), _lab_link(src="photo", photo="astronaut", rgb=1, psize=64, k=3,
                                                     w=_numbers(kernel), b=repr(bias), act="none", pool="none"),
                   icon=":material/grid_on:")


def view_4() -> None:
    digit, _ = images.mnist_digit(0)
    kernel = kernels.preset("sobel_x")
    _maps(digit, kernel, activation="relu", pooling="max", key="lesson_4")
    feature = ops.conv2d(digit, kernel)
    row = feature[int(np.argmax(np.abs(feature).max(axis=1)))]
    values = np.unique(np.round(row[row != 0], 3))[:8] if np.any(row) else np.linspace(-2, 2, 8)
    table = {"x": values}
    for name in ("relu", "leaky_relu", "sigmoid", "tanh"):
        table[tr(f"activation.{name}")] = ops.activate(values, name)
    exps = np.exp(values - values.max())
    table["softmax"] = exps / exps.sum()
    st.markdown(tr("lesson.4.values"))
    st.dataframe(pd.DataFrame(table).round(4), hide_index=True)


def view_5() -> None:
    image, kernel = images.SEED_GRID, lessons.DIAGONAL
    feature = ops.conv2d(image, kernel)
    counts = ops.connection_parameters(image.shape, kernel.shape)
    st.table(pd.DataFrame({tr("lab.params.kind"): [tr("lab.params.dense"), tr("lab.params.local"),
                                                   tr("lab.params.shared")],
                           tr("lab.params.count"): [f"{counts[k]:,}" for k in ("dense", "local", "shared")]})
             .set_index(tr("lab.params.kind")))
    conv_matrix.conv_matrix(image, kernel, 0.0, feature, stride=(1, 1), padding=0, dilation=1, pad_mode="zeros",
                            max_side=8, expanded=True, key="lesson_matrix")


def view_6() -> None:
    network_editor.summary_table(models.summary(models.preset("seed-mnist")))
    cols = st.columns(2)
    cols[0].page_link("pages/train.py", label=tr("lesson.6.open_train"), icon=":material/model_training:")
    cols[1].page_link("pages/draw.py", label=tr("lesson.6.open_draw"), icon=":material/draw:")


VIEWS = {1: view_1, 2: view_2, 3: view_3, 4: view_4, 5: view_5, 6: view_6}

# Lessons 7-9 (the lecture's ideas of shifts and layers, scaled pixels, dropout and the loss) live in their own module.
from pages.views import lesson_ideas  # noqa: E402

VIEWS.update(lesson_ideas.VIEWS)
