"""Test-only page: the augmentation preview over a small data set (tests/test_augment_preview.py). The
session's "colour" and "flips" pick the set and the flag; "lang" the language."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402

from cnn import data  # noqa: E402
from pages.views.augment_preview import augment_preview  # noqa: E402


@st.cache_resource
def sample_set(colour: bool) -> data.Dataset:
    """Three classes of eight made-up drawings each: a bar, a cross, a ring (in red, green and blue)."""
    images = np.zeros((24, 3 if colour else 1, 28, 28), dtype=np.uint8)
    rows, cols = np.indices((28, 28))
    for i in range(24):
        label, shift = i % 3, i // 3 - 4
        shape = [(abs(cols - 14 - shift) < 3) & (abs(rows - 14) < 9),
                 (abs(rows - cols - shift) < 2) | (abs(rows + cols - 28 - shift) < 2),
                 abs(np.hypot(rows - 14, cols - 14 - shift) - 8) < 2][label]
        images[i, label if colour else 0][shape] = 255
    return data._dataset("own-preview", "train", images, np.arange(24) % 3, ["bar <b>", "✗ *x*", "ring"])


augment_preview(sample_set(st.session_state.get("colour", False)), flips=st.session_state.get("flips", False),
                augmented=st.session_state.get("augmented", True))
