"""Many students, one server: sessions at once get their own correct results, starts at the same moment are
queued in order, everyone sees every run, and only its owner may pause or stop it.

Each browser context is a different student (its own cookies). Actions are fired at all pages before any
result is awaited, so the server handles them at the same time.
"""

from __future__ import annotations

import re
import time

import pytest
from harness import streamlit_server, wait_idle
from playwright.sync_api import expect
from test_browser import _box, _choose, _nudge_slider
from test_draw_browser import ONE, ZERO, draw_stroke

from cnn import runs, worker
from cnn.i18n import t


@pytest.fixture(scope="module")
def server(runs_folder):
    with streamlit_server() as url:   # a server of its own: its queue holds only this module's runs
        yield url


def _student(chromium, url: str, path: str, viewport=(1500, 1100)):
    context = chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.goto(url + path)
    page.wait_for_selector('[data-testid="stApp"]')
    wait_idle(page)
    return context, page


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Something went wrong here").count() == 0


def _arithmetic(page, row: int, col: int) -> tuple[float, float]:
    line = page.get_by_text(re.compile(rf"cell \({row}, {col}\) of map \d+"))
    expect(line).to_be_visible(timeout=30_000)
    value, check = re.search(r"(-?\d+\.\d+)\*?\*?: cell.*computed as (-?\d+\.\d+)", line.inner_text()).groups()
    return float(value), float(check)


def test_six_students_at_once_each_see_their_own_results(chromium, server):
    """Two draw (a 1 and a 0), two click cells on Inside (whose arithmetic must equal what the network
    computed for *their* input), two change the Lab (stride, padding): three rounds, all at the same time."""
    students = {name: _student(chromium, server, path) for name, path in [
        ("one", "/draw"), ("zero", "/draw"), ("inside a", "/inside"), ("inside b", "/inside"),
        ("stride", "/lab"), ("padding", "/lab")]}
    pages = {name: page for name, (_, page) in students.items()}
    try:
        for page in (pages["inside a"], pages["inside b"]):   # different inputs: B takes another sample
            expect(page.get_by_text(re.compile(r"32 feature maps"))).to_be_visible(timeout=30_000)
        pages["inside b"].get_by_role("button", name="Another sample").click()
        cells = {"inside a": [(3, 4), (10, 7), (20, 15)], "inside b": [(21, 2), (5, 18), (12, 12)]}
        for round_ in range(3):
            # Fire everything first...
            for page in (pages["one"], pages["zero"]):
                page.get_by_role("button", name="Clear").click()
            draw_stroke(pages["one"], ONE)
            draw_stroke(pages["zero"], ZERO)
            for name in ("inside a", "inside b"):
                row, col = cells[name][round_]
                box = _box(pages[name], ".st-key-inside_one_map_0 canvas")
                pages[name].mouse.click(box["x"] + (col + 0.5) * box["width"] / 24,
                                        box["y"] + (row + 0.5) * box["height"] / 24)
            _nudge_slider(pages["stride"], "Stride ↓ rows", 1 if round_ % 2 == 0 else -1)
            _choose(pages["padding"], "Padding", "same" if round_ % 2 == 0 else "valid (none)")
            # ...then check what each one sees.
            expect(pages["one"].get_by_test_id("top-guess")).to_have_text("1", timeout=30_000)
            expect(pages["zero"].get_by_test_id("top-guess")).to_have_text("0", timeout=30_000)
            for name in ("inside a", "inside b"):
                value, check = _arithmetic(pages[name], *cells[name][round_])
                assert abs(value - check) < 2e-4, (name, round_, value, check)
            stride_shape = "13×26" if round_ % 2 == 0 else "26×26"
            padding_shape = "28×28" if round_ % 2 == 0 else "26×26"
            expect(pages["stride"].get_by_text(f"Feature map · {stride_shape}")).to_be_visible(timeout=30_000)
            expect(pages["padding"].get_by_text(f"Feature map · {padding_shape}")).to_be_visible(timeout=30_000)
            for page in pages.values():
                wait_idle(page)
                _no_exception(page)
    finally:
        for context, _ in students.values():
            context.close()


def _train_page(chromium, url):
    context, page = _student(chromium, url, "/train", viewport=(1500, 1400))
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="Epochs").locator('input[type="range"]')
    thumb.focus()
    thumb.press("End")                                 # 30 epochs: still training while we look
    expect(page.locator('[data-testid="stSlider"]').filter(has_text="Epochs")).to_contain_text("30")
    wait_idle(page)
    return context, page


def _own_row(page):
    """The board's row of the run this page watches (marked ▶)."""
    return page.locator('[class*="st-key-job_"]').filter(has_text="▶").first


def _state(row) -> tuple[str, int]:
    """(the run's whole id, 0 if it trains or prepares, else its place in the queue) from its board row; the
    whole id is in the row's key, the row shows only its first 15 signs."""
    run_id = re.search(r"st-key-job_(\S+)", row.get_attribute("class")).group(1)
    position = re.search(r"number (\d) in the queue", row.inner_text())
    return run_id, int(position.group(1)) if position else 0


def test_four_students_press_start_at_once_and_queue_in_order(chromium, server):
    students = [_train_page(chromium, server) for _ in range(4)]
    try:
        for _, page in students:                       # four clicks in a row, none awaited
            page.get_by_role("button", name="Start training").click()
        for _, page in students:
            row = _own_row(page)
            expect(row).to_contain_text("yours", timeout=30_000)
            expect(row).to_contain_text(re.compile(r"training|preparing|waiting"), timeout=30_000)
            _no_exception(page)
        # As many train as there are workers on this runs folder's queue (the server's own; another process
        # of this test session may have started one too), the others wait, each in a place of its own.
        training = min(4, len(worker.living_workers(runs.default_root())))
        expected = [0] * training + list(range(1, 5 - training))
        # Each board refreshes on its own every 2 s, so one may still show a run as waiting: read the four
        # rows until they agree, or the deadline.
        deadline = time.monotonic() + 30
        while True:
            states = [_state(_own_row(page)) for _, page in students]
            if sorted(p for _, p in states) == expected or time.monotonic() > deadline:
                break
        # (Which click reached the queue first is the server's to decide: four sessions submit in four threads
        # at once, so neither the order of the clicks nor the runs' ids, stamped before queueing, say it.)
        assert training >= 1 and sorted(p for _, p in states) == expected, states
        assert len({run_id for run_id, _ in states}) == 4, states
        for _, page in students:                       # every board lists all four (the class's one queue)
            for run_id, _ in states:
                expect(page.locator(f".st-key-job_{run_id}")).to_be_visible(timeout=30_000)
        for _, page in students:                       # each student stops their own run
            page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").first.click()
        for _, page in students:
            expect(page.get_by_text(re.compile(r"Stopped by you|Stopped before it started"))).to_be_visible(
                timeout=60_000)
            _no_exception(page)
    finally:
        for context, page in students:
            stop = page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").first
            if stop.is_visible():                      # after a failure: leave no 30-epoch run for the next test
                stop.click()
            context.close()


def test_every_session_sees_the_run_but_only_its_owner_can_stop_it(chromium, server):
    owner, page = _train_page(chromium, server)
    other, watcher = _student(chromium, server, "/train", viewport=(1500, 1400))
    try:
        page.get_by_role("button", name="Start training").click()
        expect(page.get_by_text(re.compile(r"epoch \d+/30 · step \d+"))).to_be_visible(timeout=60_000)
        # Another student (another browser) sees the run on the board and can watch it, but not stop it.
        watcher.reload()
        row = watcher.locator('[class*="st-key-job_"]').filter(has_text="someone else's").first
        expect(row).to_be_visible(timeout=30_000)
        row.get_by_role("button", name="Watch").click()
        expect(watcher.get_by_text(re.compile(r"epoch \d+/30 · step \d+"))).to_be_visible(timeout=30_000)
        expect(watcher.get_by_text(t("train.not_yours", "en"))).to_be_visible()
        expect(watcher.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop")).to_have_count(0)
        # A second tab of the owner's browser may.
        second = owner.new_page()
        second.goto(page.url)                          # the run's link (?job=...)
        expect(second.get_by_text(re.compile(r"epoch \d+/30 · step \d+"))).to_be_visible(timeout=30_000)
        second.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
        expect(second.get_by_text("Stopped by you; what it learned so far is saved.")).to_be_visible(timeout=60_000)
        expect(watcher.get_by_text(re.compile(r"Test accuracy"))).to_be_visible(timeout=60_000)
        for each in (page, watcher, second):
            _no_exception(each)
    finally:
        owner.close()
        other.close()
