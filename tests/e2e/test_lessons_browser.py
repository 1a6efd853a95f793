"""Lessons 7-9 (shifts and layers, scaled pixels and dropout, the loss) in a real browser, in both languages:
they open without an error, every figure draws, the shift slider moves the digit, and screenshots at 1440×1000."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from harness import ROOT, open_page, wait_idle
from playwright.sync_api import expect

from cnn import i18n

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "tests" / "e2e" / "artifacts"))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lesson", [7, 8, 9])
def test_the_new_lessons_open_and_draw_in_both_languages(chromium, app_url, lesson, lang):
    page = open_page(chromium, f"{app_url}/lessons?lesson={lesson}&lang={lang}", viewport=(1440, 1000))
    expect(page.get_by_role("heading", name=i18n.t(f"lesson.{lesson}.title", lang))).to_be_visible()
    wait_idle(page)
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0)
    assert page.locator('[data-testid="stException"]').count() == 0
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"lesson-{lesson}-{lang}.png"))
    # The rest of the lesson, a screen at a time (the sidebar stays; the lesson scrolls under it).
    page.mouse.move(900, 500)
    for part in range(2, 6):
        page.mouse.wheel(0, 900)
        wait_idle(page)
        expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0)
        page.screenshot(path=str(SHOTS / f"lesson-{lesson}-{lang}-{part}.png"))
    page.close()


def test_the_shift_slider_moves_the_digit_and_the_answer_stays(chromium, app_url):
    page = open_page(chromium, f"{app_url}/lessons?lesson=7&lang=en", viewport=(1440, 1000))
    caption = i18n.t("ideas.shift.input", "en", down=1, right=2)
    expect(page.get_by_text(caption)).to_be_visible()
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=i18n.t("ideas.shift.right", "en")).first
    thumb = slider.locator('[role="slider"], input[type="range"]').first
    thumb.focus()
    thumb.press("ArrowRight")
    wait_idle(page)
    expect(page.get_by_text(i18n.t("ideas.shift.input", "en", down=1, right=3))).to_be_visible()
    expect(page.get_by_text(i18n.t("ideas.shift.guess", "en", label="4", p="").split("(")[0].replace("*", "")
                            .strip())).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
