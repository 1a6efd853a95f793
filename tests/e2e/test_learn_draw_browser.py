"""How a kernel learns, Draw with the shapes model, Inside and Home in a real browser at 1440×1000: nothing
overlaps, numbers are readable, the big label never breaks inside a word, /home answers; screenshots."""

from __future__ import annotations

import re

import pytest
from harness import open_page, wait_idle
from playwright.sync_api import expect
from test_browser import SHOTS

from cnn import i18n

WIDE = (1440, 1000)

OVERLAPS_JS = """(selector) => {
  // Pairs of elements (tables, charts) whose boxes intersect by more than a pixel.
  const boxes = [...document.querySelectorAll(selector)].map((e) => e.getBoundingClientRect())
    .filter((r) => r.width > 0 && r.height > 0);
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 1 && h > 1) hits.push([i, j]);
  }
  return hits;
}"""

SMALLEST_FONT_JS = """(selector) => Math.min(...[...document.querySelectorAll(selector)]
  .map((e) => parseFloat(getComputedStyle(e).fontSize)))"""

LABEL_JS = """() => {
  // Each word of the top guess on one line, inside its column.
  const label = document.querySelector('[data-testid="top-guess"]');
  const column = label.parentElement.getBoundingClientRect();
  return [...label.querySelectorAll('span')].map((w) => {
    const r = w.getBoundingClientRect();
    return { word: w.textContent, lines: w.getClientRects().length,
             inside: r.left >= column.left - 1 && r.right <= column.right + 1 };
  });
}"""


def _shot(page, name: str, tall: int = 2600) -> None:
    """The page at 1440×1000 as a student first sees it, then the whole page in a tall window (Streamlit
    scrolls inside its own container, so a full-page screenshot would not show more)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size({"width": WIDE[0], "height": tall})
    wait_idle(page)
    page.screenshot(path=str(SHOTS / f"{name}-whole.png"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_how_a_kernel_learns_has_no_overlap_and_readable_numbers_at_1440(chromium, app_url, lang):
    page = open_page(chromium, f"{app_url}/learn?lang={lang}", viewport=WIDE)
    expect(page.get_by_text(i18n.t("learn.update_title", lang))).to_be_visible(timeout=90_000)   # torch loads
    page.get_by_role("button", name=i18n.t("learn.ten", lang)).click()
    wait_idle(page)
    expect(page.locator(".js-plotly-plot .contour").first).to_be_attached()
    assert page.evaluate(OVERLAPS_JS, "[data-testid=stMain] table") == []
    assert page.evaluate(OVERLAPS_JS, "[data-testid=stMain] table, [data-testid=stMain] .js-plotly-plot") == []
    assert page.evaluate(SMALLEST_FONT_JS, "[data-testid=stMain] td") >= 12
    assert page.locator("[data-testid=colour-legend]").count() >= 9       # every tinted table has its colour bar
    assert page.locator(".js-plotly-plot .colorbar").count() >= 1         # and the landscape its colour bar
    assert page.get_by_text("tests/").count() == 0
    _shot(page, f"wide-learn-{lang}")
    page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_draw_with_the_shapes_model_asks_for_a_shape_and_never_breaks_the_label(chromium, app_url, lang):
    page = open_page(chromium, f"{app_url}/draw?lang={lang}", viewport=WIDE)
    page.locator('[data-testid="stSelectbox"]').filter(has_text=i18n.t("sidebar.model", lang)).first.click()
    page.get_by_role("option", name=re.compile("^shapes-default")).click()
    expect(page.get_by_text(i18n.t("draw.subtitle.shape", lang))).to_be_visible()
    page.get_by_text(i18n.t("draw.source.sample", lang), exact=True).click()
    wait_idle(page)
    seen = set()
    for _ in range(6):                                                   # a few samples: every word fits its line
        expect(page.get_by_test_id("top-guess")).to_be_visible()
        words = page.evaluate(LABEL_JS)
        assert words and all(w["lines"] == 1 and w["inside"] for w in words), words
        seen.add(words[0]["word"])
        if len(seen) == 3:
            break
        page.locator(".st-key-draw_sample_another button").click()
        wait_idle(page)
    assert seen <= {"triangle", "circle", "rectangle"} and seen
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "100.0%" not in text
    _shot(page, f"wide-draw-shapes-{lang}", 1400)
    page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_inside_at_1440(chromium, app_url, lang):
    page = open_page(chromium, f"{app_url}/inside?lang={lang}", viewport=WIDE)
    expect(page.locator("h1").first).to_be_visible()
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    _shot(page, f"wide-inside-{lang}", 3200)
    page.close()


def test_home_answers_at_its_own_address_and_at_the_root(chromium, app_url):
    for path in ("/home", "/home?lang=zh", "/"):
        page = open_page(chromium, app_url + path, viewport=WIDE)
        expect(page.locator("h1").first).to_contain_text("CNN Lab")
        assert page.get_by_text("Page not found").count() == 0
        page.close()


def test_train_charts_have_axis_titles_whole_epochs_and_named_classes(chromium, app_url):
    """A short run (3 epochs of mnist-5k: seconds), then its curves, confusion matrix and the comparison
    chart, in English and then in Chinese (the same session: the run stays watched)."""
    page = open_page(chromium, app_url + "/train", viewport=WIDE)
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="Test accuracy")).to_be_visible(timeout=180_000)
    wait_idle(page)
    confusion = page.locator(".st-key-confusion_chart")
    expect(confusion.locator("g.xtick text").first).to_be_visible()
    assert [t.strip() for t in confusion.locator("g.xtick text").all_text_contents()] == [str(d) for d in range(10)]
    assert [t.strip() for t in confusion.locator("g.ytick text").all_text_contents()] == [str(d) for d in range(10)]
    assert confusion.locator(".g-xtitle").text_content() == i18n.t("train.confusion_answered", "en")
    assert confusion.locator(".g-ytitle").text_content() == i18n.t("train.confusion_true", "en")
    assert float(confusion.locator(".heatmaplayer text").first.evaluate("e => getComputedStyle(e).fontSize")
                 .removesuffix("px")) >= 12
    compare = page.locator(".st-key-compare_chart")
    expect(compare.locator(".g-xtitle")).to_have_text(i18n.t("train.curve.epoch", "en"))
    ticks = [t.strip() for t in compare.locator("g.xtick text").all_text_contents()]
    assert ticks and all(t.isdigit() for t in ticks), ticks
    _shot(page, "wide-train-charts-en", 3600)
    page.set_viewport_size({"width": WIDE[0], "height": WIDE[1]})
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Language").first.click()
    page.get_by_role("option", name="简体中文").click()
    wait_idle(page)
    expect(page.locator(".st-key-confusion_chart .g-xtitle")).to_have_text(i18n.t("train.confusion_answered", "zh"))
    _shot(page, "wide-train-charts-zh", 3600)
    page.close()
