"""Your own data, the whole way, as a student does it in a browser: make a three-class set on My data by
drawing (✓, ✗, ○, 12 each, with the mouse), train a small network on it from the Train page, use it, draw new
symbols on Draw & Predict and see them read as your classes, look Inside, then read the pages in Chinese."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from harness import open_page, screenshot_whole, streamlit_server, wait_idle
from playwright.sync_api import expect
from test_browser import SHOTS
from test_draw_browser import draw_stroke, top_guess

from cnn import my_data
from cnn.i18n import t

PER_CLASS = 12


def _tick(s, dx, dy):
    return [[(dx + s * x, dy + s * y) for x, y in [(40, 140), (60, 160), (80, 180), (100, 200), (120, 170),
                                                    (140, 140), (160, 110), (180, 80), (200, 50)]]]


def _cross(s, dx, dy):
    return [[(dx + s * (50 + 16 * k), dy + s * (50 + 16 * k)) for k in range(11)],
            [(dx + s * (210 - 16 * k), dy + s * (50 + 16 * k)) for k in range(11)]]


def _ring(s, dx, dy):
    turn = [2 * math.pi * k / 36 for k in range(38)]
    return [[(dx + s * (130 + 75 * math.sin(a)), dy + s * (130 - 75 * math.cos(a))) for a in turn]]


SYMBOLS = {"✓": _tick, "✗": _cross, "○": _ring}


def _draw(page, strokes) -> None:
    for points in strokes:
        draw_stroke(page, points)


@pytest.fixture()
def server(tmp_path):
    with streamlit_server(env={"CNN_LAB_MY_DATA": tmp_path / "my-data", "CNN_LAB_RUNS": tmp_path / "runs"}) as url:
        yield url, tmp_path / "my-data"


def _choose(page, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def test_a_student_draws_a_data_set_trains_on_it_and_the_network_reads_new_drawings(server, chromium):
    url, folder = server
    context = chromium.new_context()
    page = open_page(context, url + "/my_data", viewport=(1500, 1300))
    page.get_by_role("textbox", name="Name of the data set").first.fill("Symbols")
    page.get_by_role("textbox", name="Classes, one a line (2 to 10)").fill("✓\n✗\n○")
    page.get_by_role("button", name="Create").click()
    wait_idle(page)
    expect(page.get_by_text("Data set Symbols created")).to_be_visible()
    [made] = my_data.list_sets(folder)

    rng = np.random.default_rng(7)
    for label, (name, shape) in enumerate(SYMBOLS.items()):
        if label:
            page.get_by_text(f"{name} (0)", exact=True).click()
            wait_idle(page)
        for n in range(1, PER_CLASS + 1):
            scale, dx, dy = rng.uniform(0.7, 1.0), rng.uniform(-20, 30), rng.uniform(-20, 30)
            _draw(page, shape(scale, dx, dy))
            wait_idle(page)
            page.get_by_role("button", name="Save drawing").click()
            # Saved, and the pad wiped, before the next drawing (as a student sees the count go up).
            expect(page.locator(".cnn-said", has_text=f"{name} · ")).to_have_text(f"{name} · samples: {n}")
            wait_idle(page)
            expect(page.locator(".drawpad")).to_have_attribute("data-strokes", "0")
    assert my_data.summary(made.id, folder).counts == [PER_CLASS] * 3

    # Train: the set is in the menu by its name; a small network; the small-data defaults.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Train", exact=True).click()
    expect(page.get_by_role("heading", name="Train", exact=True)).to_be_visible()
    _choose(page, "Data set", "Symbols (your own · 3 classes)")
    _choose(page, "Network", "small-gray")
    expect(page.get_by_text(re.compile(r"About \d+ s on this server"))).to_be_visible()
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="Test accuracy")).to_be_visible(timeout=240_000)
    wait_idle(page)
    screenshot_whole(page, str(SHOTS / "own-flow-train-en.png"))
    page.get_by_role("button", name="Use this model").click()
    wait_idle(page)

    # Draw: new drawings read as the student's classes.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Draw & Predict").click()
    expect(page.get_by_text("Draw one of your classes (✓, ✗, ○)")).to_be_visible()
    for name, shape in SYMBOLS.items():
        page.get_by_role("button", name="Clear").first.click()
        wait_idle(page)
        for points in shape(0.85, 10, 10):
            draw_stroke(page, points)
        expect(top_guess(page)).to_have_text(name, timeout=20_000)
        wait_idle(page)
        if name == "○":
            page.screenshot(path=str(SHOTS / "own-flow-draw-en.png"))

    # Inside: the same ring through the network.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Inside the Network").click()
    expect(page.get_by_role("heading", name="Inside the Network")).to_be_visible()
    expect(page.get_by_text(re.compile(r"the network says [✓✗○]"))).to_be_visible()
    wait_idle(page)
    page.screenshot(path=str(SHOTS / "own-flow-inside-en.png"))

    # The same in Chinese, in the same session (the model in use is this session's choice).
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="简体中文").click()
    expect(page.get_by_role("heading", name="网络内部")).to_be_visible()
    page.locator('[data-testid="stSidebarNav"]').get_by_text("手写识别").click()
    expect(page.get_by_text("画出你的一个类别（✓、✗、○）")).to_be_visible()
    page.get_by_role("button", name=t("draw.clear", "zh")).first.click()
    wait_idle(page)
    for points in _cross(0.85, 10, 10):
        draw_stroke(page, points)
    expect(top_guess(page)).to_have_text("✗", timeout=20_000)
    wait_idle(page)
    page.screenshot(path=str(SHOTS / "own-flow-draw-zh.png"))
    page.locator('[data-testid="stSidebarNav"]').get_by_text(t("nav.my_data", "zh"), exact=True).click()
    expect(page.locator(".cnn-said", has_text="✓ · 样本数")).to_have_text(f"✓ · 样本数：{PER_CLASS}")
    wait_idle(page)
    screenshot_whole(page, str(SHOTS / "own-flow-my-data-zh.png"))
    context.close()
