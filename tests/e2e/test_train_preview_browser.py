"""The Train page's augmentation preview and "start from the shipped model" in Chromium, in both languages:
the preview opens under the data set choice, New batch draws new copies, small-gray takes the shipped
model's layers and seed-mnist is refused with its reason. Screenshots: train-preview-{en,zh}.png."""

from __future__ import annotations

import pytest
from harness import open_page, screenshot_whole, wait_idle
from playwright.sync_api import expect
from test_browser import SHOTS

WORDS = {
    "en": {"preview": "What the network will see", "new": "New batch", "network": "Network",
           "start_from": "Start from the shipped model", "copied": "start with the shipped model",
           "refused": "does not fit this network's first one"},
    "zh": {"preview": "网络实际看到的样本", "new": "换一批", "network": "网络",
           "start_from": "从内置模型开始", "copied": "直接使用内置模型的卷积权重", "refused": "形状不一致"},
}


def pick(page, label: str, option: str) -> None:
    """Choose `option` in the main area's menu labelled `label` (opened again if a rerun closed it)."""
    for _ in range(3):
        wait_idle(page)
        page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(has_text=label).first.click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(timeout=5_000)
        except Exception:   # noqa: BLE001 - the menu closed under a rerun: open it again
            continue
        choice.click()
        wait_idle(page)
        return
    raise AssertionError(f"no option {option!r} in the menu {label!r}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_preview_and_the_shipped_start_on_the_train_page(chromium, app_url, lang):
    words = WORDS[lang]
    page = open_page(chromium, f"{app_url}/train?lang={lang}", viewport=(1600, 1100))
    page.get_by_text(words["preview"], exact=True).click()
    preview = page.locator('[data-testid="stExpander"]').filter(has_text=words["preview"]).first
    pictures = preview.locator("img")
    expect(pictures).to_have_count(24)
    before = pictures.nth(1).get_attribute("src")
    preview.get_by_role("button", name=words["new"]).click()
    wait_idle(page)
    expect(pictures.nth(1)).not_to_have_attribute("src", before)
    page.get_by_text(words["start_from"], exact=True).click()
    wait_idle(page)
    expect(page.get_by_text(words["refused"], exact=False)).to_be_visible()     # seed-mnist: 3x3 kernels
    pick(page, words["network"], "small-gray")
    expect(page.get_by_text(words["copied"], exact=False)).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    screenshot_whole(page, str(SHOTS / f"train-preview-{lang}.png"), max_height=2600)
    page.close()
