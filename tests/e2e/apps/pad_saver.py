"""Test-only app: the Draw page's pad; "Save" writes the drawing the server last received, as the pad sent it
(280x280 RGBA PNG), into $CNN_LAB_PAD_SAVES as 000.png, 001.png... The browser test that measures how well a
small network learns 20 drawings a class draws through it (tests/e2e/test_own_drawings_browser.py)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from PIL import Image  # noqa: E402

from pages.views import draw_pad  # noqa: E402

folder = Path(os.environ["CNN_LAB_PAD_SAVES"])
raw, seq = draw_pad.draw_pad("pad", 20)
st.write(f"received {seq}")
if st.button("Save", disabled=raw is None):
    Image.fromarray(raw).save(folder / f"{len(list(folder.glob('*.png'))):03d}.png")
st.write(f"saved {len(list(folder.glob('*.png')))}")
