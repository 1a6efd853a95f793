"""The words, in a real browser: a reload keeps the language (on every page, after page switches) and the
lessons' progress (kept on the server under the browser's token); the Train and Lessons pages photographed
in both languages.

Each browser page here is a fresh context (Playwright's new_page), so its storage starts empty.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from harness import ROOT, open_page, wait_idle
from playwright.sync_api import expect

from cnn import lessons
from cnn.i18n import t
from pages import registry

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "tests" / "e2e" / "artifacts"))
PAGES = [entry.url for entry in registry.PAGES]


def _reload(page) -> None:
    page.reload()
    page.wait_for_selector('[data-testid="stApp"]')
    wait_idle(page)


def test_a_solved_exercise_is_still_solved_after_a_reload(chromium, app_url):
    item = lessons.LESSONS[min(lessons.LESSONS)][0]
    total = len(lessons.all_exercises())
    page = open_page(chromium, app_url + "/lessons?lang=en", viewport=(1440, 1000))
    progress = page.get_by_text(re.compile(r"\d+ of \d+ exercises solved"))
    expect(progress).to_have_text(f"0 of {total} exercises solved")
    wait_idle(page)                        # a rerun still drawing the form would drop what is typed
    page.get_by_label("Your answer").first.fill(item.solution_text())
    expect(page.get_by_label("Your answer").first).to_have_value(item.solution_text())
    page.get_by_role("button", name="Check").first.click()
    expect(progress).to_have_text(f"1 of {total} exercises solved")
    heading = page.get_by_role("heading", name=f"Exercise {item.id} · ✓ solved")
    expect(heading).to_be_visible()
    _reload(page)          # a new session: the server kept it under this browser's token (its cookie)
    expect(progress).to_have_text(f"1 of {total} exercises solved")
    expect(heading).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "words-lessons-after-reload-en.png"))
    page.close()


def test_a_reload_keeps_the_language_on_every_page_and_after_page_switches(chromium, app_url):
    page = open_page(chromium, app_url + "/?lang=zh", viewport=(1440, 1000))
    nav = page.locator('[data-testid="stSidebarNav"]')
    for name in PAGES:
        nav.get_by_text(t(f"nav.{name}", "zh"), exact=True).click()
        wait_idle(page)
        expect(page).to_have_url(re.compile(r"[?&]lang=zh"))
        _reload(page)
        expect(page).to_have_url(re.compile(r"[?&]lang=zh"))
        # Still Chinese after the reload: the sidebar's menus and the language menu say so.
        expect(nav.get_by_text(t(f"nav.{name}", "zh"), exact=True)).to_be_visible()
        language = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
        expect(language.get_by_role("combobox")).to_have_value("简体中文")
        assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", ["train", "lessons"])
def test_screenshot_train_and_lessons_at_1440(chromium, app_url, name, lang):
    page = open_page(chromium, f"{app_url}/{name}?lang={lang}", viewport=(1440, 1000))
    expect(page.locator("h1").first).to_be_visible()
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0)
    assert page.locator('[data-testid="stException"]').count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"words-{name}-{lang}.png"))
    page.set_viewport_size({"width": 1440, "height": 2400})   # the page scrolls inside itself: a taller view
    wait_idle(page)
    page.screenshot(path=str(SHOTS / f"words-{name}-{lang}-tall.png"))
    page.close()


def test_the_uploader_speaks_the_pages_language(chromium, app_url):
    page = open_page(chromium, app_url + "/draw?lang=zh", viewport=(1440, 1000))
    page.locator('[data-testid="stMain"] [data-testid="stRadio"]').first.get_by_text("上传", exact=True).click()
    zone = page.locator('[data-testid="stFileUploaderDropzone"]').first
    expect(zone).to_be_visible()
    wait_idle(page)
    # Streamlit's own English words are hidden and ours drawn in their place.
    shown = zone.evaluate("""z => {
        const p = z.querySelector('button p');
        const tip = z.querySelector('[data-testid=stFileUploaderDropzoneInstructions]'), first = tip.firstElementChild;
        return {button: getComputedStyle(p, '::after').content, size: getComputedStyle(p).fontSize,
                drop: getComputedStyle(tip, '::after').content,
                english: first ? getComputedStyle(first).display : 'none'};
    }""")
    assert shown == {"button": f'"{t("upload.button", "zh")}"', "size": "0px", "drop": f'"{t("upload.drop", "zh")}"',
                     "english": "none"}, shown
    page.close()
