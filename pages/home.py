"""Home: the whole pipeline of a CNN on one screen, with the real tensor shapes for MNIST."""

import numpy as np
import streamlit as st

from cnn import images, kernels, ops, viz
from pages import registry
from pages.views import class_banner
from pages.views.language import tr
from pages.views.page import begin

begin("home", subtitle_key="")
class_banner.show()   # a student of a class sees the teacher's assignment first
st.markdown(tr("home.lead"))

# Seed 001's network: Conv 32@3x3 -> ReLU -> MaxPool 2 -> Flatten -> Dense 100 -> Dense 10 -> softmax.
FILTERS, KERNEL, POOL, HIDDEN, CLASSES = 32, 3, 2, 100, 10
conv_side = ops.output_size(28, KERNEL)
pool_side = ops.output_size(conv_side, POOL, POOL)
flat = FILTERS * pool_side * pool_side

digit, label = images.mnist_digit(0)
# Until a trained model is chosen, classic hand-made kernels stand in for learned ones.
example = kernels.preset("sobel_x")
conv = ops.conv2d(digit, example)
relu = ops.activate(conv, "relu")
pooled = ops.pool2d(relu, size=POOL)

stages = [
    ("input", "1×28×28", viz.colorize(digit, signed=False)),
    ("conv", f"{FILTERS}×{conv_side}×{conv_side}", viz.colorize(conv, signed=True)),
    ("relu", f"{FILTERS}×{conv_side}×{conv_side}", viz.colorize(relu, signed=True)),
    ("pool", f"{FILTERS}×{pool_side}×{pool_side}", viz.colorize(pooled, signed=True)),
    ("flatten", f"{flat:,}", None),
    ("dense", f"{HIDDEN}", None),
    ("softmax", f"{CLASSES}", None),
]
columns = st.columns(len(stages))
for column, (key, shape, picture) in zip(columns, stages):
    with column.container(border=True, height=380):
        st.markdown(f"**{tr(f'home.stage.{key}')}**  \n`{shape}`")   # inline code: no code viewer to load
        if picture is not None:
            st.image(np.kron(picture, np.ones((4, 4, 1), dtype=np.uint8)), width="stretch")
        st.caption(tr(f"home.stage.{key}.text"))
st.caption(tr("home.pipeline.note", label=label))

st.subheader(tr("home.cards.title"))
shown = [entry for entry in registry.PAGES if entry.card]
for card, entry in zip(st.columns(len(shown)), shown):
    with card.container(border=True):
        st.page_link(entry.file, label=tr(f"nav.{entry.key}"), icon="➡️")
        st.caption(tr(f"home.card.{entry.key}"))
