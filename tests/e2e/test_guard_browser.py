"""In Chromium: a run named like Markdown shows as typed (no image, link or tag is made of it), and the Train
page guards the class's server: the estimate beside the layer table, a network too long to train refused
before Start, a student's third run refused, the queue with each run's estimate (screenshots, both languages)."""

import os
import re
import shutil
from pathlib import Path

import pytest
from harness import ROOT, open_page, wait_idle
from playwright.sync_api import expect

from cnn import i18n, runs
from pages.views import text
from tests.test_guard_pages import EVIL, _save_run

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "tests" / "e2e" / "artifacts"))
SIZE = (1440, 1000)


@pytest.fixture()
def evil_run():
    folder = _save_run("20261205-130000-000001-evil", name=EVIL, dataset="mnist-5k", spec_name=EVIL)
    yield folder.name
    shutil.rmtree(folder, ignore_errors=True)


def _as_read(words: str) -> re.Pattern:
    """`words` as a pattern that lets the invisible word joiners be anywhere."""
    return re.compile(f"{text.JOINER}?".join(map(re.escape, words)))


def _text(page, test_id: str) -> str:
    """What a reader sees (the word joiners that keep addresses from being linked are invisible)."""
    return page.get_by_test_id(test_id).inner_text().replace(text.JOINER, "")


def _nothing_made_of_the_name(page) -> None:
    for selector in ("img[src*='127.0.0.1:9']", "a[href='http://x']", "a[href*='127.0.0.1:9']"):
        found = page.locator(selector)
        assert found.count() == 0, (selector, [found.nth(i).evaluate("e => e.outerHTML") for i in range(found.count())])
    assert page.locator("[data-testid=stApp] b", has_text=re.compile(r"^b$")).count() == 0
    assert page.locator("[data-testid=stApp] strong", has_text=re.compile(r"^bold$")).count() == 0


def test_a_run_named_like_markdown_shows_as_typed(chromium, app_url, evil_run):
    page = open_page(chromium, f"{app_url}/train?job={evil_run}", viewport=SIZE)
    page.get_by_role("button", name="Use this model").click()
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(_as_read(EVIL + " is now the current model"))   # the message, and the title:
    assert _text(page, "stMain").count(EVIL) >= 2
    assert EVIL in page.get_by_test_id("stSidebar").aria_snapshot()   # the model menu, as the reader hears it
    _nothing_made_of_the_name(page)
    # The compare chart (plotly reads tags in a trace's name): the name reaches it escaped, drawn as typed.
    page.wait_for_selector(".st-key-compare_chart .js-plotly-plot")
    name = page.evaluate("document.querySelector('.st-key-compare_chart .js-plotly-plot').data[0].name")
    assert name.startswith("![x](http://127.0.0.1:9/x) [CLICK](http://x) &lt;b&gt;b&lt;/b&gt; **bold**"), name
    for title in ("Draw & Predict", "Inside the Network"):     # in the same session, which chose the model
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
        wait_idle(page)
        expect(page.get_by_text("Model:").first).to_be_visible()
        assert f"Model: {EVIL} · trained on" in _text(page, "stMain")
        _nothing_made_of_the_name(page)
    page.close()


def _select(page, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def _epochs_to(page, label: str, key: str) -> None:
    slider = page.get_by_test_id("stSlider").filter(has_text=label)
    slider.locator('input[type="range"]').focus()
    slider.locator('input[type="range"]').press(key)
    wait_idle(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_train_page_guards_the_server(chromium, app_url, lang):
    def say(key, **values):
        return i18n.t(key, lang, **values)

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_page(chromium, f"{app_url}/train?lang={lang}", viewport=SIZE)
    start = page.get_by_role("button", name=say("train.start"))
    estimate = page.get_by_text(re.compile(re.escape(say("train.estimate", time="XX", macs="", images="",
                                                         epochs="").split("XX")[0].split(": ", 1)[1])))
    expect(estimate).to_be_visible(timeout=30_000)
    expect(start).to_be_enabled()
    page.screenshot(path=str(SHOTS / f"train-estimate-{lang}.png"))
    # The shipped model's network on all of MNIST for 30 epochs: more work than this server does in 10 minutes.
    _select(page, say("train.dataset"), say("dataset.mnist"))
    _select(page, say("train.preset"), "mnist-default")
    _epochs_to(page, say("train.epochs"), "End")
    refusal = page.get_by_test_id("stAlertContentError").filter(has_text=say("train.invalid_cost", reason="")[:8])
    expect(refusal).to_be_visible()
    expect(start).to_be_disabled()
    page.screenshot(path=str(SHOTS / f"train-refused-{lang}.png"))
    # Back to the offline digits, 10 epochs: two runs (one trains, one waits), and a third is refused.
    _select(page, say("train.dataset"), say("dataset.mnist-5k"))
    _epochs_to(page, say("train.epochs"), "Home")
    for _ in range(9):
        _epochs_to(page, say("train.epochs"), "ArrowRight")
    expect(start).to_be_enabled()
    before = {r.id for r in runs.list_runs()}
    for _ in range(3):
        start.click()
        wait_idle(page)
    expect(page.get_by_text(say("train.queue_full")[:20])).to_be_visible()
    mine = {r.id for r in runs.list_runs()} - before
    assert len(mine) == 2
    expect(page.get_by_text(re.compile(r"(≈|约) \d")).first).to_be_visible()
    page.screenshot(path=str(SHOTS / f"train-third-run-{lang}.png"))            # the message beside Start
    board = page.get_by_text(say("train.board", n=0).split("(")[0].split("（")[0].strip()).first
    board.scroll_into_view_if_needed()
    page.locator(f".st-key-job_{sorted(mine)[0]}").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"train-queue-{lang}.png"))                # the queue with its estimates
    # Stop both, so they do not hold the queue: each is watched from the queue, then stopped.
    for run_id in mine:
        row = page.locator(f".st-key-job_{run_id}")
        if row.get_by_role("button", name=say("train.watch"), exact=True).is_enabled():
            row.get_by_role("button", name=say("train.watch"), exact=True).click()
            wait_idle(page)
        page.get_by_test_id("stMainBlockContainer").get_by_role("button", name=say("train.stop"), exact=True).click()
        wait_idle(page)
    page.close()
