"""Draw & Predict and Inside the Network in a real browser: draw a 1 and a 0, clear, Chinese, screenshots."""

from __future__ import annotations

import math
import re

import pytest
from harness import open_page, wait_idle
from playwright.sync_api import expect
from test_browser import SHOTS, _box

CANVAS = ".drawpad canvas"


def draw_stroke(page, points) -> None:
    """One mouse stroke through `points` given in canvas pixels (0..280)."""
    box = _box(page, CANVAS)
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.up()


ONE = [(150, 40 + 10 * step) for step in range(21)]                 # one vertical stroke
ZERO = [(140 + 55 * math.sin(2 * math.pi * k / 40), 140 - 90 * math.cos(2 * math.pi * k / 40)) for k in range(43)]


def top_guess(page):
    return page.get_by_test_id("top-guess")


@pytest.fixture()
def draw(chromium, app_url):
    page = open_page(chromium, app_url + "/draw", viewport=(1600, 1200))
    expect(page.get_by_text("Draw a digit on the canvas to see what the network reads.")).to_be_visible()
    yield page
    page.close()


def test_draw_a_one_then_a_zero_then_clear(draw):
    draw_stroke(draw, ONE)
    expect(top_guess(draw)).to_have_text("1")
    # Python tells the pad which picture it took up (the pad's pace while the pen moves depends on it): the
    # last one sent, the one whose probabilities show.
    sent = draw.locator(".drawpad").get_attribute("data-sent")
    expect(draw.locator(".drawpad")).to_have_attribute("data-taken", sent)
    expect(draw.get_by_test_id("probability-bars")).to_have_attribute("data-seq", sent)
    expect(draw.get_by_text(re.compile(r"confidence (> 99\.9%|\d+\.\d%)"))).to_be_visible()
    draw.get_by_role("button", name="Clear").click()
    expect(draw.get_by_text("Draw a digit on the canvas to see what the network reads.")).to_be_visible()
    expect(top_guess(draw)).to_have_count(0)
    draw_stroke(draw, ZERO)
    expect(top_guess(draw)).to_have_text("0")
    expect(draw.get_by_text("centred · 28×28")).to_be_visible()
    wait_idle(draw)
    SHOTS.mkdir(parents=True, exist_ok=True)
    draw.screenshot(path=str(SHOTS / "draw-drawn-en.png"))


def test_a_dot_gets_a_hint_and_chinese_reads_a_one(draw):
    draw_stroke(draw, [(140, 140), (141, 141), (142, 140)])
    expect(draw.get_by_text("That is only a dot.")).to_be_visible()
    box = draw.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    box.click()
    draw.get_by_role("option", name="简体中文").click()
    expect(draw.get_by_role("heading", name="手写识别")).to_be_visible()
    draw.get_by_role("button", name="清空").click()
    draw_stroke(draw, ONE)
    expect(top_guess(draw)).to_have_text("1")
    expect(draw.get_by_text(re.compile(r"置信度 (> 99\.9%|\d+\.\d%)"))).to_be_visible()
    wait_idle(draw)
    draw.screenshot(path=str(SHOTS / "draw-drawn-zh.png"))
    # The Inside page starts from this drawing.
    draw.locator('[data-testid="stSidebarNav"]').get_by_text("网络内部").click()
    expect(draw.get_by_role("heading", name="网络内部")).to_be_visible()
    expect(draw.get_by_text(re.compile(r"网络的判断是 1"))).to_be_visible()


def test_inside_click_a_feature_map_shows_its_kernel(chromium, app_url):
    page = open_page(chromium, app_url + "/inside", viewport=(1600, 3000))
    expect(page.get_by_text("32 feature maps · 32×24×24")).to_be_visible()
    expect(page.get_by_text("Feature map 0", exact=True)).to_be_visible()
    box = _box(page, ".st-key-mosaic_mnist-default_0 canvas")
    # The mosaic is 8 maps wide and 4 high: click the middle of the second map of the first row.
    page.mouse.click(box["x"] + 1.5 * box["width"] / 8, box["y"] + 0.5 * box["height"] / 4)
    expect(page.get_by_text("Feature map 1", exact=True)).to_be_visible(timeout=20_000)
    expect(page.get_by_text(re.compile(r"It comes from kernel 1 of layer 1"))).to_be_visible()
    # Click cell (5, 18) of that 24x24 map: its arithmetic appears below, and matches the map.
    box = _box(page, ".st-key-inside_one_map_0 canvas")
    page.mouse.click(box["x"] + 18.5 * box["width"] / 24, box["y"] + 5.5 * box["height"] / 24)
    line = page.get_by_text(re.compile(r"cell \(5, 18\) of map 1"))
    expect(line).to_be_visible(timeout=20_000)
    value, check = re.search(r"\*?\*?(-?\d+\.\d+)\*?\*?: cell.*computed as (-?\d+\.\d+)", line.inner_text()).groups()
    assert abs(float(value) - float(check)) < 2e-4
    # The pointer rests on that cell: the map names it and its value (drawn by the browser, no round trip).
    page.mouse.move(box["x"] + 18.5 * box["width"] / 24, box["y"] + 5.5 * box["height"] / 24)
    hover = page.locator(".st-key-inside_one_map_0 .hover")
    expect(hover).to_have_text(re.compile(r"row 5, column 18: -?\d+\.\d{4}"))
    assert abs(float(hover.inner_text().rsplit(": ", 1)[1]) - float(value)) < 1e-4
    # The Row slider moves the cell; a click on the cell picked before picks it again.
    row = page.locator('[data-testid="stSlider"]').filter(has_text="Row").first.locator('input[type="range"]')
    row.focus()
    row.press("ArrowRight")
    expect(page.get_by_text(re.compile(r"cell \(6, 18\) of map 1"))).to_be_visible(timeout=20_000)
    page.mouse.click(box["x"] + 18.5 * box["width"] / 24, box["y"] + 5.5 * box["height"] / 24)
    expect(page.get_by_text(re.compile(r"cell \(5, 18\) of map 1"))).to_be_visible(timeout=20_000)
    wait_idle(page)
    page.screenshot(path=str(SHOTS / "inside-clicked-en.png"))


def test_an_upload_that_is_not_an_image_gets_a_message(draw, tmp_path):
    fake = tmp_path / "digit.png"
    fake.write_text("not an image at all")
    draw.get_by_text("Upload", exact=True).click()
    draw.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(fake))
    expect(draw.get_by_text("This file is not a picture CNN Lab can read.")).to_be_visible()
    draw.get_by_text("Sample", exact=True).click()                 # and the page goes on working
    expect(top_guess(draw)).to_be_visible()


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] >= 0 \
        and box["x"] + box["width"] <= size["width"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_on_a_phone_the_top_guess_stays_in_sight_while_drawing(chromium, app_url, lang):
    """At 390×844 the columns stack: the pad first, the answer below it. The top guess is pinned to the bottom
    of the screen, so the student sees it while the pad is in view and the stroke goes on."""
    page = open_page(chromium, f"{app_url}/draw?lang={lang}", viewport=(390, 844))
    pad = page.locator(CANVAS)
    pad.scroll_into_view_if_needed()
    expect(pad).to_be_visible()
    draw_stroke(page, ONE)
    expect(top_guess(page)).to_have_text("1")
    assert _in_view(page, pad), "the pad is off screen"
    assert _in_view(page, top_guess(page)), "the top guess is off screen while the pad is in view"
    wait_idle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"draw-phone-drawn-{lang}.png"))
    page.close()
