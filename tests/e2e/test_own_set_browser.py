"""An own data set in a real browser: a server whose every process knows a fake own set (tests/fake_own_sets.py,
named in CNN_LAB_DATASET_SOURCES: three classes of colour pictures). Train on it from the Train page (the
training worker loads it), click a cell of its confusion matrix, use the model, draw on Draw & Predict, look
Inside; in English and Chinese, with screenshots."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from harness import open_page, screenshot_whole, streamlit_server, wait_idle
from PIL import Image
from playwright.sync_api import expect
from test_browser import SHOTS, _box
from test_draw_browser import draw_stroke, top_guess

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
from own_source import SYMBOLS, fake_set  # noqa: E402  (the server's set, made again here: not registered)

CLASSES = SYMBOLS["classes"]
LABEL = SYMBOLS["label"]


@pytest.fixture(scope="module")
def own_url(tmp_path_factory):
    env = {"CNN_LAB_RUNS": tmp_path_factory.mktemp("own-runs"), "CNN_LAB_DATASET_SOURCES": "fake_own_sets",
           "PYTHONPATH": os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p)}
    with streamlit_server(env=env) as url:
        yield url


def _choose(page, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def test_train_on_an_own_set_then_draw_and_look_inside(chromium, own_url, tmp_path):
    page = open_page(chromium, own_url + "/train", viewport=(1600, 1400))
    _choose(page, "Data set", f"{LABEL} (your own · 3 classes)")
    expect(page.get_by_text("Your data set's pictures are 3×28×28")).to_be_visible()
    expect(page.get_by_text("542,099 parameters", exact=False)).to_be_visible()    # 3 input channels, 3 classes
    batch = page.locator('[data-testid="stSlider"]').filter(has_text="Batch size").locator('input[type="range"]')
    batch.focus()
    batch.press("Home")                                   # batches of 16: several steps an epoch on 36 pictures
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="Epochs").locator('input[type="range"]')
    thumb.focus()
    for _ in range(5):
        thumb.press("ArrowRight")                         # 8 epochs
    wait_idle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "own-train-setup-en.png"))
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="Test accuracy")).to_be_visible(timeout=180_000)
    # The matrix names the classes; the cell of true ✓, answered ✓ shows its pictures.
    box = _box(page, ".st-key-confusion_chart .nsewdrag")
    page.mouse.click(box["x"] + 0.5 * box["width"] / 3, box["y"] + 0.5 * box["height"] / 3)
    expect(page.get_by_text(re.compile(r"✓ read as ✓: \d+ shown"))).to_be_visible(timeout=20_000)
    wait_idle(page)
    screenshot_whole(page, str(SHOTS / "own-train-results-en.png"))
    page.get_by_role("button", name="Use this model").click()
    wait_idle(page)

    page.locator('[data-testid="stSidebarNav"]').get_by_text("Draw & Predict").click()
    expect(page.get_by_text("Draw one of your classes (✓, ✗, ○)")).to_be_visible()
    draw_stroke(page, [(30, 30), (110, 30), (110, 110), (30, 110), (30, 30)])
    expect(top_guess(page)).to_have_text(re.compile("^[✓✗○]$"))
    wait_idle(page)
    page.screenshot(path=str(SHOTS / "own-draw-en.png"))
    # A colour picture uploaded for this colour model is read in colour: one of the set's test pictures,
    # enlarged 4x as a PNG, shrinks back to itself and is read as its class.
    fake = fake_set(**SYMBOLS)
    row = fake.split("test")[5]
    picture = np.kron(fake.images[row].transpose(1, 2, 0), np.ones((4, 4, 1), dtype=np.uint8))
    Image.fromarray(picture, "RGB").save(tmp_path / "mine.png")
    page.get_by_text("Upload", exact=True).click()
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(tmp_path / "mine.png"))
    expect(top_guess(page)).to_have_text(CLASSES[fake.labels[row]])
    wait_idle(page)
    page.screenshot(path=str(SHOTS / "own-draw-upload-en.png"))

    page.locator('[data-testid="stSidebarNav"]').get_by_text("Inside the Network").click()
    expect(page.get_by_role("heading", name="Inside the Network")).to_be_visible()
    expect(page.get_by_text(re.compile(r"the network says [✓✗○]"))).to_be_visible()
    wait_idle(page)
    page.screenshot(path=str(SHOTS / "own-inside-en.png"))

    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    box.click()
    page.get_by_role("option", name="简体中文").click()
    expect(page.get_by_role("heading", name="网络内部")).to_be_visible()
    page.locator('[data-testid="stSidebarNav"]').get_by_text("手写识别").click()
    expect(page.get_by_text("画出你的一个类别（✓、✗、○）")).to_be_visible()
    page.get_by_text("手写", exact=True).click()              # the input was left on the upload
    wait_idle(page)
    draw_stroke(page, [(30, 30), (110, 30), (110, 110), (30, 110), (30, 30)])
    expect(top_guess(page)).to_have_text(re.compile("^[✓✗○]$"))
    wait_idle(page)
    page.screenshot(path=str(SHOTS / "own-draw-zh.png"))
    page.locator('[data-testid="stSidebarNav"]').get_by_text("训练", exact=True).click()
    expect(page.get_by_role("heading", name="训练", exact=True)).to_be_visible()
    _choose(page, "数据集", f"{LABEL}（你的数据集 · 3 类）")
    expect(page.get_by_text("你的数据集里的图片是 3×28×28")).to_be_visible()
    wait_idle(page)
    page.screenshot(path=str(SHOTS / "own-train-setup-zh.png"))
    page.close()
