"""PostgreSQL killed (kill -9) under a running class, headless: every page that reads the class database says
so in the user's language instead of failing, Home, the Lab, Draw and the lessons keep working, and once the
database is back the same sessions work again with no reload and everything committed before is there."""

from __future__ import annotations

import pytest

from cnn import classroom, i18n, lessons
from tests.services import Postgres
from tests.test_class_page import _create, _join, _session, _token


@pytest.fixture
def class_on_postgres(monkeypatch):
    """The app's class database on a PostgreSQL of this test's own (killing it disturbs no other test)."""
    server = Postgres()
    server.start()
    monkeypatch.setenv("CNN_LAB_DATABASE", server.new_database("cnn_lab"))
    yield server
    server.stop()


def _shown(at) -> list[str]:
    return [w.value for w in at.warning] + [e.value for e in at.error]


def _says_unavailable(at, lang: str) -> bool:
    return i18n.t("class.unavailable", lang) in _shown(at)


def _no_failure(at, lang: str = "en") -> None:
    assert not at.exception, at.exception
    assert i18n.t("error.unexpected", lang) not in _shown(at)


def _check(at, item, answer: str) -> None:
    at.text_input(key=f"answer_{item.id}").input(answer)
    at.button(key=f"FormSubmitter:form_{item.id}-{i18n.t('exercise.check', 'en')}").click().run()


def test_a_killed_database_is_said_in_each_language_and_the_class_is_back_after_it(class_on_postgres):
    code, item, later = classroom.new_code(), lessons.LESSONS[1][0], lessons.LESSONS[1][1]
    teacher = _session(_token())
    _create(teacher, "7A", code)
    mo_token = _token()
    mo = _session(mo_token)
    _join(mo, code, "Mo")
    lesson_page = _session(mo_token, "pages/lessons.py")
    _check(lesson_page, item, item.solution_text())
    teacher.run()
    assert teacher.dataframe[0].value.loc["Mo", item.id] == "✓"

    class_on_postgres.kill()

    # The pages that read the class database say so, in the user's language, and nothing fails.
    teacher.run()
    _no_failure(teacher)
    assert _says_unavailable(teacher, "en")
    for lang in ("en", "zh"):
        for page in ("pages/class.py", "pages/train.py", "pages/my_data.py"):
            at = _session(_token(), page, lang=lang)
            _no_failure(at, lang)
            assert _says_unavailable(at, lang), (page, lang)
        home = _session(mo_token, "pages/home.py", lang=lang)     # the banner says so; Home goes on below
        _no_failure(home, lang)
        assert _says_unavailable(home, lang) and home.markdown[-1].value

    # The Lab and Draw do not need the class at all.
    for page in ("pages/lab.py", "pages/draw.py"):
        at = _session(mo_token, page)
        _no_failure(at)
        assert not _says_unavailable(at, "en"), page

    # The lessons go on: answers are checked and ticked; the page says that progress is not kept now.
    lesson_page.run()
    _check(lesson_page, later, later.solution_text())
    _no_failure(lesson_page)
    assert i18n.t("lessons.progress.unsaved", "en") in _shown(lesson_page)
    assert {item.id, later.id} <= lesson_page.session_state["lessons_solved"]
    fresh = _session(_token(), "pages/lessons.py", lang="zh")
    _no_failure(fresh, "zh")
    assert i18n.t("lessons.progress.unsaved", "zh") in _shown(fresh)

    class_on_postgres.restart()

    # The same sessions, no reload: the teacher's page shows the class again, with what was committed.
    teacher.run()
    _no_failure(teacher)
    assert not _says_unavailable(teacher, "en")
    assert teacher.dataframe[0].value.loc["Mo", item.id] == "✓"
    lesson_page.run()
    _no_failure(lesson_page)
    assert i18n.t("lessons.progress.unsaved", "en") not in _shown(lesson_page)
    _check(lesson_page, later, later.solution_text())      # kept again now
    teacher.run()
    assert teacher.dataframe[0].value.loc["Mo", later.id] == "✓"
    room = classroom.open_classroom()
    assert [p.nickname for p in room.students(room.class_by_code(code).id)] == ["Mo"]
