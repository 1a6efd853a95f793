"""The Class page and what it changes elsewhere, headless: a teacher creates a class, students join it from
their own sessions, their answers fill the teacher's grid, the assignment leads Home, the limits reach
Train, exports hold the class, and only the owner or the teacher may manage a run."""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnn import classroom, i18n, lessons, runs
from pages.views import class_view
from pages.views.text import sentence

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HOSTILE = "![x](http://127.0.0.1:9/x) [CLICK](http://x) <b>b</b> **bold**"


def _session(token: str, page: str = "pages/class.py", lang: str = "en", query: dict | None = None) -> AppTest:
    """A browser whose cookie holds `token`, on `page`."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["owner"] = token
    at.query_params["lang"] = lang
    at.run()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _token() -> str:
    return secrets.token_urlsafe(18)


def _submit(at: AppTest, form: str, label_key: str, lang: str = "en") -> None:
    at.button(key=f"FormSubmitter:{form}-{i18n.t(label_key, lang)}").click().run()
    assert not at.exception, at.exception


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    return "\n".join(parts + [e.value for e in at.error] + [t.value for t in at.get("text")])


def _html(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def _create(at: AppTest, name: str, code: str, secret: str = "teach-me") -> None:
    at.text_input(key="new_class_name").input(name)
    at.text_input(key="new_class_code").input(code)
    at.text_input(key="new_class_secret").input(secret)
    _submit(at, "create_class", "class.teacher.create_button")


def _join(at: AppTest, code: str, nickname: str) -> None:
    at.text_input(key="join_code").input(code)
    at.text_input(key="join_nickname").input(nickname)
    _submit(at, "join_class", "class.student.join")


@pytest.fixture
def code() -> str:
    return classroom.new_code()


def test_the_class_page_renders_for_a_newcomer_in_both_languages():
    for lang, title in (("en", "Class"), ("zh", "班级")):
        at = _session(_token(), lang=lang)
        assert at.title[0].value == title
        assert at.get("text_input"), "the join and create forms are there"


def test_teacher_creates_students_join_and_the_grid_fills_in(code):
    teacher = _session(_token())
    _create(teacher, HOSTILE, code)
    assert sentence(i18n.t("class.view.title", "en"), name=HOSTILE) in _html(teacher), "the class name, escaped"
    assert "&lt;b&gt;b&lt;/b&gt; **bold**" in _html(teacher)
    assert i18n.t("class.grid.empty", "en") in [i.value for i in teacher.info]

    alice_token = _token()
    alice = _session(alice_token)
    _join(alice, code.lower(), HOSTILE)
    assert sentence(i18n.t("class.student.member", "en"), nickname=HOSTILE, name=HOSTILE) in _html(alice)
    bob = _session(_token())
    _join(bob, code, HOSTILE)                 # that nickname is taken in this class
    assert i18n.t("class.error.nickname_taken", "en") in [e.value for e in bob.error]
    _join(bob, code, "Bob")
    _join(_session(_token()), "NOSUCH", "Eve")  # a wrong code: a message, nobody joins

    # Alice solves the first exercise (one wrong try first) on the Lessons page.
    item = lessons.LESSONS[1][0]
    lesson_page = _session(alice_token, "pages/lessons.py")
    check = f"FormSubmitter:form_{item.id}-{i18n.t('exercise.check', 'en')}"
    lesson_page.text_input(key=f"answer_{item.id}").input("999999" if item.kind == "number" else "99, 99")
    lesson_page.button(key=check).click().run()
    lesson_page.text_input(key=f"answer_{item.id}").input(item.solution_text())
    lesson_page.button(key=check).click().run()
    assert not lesson_page.exception

    teacher.run()     # a browser's fragment refreshes by itself; AppTest does not simulate run_every
    grid = teacher.dataframe[0].value
    assert list(grid.index) == [HOSTILE, "Bob"] or list(grid.index) == ["Bob", HOSTILE]
    assert grid.loc[HOSTILE, item.id] == "✓" and grid.loc["Bob", item.id] == "·"
    info = classroom.open_classroom().class_by_code(code)
    assert classroom.open_classroom().progress(info.id)[alice_token][item.id]["attempts"] == 2
    lessons_text = "\n".join(p.proto.text for p in teacher.get("progress"))
    cells = 2 * len(lessons.LESSONS[1])
    assert f"{i18n.t('lesson.1.title', 'en')}: 1 of {cells} solved · visited by 1 of 2" in lessons_text

    # The CSV: one row per student and exercise.
    rows = list(csv.DictReader(io.StringIO(classroom.open_classroom().export_csv(info.id, class_view._exercises()))))
    assert len(rows) == 2 * len(lessons.all_exercises())
    mine = next(r for r in rows if r["nickname"] == HOSTILE and r["exercise"] == item.id)
    assert (mine["status"], mine["attempts"]) == ("solved", "2")
    assert {b.label for b in teacher.get("download_button")} >= {i18n.t("class.export.progress", "en"),
                                                                 i18n.t("class.export.runs", "en")}
    # A reload is a new session of the same browser: Alice is still herself, and her tick is still there.
    again = _session(alice_token, "pages/lessons.py")
    assert item.id in again.session_state["lessons_solved"]


def test_the_teacher_opens_the_class_from_another_browser_with_the_secret(code):
    _create(_session(_token()), "Room 4", code, secret="right-secret")
    projector = _session(_token())
    projector.text_input(key="open_class_code").input(code)
    projector.text_input(key="open_class_secret").input("wrong-secret")
    _submit(projector, "open_class", "class.teacher.open_button")
    assert i18n.t("class.error.secret_wrong", "en") in [e.value for e in projector.error]
    projector.text_input(key="open_class_secret").input("right-secret")
    _submit(projector, "open_class", "class.teacher.open_button")
    assert sentence(i18n.t("class.view.title", "en"), name="Room 4") in _html(projector)


def test_an_assigned_lesson_comes_first_on_home_and_opens_it(code):
    teacher = _session(_token())
    _create(teacher, "Room 5", code)
    student_token = _token()
    _join(_session(student_token), code, "Sam")
    teacher.selectbox(key="assign_choice").set_value("lesson:3").run()
    teacher.button(key="assign_button").click()
    teacher.run()
    assert classroom.open_classroom().class_by_code(code).assignment == "lesson:3"
    for lang in ("en", "zh"):
        home = _session(student_token, "pages/home.py", lang=lang)
        links = home.get("page_link")
        first = links[0].proto
        assert first.label == i18n.t("class.assign.lesson", lang, n=3, title=i18n.t("lesson.3.title", lang))
        assert "lesson=3" in first.query_string
    alone = _session(_token(), "pages/home.py")
    assert not any("lesson=3" in link.proto.query_string for link in alone.get("page_link"))


def test_a_lab_link_can_be_assigned():
    assert class_view.assignment_target("link", "http://host:8501/lab?stride=2,1&lang=zh&projector=1") == \
        "link:lab?stride=2,1"
    assert class_view.assignment_target("link", "http://host:8501/") == "link:home"
    assert class_view.assignment_target("lesson:2", "") == "lesson:2"
    assert class_view.assignment_target("", "") is None
    with pytest.raises(classroom.ClassroomError):
        class_view.assignment_target("link", "http://evil.example/steal")


def test_class_limits_are_stored_and_lock_the_train_page(code):
    teacher = _session(_token())
    _create(teacher, "Room 6", code)
    student_token = _token()
    _join(_session(student_token), code, "Sam")
    teacher.number_input(key="limit_epochs").set_value(2)
    teacher.number_input(key="limit_seconds").set_value(120)
    teacher.button(key="limits_button").click()
    teacher.run()
    assert classroom.open_classroom().class_limits(student_token) == (2, 120)
    train = _session(student_token, "pages/train.py")
    train.slider(key="train_epochs").set_value(5).run()
    assert i18n.t("train.class_limit_epochs", "en", n=2) in [w.value for w in train.warning]
    start = next(b for b in train.button if b.label == i18n.t("train.start", "en"))
    assert start.disabled


def _folder_run(owner: str, name: str = "net") -> str:
    run_id = runs.new_id(name)
    folder = runs.run_dir(run_id)
    folder.mkdir(parents=True)
    # "running" with nobody holding its lock: an interrupted run, resumable
    runs.write_json(folder / "info.json", {"format": runs.FORMAT, "name": name, "status": "running",
                                           "epochs_planned": 3})
    runs.write_json(folder / "metrics.json", {"status": "running", "epochs": []})
    runs.write_owner(run_id, owner)
    return run_id


def test_only_the_owner_or_the_teacher_may_rename_or_delete_a_saved_run(code):
    teacher_token, alice_token, bob_token = _token(), _token(), _token()
    _create(_session(teacher_token), "Room 7", code)
    _join(_session(alice_token), code, HOSTILE)
    _join(_session(bob_token), code, "Bob")
    run_id = _folder_run(alice_token, "alices")

    bob = _session(bob_token, "pages/train.py")
    keys = {b.key for b in bob.button}
    assert f"delete_{run_id}" not in keys and f"resume_{run_id}" not in keys, "another student gets no Delete"
    assert f"name_{run_id}" not in {t.key for t in bob.text_input}, "nor a name field"
    assert HOSTILE in [t.value for t in bob.get("text")], "the owner's nickname, as text"
    assert "alices" in [t.value for t in bob.get("text")]

    alice = _session(alice_token, "pages/train.py")
    assert {f"delete_{run_id}", f"resume_{run_id}"} <= {b.key for b in alice.button}
    assert i18n.t("train.yours", "en") + " · " + HOSTILE in [t.value for t in alice.get("text")]
    alice.text_input(key=f"name_{run_id}").input(HOSTILE).run()
    assert runs.read_run(runs.run_dir(run_id)).name == HOSTILE

    teacher = _session(teacher_token, "pages/train.py")
    teacher.button(key=f"delete_{run_id}").click().run()
    assert not teacher.exception
    assert not runs.run_dir(run_id).exists(), "the teacher may delete any run of the class"


def test_the_projector_link_and_toggle():
    at = _session(_token(), "pages/home.py", query={"projector": "1"})
    at.run()
    assert any("font-size: 22px" in h.proto.body for h in at.get("html"))
    assert at.query_params["projector"] == ["1"] or at.query_params["projector"] == "1"
    off = _session(_token(), "pages/home.py")
    assert not any("font-size: 22px" in h.proto.body for h in off.get("html"))


def test_a_sentence_keeps_our_bold_and_their_characters():
    assert sentence("You are **{nickname}**.", nickname="**x** <b>y</b> & http://z") == \
        "You are <b>**x** &lt;b&gt;y&lt;/b&gt; &amp; http://z</b>."
