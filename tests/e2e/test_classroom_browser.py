"""A class in real browsers: a teacher and two students (three browser contexts, so three cookies). The
teacher creates the class, the students join and answer, the teacher's page fills in by itself, the CSV
holds the answers; the server is killed with SIGKILL and restarted, and everything is still there. Names
typed by users are shown as the characters typed. Screenshots of the Class page and of Home with an
assignment, in both languages, at 1440×1000."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
from pathlib import Path

import pytest
from harness import ROOT, streamlit_server, wait_idle
from playwright.sync_api import expect

from cnn import classroom, lessons, runs
from cnn.i18n import t
from pages.views import owner

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "tests" / "e2e" / "artifacts"))
HOSTILE = "![x](http://127.0.0.1:9/x) [CLICK](http://x) <b>b</b> **bold**"
TOTAL = len(lessons.all_exercises())


def _open(context, url: str):
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"]')
    wait_idle(page)
    return page


def _literal(page, text: str) -> None:
    """`text` is on the page as typed: no image fetched, no link made, no bold or HTML rendered from it."""
    expect(page.get_by_text(text).first).to_be_visible()
    assert page.locator('img[src*="127.0.0.1:9"]').count() == 0
    assert page.locator('[data-testid="stMain"] a[href^="http://127.0.0.1:9"], a[href="http://x"]').count() == 0
    assert page.get_by_role("link", name="CLICK").count() == 0
    assert page.locator("b", has_text=re.compile(r"^b$")).count() == 0


def _no_error(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Something went wrong here").count() == 0


def _fill(page, button: str, label: str, value: str) -> None:
    """Type into the field `label` of the form whose button says `button`."""
    form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name=button, exact=True))
    form.get_by_label(label, exact=True).fill(value)


def _answer(page, item, text: str) -> None:
    page.get_by_label("Your answer").first.fill(text)
    page.get_by_role("button", name="Check").first.click()
    wait_idle(page)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("classroom")
    return {"CNN_LAB_RUNS": str(base / "runs")}


def test_a_class_end_to_end_with_a_teacher_and_two_students(chromium, folders):
    code = classroom.new_code()
    first = item = lessons.LESSONS[min(lessons.LESSONS)][0]
    contexts = {who: chromium.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
                for who in ("teacher", "ana", "ben")}
    try:
        with streamlit_server(env=folders) as url:
            teacher = _create_class(contexts["teacher"], url, HOSTILE, code)
            _literal(teacher, f"Your class: {HOSTILE}")
            expect(teacher.get_by_text(t("class.grid.empty", "en"))).to_be_visible()

            students = {}
            for who, nickname in (("ana", HOSTILE), ("ben", "Ben")):
                page = _open(contexts[who], url + "/class?lang=en")
                _fill(page, "Join", "Class code", code.lower())
                _fill(page, "Join", "Nickname", nickname)
                page.get_by_role("button", name="Join", exact=True).click()
                wait_idle(page)
                expect(page.get_by_text(f"You are {nickname} in the class {HOSTILE}.")).to_be_visible()
                students[who] = page
            _literal(students["ana"], f"You are {HOSTILE} in the class {HOSTILE}.")

            # The teacher's page: the grid's rows appear without a click (the fragment refreshes itself).
            expect(teacher.get_by_text("Exercises · 2 students")).to_be_visible(timeout=20_000)

            # Ana solves the first exercise after one wrong try; Ben tries once, wrongly.
            for who in ("ana", "ben"):
                students[who].goto(url + "/lessons?lang=en&lesson=1")
                students[who].wait_for_selector('[data-testid="stApp"]')
                wait_idle(students[who])
            wrong = "999999" if item.kind == "number" else ", ".join(["99"] * item.count)
            _answer(students["ana"], item, wrong)
            _answer(students["ana"], item, item.solution_text())
            expect(students["ana"].get_by_text(f"1 of {TOTAL} exercises solved")).to_be_visible()
            _answer(students["ben"], item, wrong)

            cells = len(lessons.LESSONS[1]) * 2
            lesson_line = teacher.get_by_text(f"{t('lesson.1.title', 'en')}: 1 of {cells} solved · visited by 2 of 2")
            expect(lesson_line).to_be_visible(timeout=20_000)       # live: the teacher clicked nothing
            _no_error(teacher)

            # The CSV: one row per student and exercise, with what each did.
            with teacher.expect_download() as download:
                teacher.get_by_role("button", name=t("class.export.progress", "en")).click()
            rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
            assert len(rows) == 2 * TOTAL
            by = {(r["nickname"], r["exercise"]): r for r in rows}
            assert (by[(HOSTILE, first.id)]["status"], by[(HOSTILE, first.id)]["attempts"]) == ("solved", "2")
            assert (by[("Ben", first.id)]["status"], by[("Ben", first.id)]["attempts"]) == ("tried", "1")
            assert by[("Ben", lessons.LESSONS[1][1].id)]["status"] == "not_yet"

            # Assign lesson 2: Ana's Home shows it first.
            teacher.locator('[data-testid="stSelectbox"]').filter(has_text=t("class.assign.pick", "en")).click()
            teacher.get_by_role("option", name=t("class.assign.lesson", "en", n=2, title=t("lesson.2.title", "en"))
                                ).click()
            wait_idle(teacher)
            teacher.get_by_role("button", name=t("class.assign.button", "en")).click()
            lesson_2 = t("class.assign.lesson", "en", n=2, title=t("lesson.2.title", "en"))
            # Stored: the page says so (a click the server has not answered yet would die with it below).
            expect(teacher.get_by_text(t("class.assign.now", "en", what=lesson_2), exact=False)).to_be_visible()
            wait_idle(teacher)
            server = url.process

            # kill -9 the server, start another on the same files: everything is still there.
            os.kill(server.pid, signal.SIGKILL)
            server.wait(10)
        with streamlit_server(env=folders) as url:
            ana = _open(contexts["ana"], url + "/lessons?lang=en&lesson=1")
            expect(ana.get_by_text(f"1 of {TOTAL} exercises solved")).to_be_visible()
            teacher = _open(contexts["teacher"], url + "/class?lang=en")
            expect(teacher.get_by_text(f"Your class: {HOSTILE}")).to_be_visible()
            still = f"{t('lesson.1.title', 'en')}: 1 of {cells} solved"
            expect(teacher.get_by_text(still, exact=False)).to_be_visible()
            SHOTS.mkdir(parents=True, exist_ok=True)
            for lang in ("en", "zh"):
                teacher.goto(url + f"/class?lang={lang}")
                teacher.wait_for_selector('[data-testid="stApp"]')
                wait_idle(teacher)
                expect(teacher.get_by_text(t("class.view.title", lang, name=HOSTILE))).to_be_visible()
                expect(teacher.get_by_text(t("lesson.1.title", lang), exact=False).first).to_be_visible()
                expect(teacher.locator('[data-testid="stSkeleton"]')).to_have_count(0)
                wait_idle(teacher)
                teacher.screenshot(path=str(SHOTS / f"class-{lang}.png"))
                home = _open(contexts["ana"], url + f"/?lang={lang}")
                label = t("class.assign.lesson", lang, n=2, title=t("lesson.2.title", lang))
                expect(home.get_by_role("link", name=label)).to_be_visible()
                _literal(home, t("home.class.member", lang).replace("**", "").format(nickname=HOSTILE, name=HOSTILE))
                expect(home.locator('[data-testid="stSkeleton"]')).to_have_count(0)
                home.screenshot(path=str(SHOTS / f"home-assigned-{lang}.png"))
                _no_error(home)
                if lang == "en":
                    home.get_by_role("link", name=label).click()
                    wait_idle(home)
                    expect(home.get_by_role("heading", name=t("lesson.2.title", "en"))).to_be_visible()
                home.close()
            # Projector mode by link: no sidebar, large type.
            teacher.goto(url + "/class?lang=en&projector=1")
            teacher.wait_for_selector('[data-testid="stApp"]')
            wait_idle(teacher)
            expect(teacher.locator('[data-testid="stSidebar"]')).to_be_hidden()
            assert teacher.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 22
            expect(teacher.locator('[data-testid="stSkeleton"]')).to_have_count(0)
            teacher.screenshot(path=str(SHOTS / "class-projector-en.png"))
    finally:
        for context in contexts.values():
            context.close()


def _create_class(context, url: str, name: str, code: str):
    """A teacher creates the class `name` with `code` (secret "teach-me") on the Class page."""
    page = _open(context, url + "/class?lang=en")
    _fill(page, "Create the class", "Class name", name)
    _fill(page, "Create the class", "Class code", code)
    _fill(page, "Create the class", "Teacher secret", "teach-me")
    page.get_by_role("button", name="Create the class").click()
    wait_idle(page)
    expect(page.get_by_text(f"Your class: {name}")).to_be_visible()
    return page


def _join_class(context, url: str, code: str, nickname: str):
    page = _open(context, url + "/class?lang=en")
    _fill(page, "Join", "Class code", code)
    _fill(page, "Join", "Nickname", nickname)
    page.get_by_role("button", name="Join", exact=True).click()
    wait_idle(page)
    expect(page.get_by_text(f"You are {nickname} in the class", exact=False)).to_be_visible()
    return page


def _token(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == owner.COOKIE)


def _interrupted_run(owner_token: str, name: str) -> str:
    """A saved run of `owner_token` that stopped mid-way (nobody holds its lock): it may be trained on."""
    run_id = runs.new_id(name)
    folder = runs.run_dir(run_id)
    folder.mkdir(parents=True)
    runs.write_json(folder / "info.json", {"format": runs.FORMAT, "name": name, "status": "running",
                                           "epochs_planned": 3})
    runs.write_json(folder / "metrics.json", {"status": "running", "epochs": []})
    runs.write_owner(run_id, owner_token)
    return run_id


def _train_page(context, url: str):
    return _open(context, url + "/train?lang=en")


def _saved_runs(page):
    """Open the list of saved runs (it starts folded)."""
    page.get_by_text(t("train.manage", "en")).click()
    wait_idle(page)


def _watch(page, nickname: str) -> None:
    """Open the live run of `nickname` from the queue's board."""
    row = page.locator('[data-testid="stHorizontalBlock"]').filter(has_text=nickname).filter(
        has=page.get_by_role("button", name=t("train.watch", "en"), exact=True)).first
    row.get_by_role("button", name=t("train.watch", "en"), exact=True).click()
    wait_idle(page)


def test_in_real_browsers_only_the_owner_or_the_teacher_acts_on_a_run(chromium, folders, monkeypatch):
    """Another student's browser offers no Pause, Stop, Train on, Delete or rename for Ana's runs; Ana's and the
    teacher's do, and the teacher's Stop and Delete work."""
    monkeypatch.setenv("CNN_LAB_RUNS", folders["CNN_LAB_RUNS"])   # the test writes a run where the server reads
    code = classroom.new_code()
    contexts = {who: chromium.new_context(viewport={"width": 1440, "height": 1000})
                for who in ("teacher", "ana", "ben")}
    pause, stop = t("train.pause", "en"), t("train.stop", "en")
    try:
        with streamlit_server(env=folders) as url:
            _create_class(contexts["teacher"], url, "Room 9", code)
            _join_class(contexts["ana"], url, code, "Ana")
            _join_class(contexts["ben"], url, code, "Ben")

            # Ana starts a long run (30 epochs) and pauses it: it stays live while the others look.
            ana = _train_page(contexts["ana"], url)
            epochs = ana.locator('[data-testid="stSlider"]').filter(has_text=t("train.epochs", "en")).locator(
                'input[type="range"]')
            epochs.focus()
            epochs.press("End")
            wait_idle(ana)
            ana.get_by_role("button", name=t("train.start", "en")).click()
            ana.get_by_role("button", name=pause, exact=True).click()
            expect(ana.get_by_role("button", name=t("train.resume", "en"), exact=True)).to_be_visible(timeout=60_000)
            saved = _interrupted_run(_token(contexts["ana"]), "anas-net")

            ben = _train_page(contexts["ben"], url)
            _watch(ben, "Ana")
            for label in (pause, stop, t("train.resume", "en")):
                expect(ben.get_by_role("button", name=label, exact=True)).to_have_count(0)
            _saved_runs(ben)
            row = ben.locator(f".st-key-run_{saved}")
            expect(row.get_by_text("Ana", exact=True)).to_be_visible()           # the owner's nickname
            expect(row.get_by_role("button", name=t("train.watch", "en"))).to_be_visible()
            for label in (t("train.delete", "en"), t("train.resume_run", "en")):
                expect(row.get_by_role("button", name=label)).to_have_count(0)
            expect(row.get_by_role("textbox")).to_have_count(0)                  # no rename field
            _no_error(ben)

            ana.reload()                                                           # a reload: still Ana's
            ana.wait_for_selector('[data-testid="stApp"]')
            wait_idle(ana)
            _saved_runs(ana)
            row = ana.locator(f".st-key-run_{saved}")
            expect(row.get_by_text(t("train.yours", "en"), exact=False)).to_be_visible()
            for label in (t("train.delete", "en"), t("train.resume_run", "en")):
                expect(row.get_by_role("button", name=label)).to_be_visible()
            expect(row.get_by_role("textbox")).to_be_visible()

            teacher = _train_page(contexts["teacher"], url)
            _watch(teacher, "Ana")
            teacher.get_by_role("button", name=stop, exact=True).click()
            wait_idle(teacher)
            expect(teacher.get_by_role("button", name=stop, exact=True)).to_have_count(0, timeout=60_000)
            expect(teacher.get_by_text(t("train.state.stopped", "en"), exact=False).first).to_be_visible(
                timeout=60_000)
            _saved_runs(teacher)
            row = teacher.locator(f".st-key-run_{saved}")
            row.get_by_role("button", name=t("train.delete", "en")).click()
            wait_idle(teacher)
            expect(teacher.locator(f".st-key-run_{saved}")).to_have_count(0)
            assert not runs.run_dir(saved).exists(), "the teacher may delete any run of the class"
            _no_error(teacher)
    finally:
        for context in contexts.values():
            context.close()
