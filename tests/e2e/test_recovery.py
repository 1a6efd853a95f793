"""Nothing lost, end to end: kill -9 the server in the middle of a run; after a restart the run is listed
as interrupted, its finished epochs can be used as the model, and it trains on to its planned epochs."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest
from harness import open_page, streamlit_server, wait_idle
from playwright.sync_api import expect

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the worker's pid")


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(p) for p in text.split()}
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_run_survives_its_server_being_killed(chromium, tmp_path):
    runs = {"CNN_LAB_RUNS": tmp_path / "runs"}
    # One browser (one cookie) before and after the restart: the same student, who may train their run on.
    student = chromium.new_context(viewport={"width": 1500, "height": 1600})
    with streamlit_server(env=runs) as url:
        page = open_page(student, url + "/train", viewport=(1500, 1400))
        thumb = page.locator('[data-testid="stSlider"]').filter(has_text="Epochs").locator('input[type="range"]')
        thumb.focus()
        thumb.press("End")                                       # 30 epochs
        wait_idle(page)
        page.get_by_role("button", name="Start training").click()
        expect(page.get_by_text(re.compile(r"epoch ([2-9]|[12]\d)/30 · step"))).to_be_visible(timeout=60_000)
        workers = _children(url.process.pid)
        assert workers, "the server has a training worker"
        os.kill(url.process.pid, 9)                              # the server dies mid-run
        url.process.wait()
        page.close()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers):                   # and its worker with it
        assert time.monotonic() < deadline, "the training worker outlived its server"
        time.sleep(0.05)

    with streamlit_server(env=runs) as url:
        page = open_page(student, url + "/train", viewport=(1500, 1600))
        page.get_by_text("Saved runs: open, rename, train on, delete").click()
        row = page.locator('[class*="st-key-run_"]').filter(has_text="interrupted").first
        expect(row).to_be_visible(timeout=30_000)
        done = int(re.search(r"(\d+)/30 epochs", row.inner_text()).group(1))
        assert 1 <= done < 30
        # Its finished epochs are a model: use it on the Draw page.
        row.get_by_role("button", name="Use").click()
        model_menu = page.get_by_role("combobox", name="Model")
        expect(model_menu).to_have_accessible_name("Model")
        page.wait_for_function("() => [...document.querySelectorAll('[role=combobox]')].some("
                               "(c) => (c.value || c.textContent || '').includes('interrupted after'))", timeout=30_000)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Draw & Predict").click()
        expect(page.get_by_text(re.compile(r"Model: seed-mnist · trained on MNIST 5k"))).to_be_visible(timeout=30_000)
        page.get_by_text("Sample", exact=True).click()
        expect(page.get_by_test_id("top-guess")).to_be_visible(timeout=30_000)
        # And it trains on to its planned 30 epochs.
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Train", exact=True).click()
        page.get_by_text("Saved runs: open, rename, train on, delete").click()
        row = page.locator('[class*="st-key-run_"]').filter(has_text="interrupted").first
        row.get_by_role("button", name="Train on").click()
        expect(page.get_by_test_id("stMetricLabel").filter(has_text="Test accuracy")).to_be_visible(timeout=120_000)
        page.get_by_text("Saved runs: open, rename, train on, delete").click()
        # The same run went on (no second run was started), and it reached its plan.
        expect(page.locator('[class*="st-key-run_"]').filter(has_text="30/30 epochs")).to_have_count(1)
        assert page.locator('[class*="st-key-run_"]').count() == 1
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()
    student.close()
