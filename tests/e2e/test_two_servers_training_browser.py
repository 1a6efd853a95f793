"""Two app servers with no worker of their own, one Redis queue, one PostgreSQL, one runs folder, and two
workers elsewhere (separate processes), in real browsers: a run started on server 1 is on server 2's board
and watched there, live, with where it trains; a run started on server 2 at the same time trains on the
other worker. Screenshots of the Train page in both languages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from harness import ROOT, open_page, streamlit_server, wait_idle
from playwright.sync_api import expect

from cnn import job_queue, live, tasks
from cnn.i18n import t

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "tests" / "e2e" / "artifacts"))


def _start_a_run(page, *, longest: bool = False) -> None:
    if longest:      # 30 epochs: long enough to be watched while it trains
        thumb = page.locator('[data-testid="stSlider"]').filter(has_text=t("train.epochs", "en")).locator(
            'input[type="range"]')
        thumb.focus()
        thumb.press("End")
        wait_idle(page)
    page.get_by_role("button", name=t("train.start", "en")).click()
    expect(page.get_by_text(re.compile(r"epoch \d+/\d+ · step"))).to_be_visible(timeout=60_000)


def _runs_in(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")] if root.is_dir() else []


def test_a_run_started_on_one_server_is_watched_on_the_other_and_two_workers_share_the_class(
        chromium, redis_url, postgres_server, tmp_path):
    tasks.connect(redis_url).huey.flush()
    root = tmp_path / "runs"
    env = {"CNN_LAB_RUNS": str(root), "CNN_LAB_QUEUE": redis_url, "CNN_LAB_LOCAL_WORKERS": "0",
           "CNN_LAB_DATABASE": postgres_server.new_database()}
    workers = [subprocess.Popen([sys.executable, "-m", "cnn.worker", "--queue", redis_url, "--runs", str(root),
                                 "--name", name], cwd=ROOT, env={**os.environ, **env}) for name in ("w1", "w2")]
    ana = chromium.new_context(viewport={"width": 1440, "height": 1300})
    ben = chromium.new_context(viewport={"width": 1440, "height": 1300})
    try:
        with streamlit_server(env=env) as one, streamlit_server(env=env) as two:
            manager = job_queue.JobManager(runs_root=root, queue_url=redis_url, local_workers=0)
            deadline = time.monotonic() + 120
            while {w["name"] for w in manager.workers()} != {"w1", "w2"}:
                assert time.monotonic() < deadline, "the two workers did not start"
                time.sleep(0.2)

            ana_on_one = open_page(ana, one + "/train?lang=en", viewport=(1440, 1300))
            _start_a_run(ana_on_one, longest=True)
            ben_on_two = open_page(ben, two + "/train?lang=en", viewport=(1440, 1300))
            _start_a_run(ben_on_two)

            # Server 2 lists Ana's run (started on server 1); Ana, on server 2, watches it live.
            ana_on_two = open_page(ana, two + "/train?lang=en", viewport=(1440, 1300))
            expect(ana_on_two.get_by_text(t("train.board", "en", n=2))).to_be_visible(timeout=30_000)
            row = ana_on_two.locator('[class*="st-key-job_"]').filter(has_text=t("train.yours", "en")).first
            row.get_by_role("button", name=t("train.watch", "en")).click()
            wait_idle(ana_on_two)
            expect(ana_on_two.get_by_text(re.compile(r"epoch \d+/\d+ · step"))).to_be_visible(timeout=30_000)
            expect(ana_on_two.get_by_text(re.compile(r"on cpu \(w[12]\)")).first).to_be_visible(timeout=30_000)
            ana_on_two.screenshot(path=str(SHOTS / "train-two-servers-en.png"), full_page=True)
            zh = open_page(ben, two + "/train?lang=zh", viewport=(1440, 1300))
            expect(zh.get_by_text(re.compile(r"在 cpu \(w[12]\) 上")).first).to_be_visible(timeout=30_000)
            wait_idle(zh)
            zh.screenshot(path=str(SHOTS / "train-two-servers-zh.png"), full_page=True)

            # Ana stops hers from server 2; both end, each trained once, by the two workers side by side.
            ana_on_two.get_by_test_id("stMainBlockContainer").get_by_role(
                "button", name=t("train.stop", "en"), exact=True).click()     # not the header's Stop (a run)
            expect(ana_on_two.get_by_test_id("stMetricLabel").filter(has_text="Test accuracy")).to_be_visible(
                timeout=240_000)
            deadline = time.monotonic() + 240
            while not all((live.read_live(f).get("state") in job_queue.DONE) for f in _runs_in(root)):
                assert time.monotonic() < deadline, "the two runs did not end"
                time.sleep(0.5)
            takes = [live.read_takes(f) for f in _runs_in(root)]
            assert len(takes) == 2 and all(len(t_) == 1 for t_ in takes)
            assert {t_[0]["worker"] for t_ in takes} == {"w1", "w2"}
            for page in (ana_on_one, ben_on_two, ana_on_two, zh):
                assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        for context in (ana, ben):
            context.close()
        for worker in workers:
            worker.kill()
            worker.wait()
