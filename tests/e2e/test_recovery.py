"""Nothing lost, end to end: kill -9 the server in the middle of a run (its worker leaves with it); after a
restart the new server's worker takes the run up again by itself, from its last checkpoint, as the same run
of the same student, and it reaches its planned epochs."""

from __future__ import annotations

import json
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

    folder = next(p for p in (tmp_path / "runs").iterdir() if p.is_dir() and not p.name.startswith("."))
    before = json.loads((folder / "metrics.json").read_text())["epochs"]
    assert 1 <= len(before) < 30

    with streamlit_server(env=runs) as url:
        # Nobody presses anything: the new server's worker finds the run its dead worker left and trains it on
        # from its last checkpoint, as the same run, to its planned 30 epochs.
        page = open_page(student, url + "/train", viewport=(1500, 1600))
        page.get_by_text("Saved runs: open, rename, train on, delete").click()
        row = page.locator(f".st-key-run_{folder.name}")
        expect(row).to_be_visible(timeout=30_000)
        expect(row.get_by_text(re.compile(r"yours"))).to_be_visible()           # still this student's run
        row.get_by_role("button", name="Watch").click()                       # watched live, as it trains on
        expect(page.get_by_text(re.compile(r"epoch \d+/30 · step"))).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stMetricLabel").filter(has_text="Test accuracy")).to_be_visible(timeout=240_000)
        after = json.loads((folder / "metrics.json").read_text())["epochs"]
        assert len(after) == 30 and after[:len(before)] == before               # kept, not trained again
        takes = [json.loads(line) for line in (folder / "takes.jsonl").read_text().splitlines()]
        assert len(takes) == 2                                                  # the first worker, then the new one
        page.reload()
        page.get_by_text("Saved runs: open, rename, train on, delete").click()
        expect(page.locator(f".st-key-run_{folder.name}").get_by_text(re.compile(r"30/30 epochs"))).to_be_visible()
        expect(page.locator('[class*="st-key-run_"]')).to_have_count(1)         # no second run was started
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()
    student.close()
