"""The lessons in Chromium at 1440×1000, both languages: the new live views draw, a classic mistake gets the
hint that names it, lessons 7-9 open and draw every figure, the shift slider moves the digit, and a screenshot
of each lesson is saved under tests/e2e/artifacts/ to look at."""

import os
from pathlib import Path

import pytest
from harness import ROOT, open_page, wait_idle
from playwright.sync_api import expect

from cnn import i18n, lessons

VIEWS = {1: "lesson.1.several.title", 2: "lesson.2.side.title", 3: "lesson.3.mix.title"}
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "tests" / "e2e" / "artifacts"))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lesson", [1, 2, 3, 5])
def test_a_lesson_shows_its_views_and_names_a_mistake(chromium, app_url, lesson, lang):
    page = open_page(chromium, f"{app_url}/lessons?lesson={lesson}&lang={lang}", viewport=(1440, 1000))
    expect(page.get_by_role("heading", name=i18n.t(f"lesson.{lesson}.title", lang))).to_be_visible()
    wait_idle(page)
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0)
    assert page.locator('[data-testid="stException"]').count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"lesson-{lesson}-{lang}-top.png"))
    if lesson in VIEWS:                # the new live view, scrolled into sight
        heading = page.get_by_role("heading", name=i18n.t(VIEWS[lesson], lang, s=2))
        expect(heading).to_be_visible()
        heading.evaluate("e => e.scrollIntoView({block: 'start'})")
        expect(page.locator('[data-testid="stImage"] img').last).to_be_visible()
        page.screenshot(path=str(SHOTS / f"lesson-{lesson}-{lang}-view.png"))
    # The first exercise's first classic mistake, typed as a student would: its own hint appears.
    item = lessons.LESSONS[lesson][0]
    mistake = item.mistakes[0]
    field = page.locator(f".st-key-answer_{item.id} input")
    field.fill(item.answer_text(mistake.value()))
    page.get_by_role("button", name=i18n.t("exercise.check", lang)).first.click()
    wait_idle(page)
    hint = i18n.t(f"exercise.{item.id}.mistake.{mistake.key}", lang, **item.params)
    warning = page.locator('[data-testid="stAlertContentWarning"]').first
    expect(warning).to_contain_text(hint[:20])
    warning.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"lesson-{lesson}-{lang}-hint.png"))
    if lesson == 5:      # the worked comparison of 5a, with one bias per dense unit
        page.locator("summary").filter(has_text=i18n.t("exercise.show", lang)).first.click()
        last = page.get_by_text("4,521,600").first          # the last line of the comparison
        expect(last).to_be_visible()
        last.scroll_into_view_if_needed()
        expect(last).to_be_in_viewport(ratio=1)             # the expander has finished opening
        expect(page.get_by_text("196,250").first).to_be_in_viewport(ratio=1)
        page.screenshot(path=str(SHOTS / f"lesson-{lesson}-{lang}-solution.png"))
    page.close()


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
