"""A class data set, headless, in both languages: the teacher draws the held-out part (a toggle) and sees it
apart, with who drew each sample; a student sees only how many are held out, never the drawings; the
leaderboard (Class page, teacher's and student's, and My data) ranks two students' runs by the public part,
then, once the teacher presses Reveal (kept in the database), by the private part. Names are shown as typed."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnn import classroom, i18n, leaderboard, models, my_data, runs
from pages.views import text
from pages.views.text import sentence

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HOSTILE = "![x](http://127.0.0.1:9/x) [CLICK](http://x) <b>b</b> **bold**"
TEACHER, ANN, BOB = "tok-teacher-set-aaaaaaaa", "tok-ann-set-bbbbbbbbbbbb", "tok-bob-set-cccccccccccc"
CLASSES = ["✓", "✗"]


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A class (code SETS19) with Ann (a hostile nickname) and Bob, and a class data set made by its teacher."""
    monkeypatch.setenv("CNN_LAB_MY_DATA", str(tmp_path / "my-data"))
    monkeypatch.setenv("CNN_LAB_DATABASE", f"sqlite:///{tmp_path / 'class.sqlite'}")
    leaderboard.clear_cache()
    room = classroom.Classroom(classroom.default_url())
    info = room.create_class("7B", "SETS19", "a long teacher secret", TEACHER)
    room.join(ANN, info.code, HOSTILE)
    room.join(BOB, info.code, "Bob")
    made = my_data.create_set(HOSTILE, CLASSES, owner=TEACHER, class_code=info.code)
    yield room, info, made
    room.close()


def _open(token: str, page: str, lang: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    at.session_state["owner"] = token
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _pad(pixels: np.ndarray, seq: int = 1) -> dict:
    rgba = np.zeros(pixels.shape + (4,), np.uint8)
    rgba[..., :3] = pixels[..., None]
    rgba[..., 3] = 255
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    return {"drawing": {"seq": seq, "png": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}}


def _shape(label: int, shift: int = 0) -> np.ndarray:
    canvas = np.zeros((280, 280), np.uint8)
    if label == 0:
        canvas[40 + shift:240, 130:150] = 255              # a bar
    else:
        canvas[130:150, 40 + shift:240] = 255              # a beam
    return canvas


def _messages(at: AppTest) -> str:
    return "\n".join([m.value for m in (*at.success, *at.info, *at.warning, *at.error)])


def _images(at: AppTest) -> int:
    return sum(len(element.proto.imgs) for element in at.get("image"))


def _captions(at: AppTest) -> list[str]:
    return [img.caption for element in at.get("image") for img in element.proto.imgs]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_teacher_draws_the_held_out_part_and_a_student_sees_only_its_count(world, lang):
    made = world[2]
    teacher = _open(TEACHER, "pages/my_data.py", lang)
    assert teacher.toggle(key="my_data_held_out").label == i18n.t("my_data.held_out.toggle", lang)
    teacher.toggle(key="my_data_held_out").set_value(True)
    teacher.session_state["my_data_pad"] = _pad(_shape(0))
    teacher.button(key="my_data_save_drawing").click().run()
    assert not teacher.exception, teacher.exception
    [held] = my_data.samples(made.id)
    assert held.held_out and held.by == TEACHER
    assert i18n.t("my_data.draw.saved_held_out", lang, name="✓") in _messages(teacher)

    ann = _open(ANN, "pages/my_data.py", lang)
    assert "my_data_held_out" not in {t.key for t in ann.toggle}, "a student draws no held-out sample"
    assert _images(ann) == 0, "the teacher's held-out drawing is not shown to a student"
    assert i18n.t("my_data.held_out.hidden", lang, n=1) in _messages(ann)
    assert ann.radio(key=f"my_data_class_{made.id}").options == ["✓ (0)", "✗ (0)"], "counts to train on"
    ann.session_state["my_data_pad"] = _pad(_shape(1))
    ann.button(key="my_data_save_drawing").click().run()
    assert not ann.exception, ann.exception
    drawn = next(s for s in my_data.samples(made.id) if s.by == ANN)
    assert not drawn.held_out
    assert _images(ann) == 1 and text.md(HOSTILE) not in _captions(ann), "her own sample; no names for students"

    teacher.run()                      # the fragment refreshes by itself in a browser; AppTest does not
    assert _images(teacher) == 2
    assert text.md(HOSTILE) in _captions(teacher), "who drew it, as text"
    assert f"my_data_unhold_{held.id}" in {b.key for b in teacher.button}
    # The teacher moves Ann's drawing into the held-out part, then gives the first one back to training.
    teacher.button(key=f"my_data_hold_{drawn.id}").click().run()
    teacher.button(key=f"my_data_unhold_{held.id}").click().run()
    assert not teacher.exception, teacher.exception
    assert {s.id: s.held_out for s in my_data.samples(made.id)} == {held.id: False, drawn.id: True}
    ann.run()
    assert _images(ann) == 1 and i18n.t("my_data.held_out.hidden", lang, n=1) in _messages(ann)
    # The teacher in another browser (the projector's), opened with the class secret: the same teacher's view.
    room, info, _made = world
    room.open_as_teacher(info.code, "a long teacher secret", "tok-projector-dddddddd")
    projector = _open("tok-projector-dddddddd", "pages/my_data.py", lang)
    assert "my_data_held_out" in {t.key for t in projector.toggle}
    assert _images(projector) == 2 and text.md(HOSTILE) in _captions(projector)
    assert {f"my_data_unhold_{drawn.id}", f"my_data_del_{held.id}"} <= {b.key for b in projector.button}
    assert not [b for b in ann.button if b.key and b.key.startswith(("my_data_hold_", "my_data_unhold_"))]


def _held_out_part(set_id: str) -> None:
    """Held-out drawings laid out so that "always ✓" wins the public part (3 of 4) and "always ✗" the private
    one (3 of 4): a leaderboard that swaps its order on Reveal is then the rule, not luck."""
    wanted = {(0, True): 3, (1, True): 1, (0, False): 1, (1, False): 3}
    chosen: list[str] = []
    shift = 0
    while any(wanted.values()):
        label = 0 if wanted[(0, True)] or wanted[(0, False)] else 1
        if not (wanted[(label, True)] or wanted[(label, False)]):
            label = 1 - label
        sample_id = my_data.add_drawing(set_id, label, _shape(label, shift % 30), by=TEACHER)
        shift += 3
        part = (label, leaderboard.is_public(sample_id))
        if wanted[part]:
            wanted[part] -= 1
            chosen.append(sample_id)
    my_data.set_held_out(set_id, chosen, True)


def _constant_run(owner: str, set_id: str, answer: int, name: str) -> str:
    """A finished run whose network answers `answer` for every picture (zero weights, one bias)."""
    spec = models.ModelSpec("tiny-conv", (1, 28, 28), [models._conv(2, 3), models._act(), models.FLATTEN,
                                                       models._dense(2)], list(CLASSES))
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
    runs.write_json(folder / "metrics.json", {"status": "finished", "epochs": [{"epoch": 1, "seconds": 75.0}]})
    models.save(model, spec, folder / "model", dataset=my_data.PREFIX + set_id)
    runs.write_owner(run_id, owner)
    return run_id


def _board(at: AppTest, lang: str):
    tables = [d.value for d in at.dataframe if i18n.t("board.run", lang) in list(d.value.columns)]
    assert tables, "the leaderboard is shown"
    return tables[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_leaderboard_ranks_by_the_public_part_then_by_the_private_one_after_reveal(world, lang):
    room, info, made = world
    _held_out_part(made.id)
    _constant_run(ANN, made.id, 0, HOSTILE)         # "always ✓": 75% public, 25% private
    _constant_run(BOB, made.id, 1, "bob's net")     # "always ✗": 25% public, 75% private
    damaged = _constant_run(BOB, made.id, 1, "broken")
    (runs.run_dir(damaged) / "model.safetensors").write_bytes(b"\x80\x04 a pickle under the name")
    nickname, public, private = (i18n.t(k, lang) for k in ("class.nickname", "board.public", "board.private"))

    teacher = _open(TEACHER, "pages/class.py", lang)
    shown = _board(teacher, lang)
    assert list(shown[nickname]) == [HOSTILE, "Bob", "Bob"], "names as text, ranked by the public part"
    assert list(shown[i18n.t("board.run", lang)]) == [HOSTILE, "bob's net", "broken"]
    assert list(shown[public]) == ["75.0%", "25.0%", "—"] and private not in shown.columns
    assert list(shown[i18n.t("board.rank", lang)]) == ["1", "2", "—"]
    assert list(shown[i18n.t("board.note", lang)]) == ["", "", i18n.t("board.problem.damaged", lang)]
    assert list(shown[i18n.t("board.time", lang)]) == ["1:15"] * 3
    assert list(shown[i18n.t("board.network", lang)]) == ["tiny-conv"] * 3
    assert sentence(i18n.t("board.title", lang), name=HOSTILE) in "\n".join(h.proto.body for h in teacher.get("html"))
    student = _open(ANN, "pages/class.py", lang)
    assert list(_board(student, lang)[nickname]) == [HOSTILE, "Bob", "Bob"]
    assert f"board_reveal_student_{made.id}" not in {b.key for b in student.button}, "only the teacher reveals"

    teacher.button(key=f"board_reveal_teacher_{made.id}").click().run()
    assert not teacher.exception, teacher.exception
    assert classroom.Classroom(room.url).revealed(info.id, made.id), "kept in the database"
    final = _board(teacher, lang)
    assert list(final[nickname]) == ["Bob", HOSTILE, "Bob"] and list(final[private]) == ["75.0%", "25.0%", "—"]
    assert i18n.t("board.final", lang) in _messages(teacher)
    student.run()                                   # another session sees it too
    assert list(_board(student, lang)[nickname]) == ["Bob", HOSTILE, "Bob"]
    on_my_data = _open(BOB, "pages/my_data.py", lang)
    assert list(_board(on_my_data, lang)[nickname]) == ["Bob", HOSTILE, "Bob"]
