"""Lessons: every exercise accepts its worked solution and refuses a wrong answer, in the engine and on the
page, in English and Chinese; answers are read the way students type them."""

import math

import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP

from cnn import i18n, images, kernels, lessons, ops

EXERCISES = lessons.all_exercises()


@pytest.mark.parametrize("item", EXERCISES, ids=lambda e: e.id)
def test_the_engine_accepts_the_worked_solution_and_refuses_a_wrong_one(item):
    assert item.check(item.solution_text())
    wrong = "999999" if item.kind == "number" else ", ".join(["99"] * item.count)
    assert not item.check(wrong)


def test_answers_are_computed_not_typed():
    """The lecture's numbers, from the engine and from an independent calculation."""
    grid_map = ops.conv2d(images.SEED_GRID, kernels.preset("diagonal"))
    assert lessons.exercise("1a").solution() == grid_map[0, 0] == 3
    patch = images.SEED_GRID[3:6, 1:4]
    assert lessons.exercise("1b").solution() == (patch * kernels.preset("diagonal")).sum()
    assert lessons.exercise("5b").solution() == (64 * 36, 36 * 9, 9)
    assert lessons.exercise("5a").solution() == 260
    assert lessons.exercise("4b").solution() == pytest.approx(math.exp(3) / sum(math.exp(v) for v in (1, 2, 3)))
    assert lessons.exercise("6c").solution() == 64 * 13 * 13
    assert lessons.exercise("6d").solution() == 64 * 13 * 13 * 100 + 100


def test_whole_numbers_are_checked_exactly_and_decimals_to_the_asked_precision():
    assert not lessons.exercise("6a").check("1874") and lessons.exercise("6a").check("1875")
    assert not lessons.exercise("6a").check("1875.5")
    assert not lessons.exercise("6d").check("1081600")                  # the 100 biases forgotten
    softmax = lessons.exercise("4b")                                    # 0.6652, asked to 2 decimals
    assert softmax.decimals == 2
    for right in ("0.67", "0.665", "0.6652", ".67"):
        assert softmax.check(right), right
    for wrong in ("0.66", "0.68", "0.7", "0.6"):
        assert not softmax.check(wrong), wrong


def test_a_known_mistake_is_named():
    item = lessons.Exercise("t", "number", lambda: 260, mistakes=(lessons.Mistake("no_bias", lambda: 250),))
    assert item.verdict("250") == lessons.Verdict(False, "no_bias")
    assert item.verdict("251") == lessons.Verdict(False, None)
    assert item.verdict("260") == lessons.Verdict(True)


def test_answers_are_read_as_students_type_them():
    assert lessons.exercise("3b").check("[16 32 32 3]")
    assert lessons.exercise("3b").check("16×32×32×3")
    assert lessons.exercise("3c").check("(0, 2, 3, 1)")
    assert lessons.exercise("6a").check("1,875")
    assert lessons.exercise("2c").check("4, 1")          # more than one right answer: any pair giving 7
    assert lessons.exercise("2c").check("4，1")           # a Chinese comma
    assert not lessons.exercise("2c").check("1, 1")
    with pytest.raises(lessons.AnswerError) as info:
        lessons.exercise("1a").check("three")
    assert info.value.code == "not_a_number"
    with pytest.raises(lessons.AnswerError) as info:
        lessons.exercise("3a").check("8, 3, 3")
    assert info.value.code == "wrong_count"
    for bad in ("nan", "inf", ""):
        with pytest.raises(lessons.AnswerError):
            lessons.exercise("1a").check(bad)


def test_every_exercise_has_its_words_in_both_languages():
    for lang in ("en", "zh"):
        catalog = i18n.catalog(lang)
        for item in EXERCISES:
            for part in ("prompt", "hint", "solution"):
                assert f"exercise.{item.id}.{part}" in catalog
    for n in lessons.LESSONS:
        assert f"lesson.{n}.title" in i18n.catalog("zh") and f"lesson.{n}.body" in i18n.catalog("zh")


def _lessons_page(lang: str, lesson: int) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = lang
    at.query_params["lesson"] = str(lesson)
    at.run()
    at.switch_page("pages/lessons.py").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lesson", list(lessons.LESSONS))
def test_the_page_checks_answers_in_both_languages(lang, lesson):
    at = _lessons_page(lang, lesson)
    assert at.header[0].value == i18n.t(f"lesson.{lesson}.title", lang)
    for item in lessons.LESSONS[lesson]:
        wrong = "999999" if item.kind == "number" else ", ".join(["99"] * item.count)
        at.text_input(key=f"answer_{item.id}").input(wrong)
        at.button(key=f"FormSubmitter:form_{item.id}-{i18n.t('exercise.check', lang)}").click().run()
        assert not at.exception
        hint = i18n.t(f"exercise.{item.id}.hint", lang)
        assert any(hint in w.value for w in at.warning), (item.id, [w.value for w in at.warning])
        at.text_input(key=f"answer_{item.id}").input(item.solution_text())
        at.button(key=f"FormSubmitter:form_{item.id}-{i18n.t('exercise.check', lang)}").click().run()
        assert not at.exception
        assert any(item.solution_text() in s.value for s in at.success), item.id
    solved = at.session_state["lessons_solved"]
    assert {item.id for item in lessons.LESSONS[lesson]} <= solved
    done = len(lessons.LESSONS[lesson])
    progress = i18n.t("lessons.progress", lang, done=done, total=len(EXERCISES))
    assert any(progress in (p.proto.text or "") for p in at.get("progress"))


def test_a_bad_answer_gets_a_message_not_an_error():
    at = _lessons_page("zh", 1)
    at.text_input(key="answer_1a").input("三")
    at.button(key=f"FormSubmitter:form_1a-{i18n.t('exercise.check', 'zh')}").click().run()
    assert not at.exception
    assert i18n.t("exercise.error.not_a_number", "zh") in [e.value for e in at.error]


def test_a_stale_lesson_in_the_link_falls_back_to_the_first():
    at = _lessons_page("en", 99)
    assert at.header[0].value == i18n.t("lesson.1.title", "en")


def test_lesson_3_opens_the_lab_on_the_view_it_shows():
    """Its "Open this view in the Lab" link carries the per-channel kernels, the bias, no activation and
    no pooling: the Lab's maps are the lesson's."""
    from urllib.parse import parse_qsl, urlparse

    import numpy as np
    from test_app import _lab_link, _maps

    at = _lessons_page("en", 3)
    url = next(e.proto.url for e in at.get("link_button") if "/lab?" in e.proto.url)
    params = dict(parse_qsl(urlparse(url).query))
    lab = _lab_link(**params)
    data = _maps(lab)
    photo = images.sample_photo("astronaut", rgb=True, size=64)
    kernel = np.stack([kernels.preset("sobel_x"), kernels.preset("sobel_y"), kernels.preset("laplacian")])
    np.testing.assert_array_equal(data["kernel"], kernel)
    assert data["bias"] == 0.1 and data["pooled"] is None
    want = ops.conv2d(photo, kernel[None], bias=np.array([0.1]))[0]
    np.testing.assert_allclose(data["feature"][0], want, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(data["activated"], data["feature"])          # no activation
