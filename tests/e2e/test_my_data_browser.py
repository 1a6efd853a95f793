"""My data in a real browser: make a three-class set, draw samples on the pad, save each, watch the counts
grow and the pad wipe itself; the same page in Chinese; screenshots of both."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from harness import open_page, screenshot_whole, streamlit_server, wait_idle
from playwright.sync_api import expect
from test_browser import SHOTS
from test_draw_browser import draw_stroke

from cnn import my_data

TICK = [(60 + 8 * k, 150 + 8 * k) for k in range(8)] + [(124 + 10 * k, 214 - 16 * k) for k in range(10)]
CROSS = [[(60 + 16 * k, 60 + 16 * k) for k in range(11)], [(220 - 16 * k, 60 + 16 * k) for k in range(11)]]
RING = [(140 + 80 * math.sin(2 * math.pi * k / 36), 140 - 80 * math.cos(2 * math.pi * k / 36)) for k in range(37)]


@pytest.fixture()
def server(tmp_path):
    with streamlit_server(env={"CNN_LAB_MY_DATA": tmp_path / "my-data"}) as url:
        yield url, tmp_path / "my-data"


def _save(page) -> None:
    wait_idle(page)
    page.get_by_role("button", name="Save drawing").click()
    wait_idle(page)
    expect(page.locator(".drawpad")).to_have_attribute("data-strokes", "0")   # wiped for the next drawing


def test_draw_samples_and_see_the_counts_grow(server, chromium):
    url, folder = server
    context = chromium.new_context()                 # one browser: both tabs are the set's owner
    page = open_page(context, url + "/my_data", viewport=(1500, 1300))
    expect(page.get_by_text("No data set yet")).to_be_visible()
    page.get_by_role("textbox", name="Name of the data set").first.fill("Symbols")
    page.get_by_role("textbox", name="Classes, one a line (2 to 10)").fill("✓\n✗\n○")
    page.get_by_role("button", name="Create").click()
    wait_idle(page)
    expect(page.get_by_text("Data set Symbols created")).to_be_visible()
    [made] = my_data.list_sets(folder)

    for n in (1, 2, 3):
        draw_stroke(page, TICK)
        _save(page)
        expect(page.locator(".cnn-said", has_text="✓ · ")).to_have_text(f"✓ · samples: {n}")
    page.get_by_text("✗ (0)", exact=True).click()
    wait_idle(page)
    for stroke in CROSS:
        draw_stroke(page, stroke)
    _save(page)
    expect(page.locator(".cnn-said", has_text="✗ · ")).to_have_text("✗ · samples: 1")
    assert my_data.summary(made.id, folder).counts == [3, 1, 0]
    # Save with an empty pad: a hint, nothing added.
    page.get_by_role("button", name="Save drawing").click()
    wait_idle(page)
    expect(page.get_by_text("The pad is empty: draw something first.")).to_be_visible()
    assert my_data.summary(made.id, folder).counts == [3, 1, 0]
    SHOTS.mkdir(parents=True, exist_ok=True)
    screenshot_whole(page, str(SHOTS / "my-data-en.png"))

    zh = open_page(context, url + "/my_data?lang=zh", viewport=(1500, 1300))
    expect(zh.get_by_text("添加样本")).to_be_visible()
    zh.get_by_text("○ (0)", exact=True).click()
    wait_idle(zh)
    draw_stroke(zh, RING)
    wait_idle(zh)
    zh.get_by_role("button", name="保存这幅画").click()
    wait_idle(zh)
    expect(zh.locator(".cnn-said", has_text="○ · 样本数")).to_have_text("○ · 样本数：1")
    assert my_data.summary(made.id, folder).counts == [3, 1, 1]
    screenshot_whole(zh, str(SHOTS / "my-data-zh.png"))
    context.close()


MARKUP = "![x](http://127.0.0.1:9/x) [CLICK](http://x) <b>b</b> **bold**"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_names_with_markup_are_shown_as_typed(server, chromium, lang):
    url, folder = server
    made = my_data.create_set(MARKUP, [MARKUP, "plain"], owner="", root=folder)
    bar = np.zeros((280, 280, 4), np.uint8)
    bar[..., 3] = 255
    bar[40:240, 130:150, :3] = 255
    my_data.add_drawing(made.id, 0, bar, root=folder)
    page = open_page(chromium, f"{url}/my_data?lang={lang}", viewport=(1500, 1300))
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name=MARKUP)).to_be_visible()            # the header, as typed
    expect(main.get_by_text(MARKUP, exact=True).first).to_be_visible()
    assert main.locator('a[href="http://x"], a[href^="http://127"]').count() == 0   # no link ...
    assert main.locator('img[src^="http://127.0.0.1:9"]').count() == 0              # ... no image ...
    assert main.locator("b, strong").filter(has_text=re.compile(r"^b$|^bold$")).count() == 0   # ... no <b>, no **
    screenshot_whole(page, str(SHOTS / f"my-data-markup-{lang}.png"))
    page.close()
