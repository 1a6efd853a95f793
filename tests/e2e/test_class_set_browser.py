"""A class data set in real browsers: a teacher and two students (three browser contexts, three cookies). The
students draw into the class set from their own browsers; the teacher's My data page shows the counts grow and
who drew each sample without a reload, and the teacher draws a held-out sample with the toggle; the students
see only how many are held out; the leaderboard shows the class's runs on My data and on the Class page, and
the teacher's Reveal reaches a student's page by itself. Screenshots in both languages."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from harness import screenshot_whole, streamlit_server, wait_idle
from playwright.sync_api import expect
from test_browser import SHOTS
from test_classroom_browser import HOSTILE, _fill, _join_class, _literal, _no_error, _open, _token
from test_draw_browser import draw_stroke
from test_my_data_browser import CROSS, TICK

from cnn import classroom, models, my_data, runs
from cnn.i18n import t


def _constant_run(owner: str, set_id: str, answer: int, name: str) -> str:
    """A finished run whose network answers `answer` for every picture (zero weights, one bias)."""
    spec = models.ModelSpec("tiny-conv", (1, 28, 28), [models._conv(2, 3), models._act(), models.FLATTEN,
                                                       models._dense(2)], ["✓", "✗"])
    model = models.build(spec)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        list(model.parameters())[-1][answer] = 1.0
    run_id = runs.new_id("class")
    folder = runs.run_dir(run_id)
    folder.mkdir(parents=True)
    runs.write_json(folder / "info.json", {"format": runs.FORMAT, "name": name, "status": "finished",
                                           "dataset": my_data.PREFIX + set_id, "model": "tiny-conv",
                                           "epochs_planned": 1})
    runs.write_json(folder / "metrics.json", {"status": "finished", "epochs": [{"epoch": 1, "seconds": 42.0}]})
    models.save(model, spec, folder / "model", dataset=my_data.PREFIX + set_id)
    runs.write_owner(run_id, owner)
    return run_id


def _shape(label: int, shift: int) -> np.ndarray:
    canvas = np.zeros((280, 280), np.uint8)
    if label == 0:
        canvas[40 + shift:240, 130:150] = 255
    else:
        canvas[130:150, 40 + shift:240] = 255
    return canvas


@pytest.fixture()
def folders(tmp_path, monkeypatch):
    env = {"CNN_LAB_RUNS": str(tmp_path / "runs"), "CNN_LAB_MY_DATA": str(tmp_path / "my-data"),
           "CNN_LAB_DATABASE": f"sqlite:///{tmp_path / 'class.sqlite'}"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)             # the test writes where the server reads
    return env


def _said(page, text: str):
    """A sentence of ours in a class's box of samples (the held-out part has its own box)."""
    if text == "Held out":
        return page.locator(".st-key-my_data_held_out_box .cnn-said").first
    box = {"✓": 0, "✗": 1}[text[0]]
    return page.locator(f".st-key-my_data_class_box_{box} .cnn-said", has_text=text)


def test_a_class_builds_a_data_set_together_and_sees_its_leaderboard(chromium, folders):
    code = classroom.new_code()
    contexts = {who: chromium.new_context(viewport={"width": 1440, "height": 1100})
                for who in ("teacher", "ana", "ben")}
    try:
        with streamlit_server(env=folders) as url:
            teacher = _open(contexts["teacher"], url + "/class?lang=en")
            _fill(teacher, "Create the class", "Class name", "7B")
            _fill(teacher, "Create the class", "Class code", code)
            _fill(teacher, "Create the class", "Teacher secret", "teach-me")
            teacher.get_by_role("button", name="Create the class").click()
            wait_idle(teacher)
            expect(teacher.get_by_text("Your class: 7B")).to_be_visible()
            ana = _join_class(contexts["ana"], url, code, HOSTILE)
            ben = _join_class(contexts["ben"], url, code, "Ben")
            tokens = {who: _token(contexts[who]) for who in contexts}

            made = my_data.create_set("Symbols", ["✓", "✗"], owner=tokens["teacher"], class_code=code)
            for i in range(8):                     # the teacher's held-out part, drawn earlier
                my_data.add_drawing(made.id, i % 2, _shape(i % 2, 4 * i), by=tokens["teacher"], held_out=True)

            teacher.goto(url + "/my_data?lang=en")
            teacher.wait_for_selector('[data-testid="stApp"]')
            wait_idle(teacher)
            expect(_said(teacher, "✓ · samples")).to_have_text("✓ · samples: 0")
            expect(_said(teacher, "Held out")).to_have_text("Held out for scoring, not for training: 8")

            # The students draw from their own browsers ...
            for page, strokes, label in ((ana, [TICK], "✓ (0)"), (ben, CROSS, "✗ (0)")):
                page.goto(url + "/my_data?lang=en")
                page.wait_for_selector('[data-testid="stApp"]')
                wait_idle(page)
                expect(page.get_by_text(t("my_data.held_out.hidden", "en", n=8))).to_be_visible()
                samples = page.locator('[class*="st-key-my_data_class_box"] [data-testid="stImage"]')
                assert samples.count() == 0, "no held-out drawing is shown"
                assert page.locator(".st-key-my_data_held_out_box").count() == 0
                page.get_by_text(label, exact=True).click()
                wait_idle(page)
                for stroke in strokes:
                    draw_stroke(page, stroke)
                wait_idle(page)
                page.get_by_role("button", name="Save drawing").click()
                wait_idle(page)
                expect(page.locator(".drawpad")).to_have_attribute("data-strokes", "0")
            # ... and the teacher's page shows them, with who drew each, without a click.
            expect(_said(teacher, "✓ · samples")).to_have_text("✓ · samples: 1", timeout=20_000)
            expect(_said(teacher, "✗ · samples")).to_have_text("✗ · samples: 1", timeout=20_000)
            expect(teacher.get_by_text("Ben", exact=True)).to_be_visible()
            captions = teacher.locator('[class*="st-key-my_data_class_box"] [data-testid="stImage"]')
            # Who drew it, as typed (text.md puts an invisible word joiner in "://": no address to link).
            shown = [c.replace("\u2060", "").strip() for c in captions.all_inner_texts()]
            assert HOSTILE in shown and "Ben" in shown, shown
            _literal(teacher, "Ben")
            assert {s.by for s in my_data.samples(made.id) if not s.held_out} == {tokens["ana"], tokens["ben"]}

            # The teacher draws one more held-out sample with the toggle on.
            teacher.get_by_text(t("my_data.held_out.toggle", "en"), exact=True).click()
            wait_idle(teacher)
            draw_stroke(teacher, TICK)
            wait_idle(teacher)
            teacher.get_by_role("button", name="Save drawing").click()
            wait_idle(teacher)
            expect(_said(teacher, "Held out")).to_have_text("Held out for scoring, not for training: 9",
                                                            timeout=20_000)
            assert sum(s.held_out for s in my_data.samples(made.id)) == 9

            # Two students' runs on the set: the leaderboard appears on its own.
            _constant_run(tokens["ana"], made.id, 0, HOSTILE)
            _constant_run(tokens["ben"], made.id, 1, "ben's net")
            board = teacher.locator(f".st-key-board_my_data_{made.id}")
            expect(board.locator('[data-testid="stDataFrame"]')).to_be_visible(timeout=30_000)
            _no_error(teacher)
            SHOTS.mkdir(parents=True, exist_ok=True)
            screenshot_whole(teacher, str(SHOTS / "class-set-teacher-en.png"))

            ana.goto(url + "/class?lang=en")
            ana.wait_for_selector('[data-testid="stApp"]')
            wait_idle(ana)
            on_class = ana.locator(f".st-key-board_student_{made.id}")
            expect(on_class.locator('[data-testid="stDataFrame"]')).to_be_visible(timeout=30_000)
            expect(on_class.get_by_role("button", name=t("board.reveal", "en"))).to_have_count(0)

            teacher.get_by_role("button", name=t("board.reveal", "en")).click()
            wait_idle(teacher)
            room = classroom.Classroom(folders["CNN_LAB_DATABASE"])
            assert room.revealed(room.class_by_code(code).id, made.id), "kept in the classroom database"
            room.close()
            expect(on_class.get_by_text(t("board.final", "en"))).to_be_visible(timeout=20_000)   # no click
            _no_error(ana)
            screenshot_whole(ana, str(SHOTS / "class-set-student-en.png"))

            ben.goto(url + "/my_data?lang=zh")
            ben.wait_for_selector('[data-testid="stApp"]')
            wait_idle(ben)
            expect(ben.get_by_text(t("my_data.held_out.hidden", "zh", n=9))).to_be_visible()
            expect(ben.get_by_text(t("board.final", "zh"))).to_be_visible()
            expect(ben.locator(f".st-key-board_my_data_{made.id} [data-testid=stDataFrame]")).to_be_visible()
            expect(ben.locator(".drawpad")).to_be_visible()
            wait_idle(ben)
            screenshot_whole(ben, str(SHOTS / "class-set-student-zh.png"))
            teacher.goto(url + "/class?lang=zh")
            teacher.wait_for_selector('[data-testid="stApp"]')
            wait_idle(teacher)
            expect(teacher.locator(f".st-key-board_teacher_{made.id}").get_by_role(
                "button", name=t("board.hide", "zh"))).to_be_visible()
            expect(teacher.locator(f".st-key-board_teacher_{made.id} [data-testid=stDataFrame]")).to_be_visible()
            wait_idle(teacher)
            _no_error(teacher)
            screenshot_whole(teacher, str(SHOTS / "class-set-teacher-zh.png"))
            assert not re.search(r"Traceback", teacher.content())
    finally:
        for context in contexts.values():
            context.close()
