"""Lessons: every exercise accepts its worked solution and refuses a wrong answer, in the engine and on the
page, in English and Chinese; answers are read the way students type them."""

import math

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP

from cnn import i18n, images, kernels, lessons, ops

EXERCISES = lessons.all_exercises()


def _near_misses(item: lessons.Exercise) -> list[str]:
    """The worked answer off by one (whole numbers: each number in turn) or off in the last asked digit."""
    want = item.solution()
    if item.kind == "integers":
        return [item.answer_text([v + d if i == j else v for j, v in enumerate(want)])
                for i in range(item.count) for d in (-1, 1)]
    if item.decimals is None:
        return [item.answer_text(float(want) + d) for d in (-1, 1)]
    unit = 10.0 ** -item.decimals
    rounded = round(float(want), item.decimals)
    return [item.answer_text(rounded + d * unit) for d in (-1, 1)]


def _torch_side(size: int, kernel: int, stride: int, padding: int) -> int:
    import torch

    x = torch.zeros(1, 1, size, size)
    return torch.nn.functional.conv2d(x, torch.zeros(1, 1, kernel, kernel), stride=stride, padding=padding).shape[-1]


# Exercises with more than one right answer, judged independently: (stride) for 2a, (padding) for 2b, (stride,
# padding) for 2c.
ALSO_RIGHT = {
    "2a": lambda s: _torch_side(28, 3, int(s[0]), 1) == 14,
    "2b": lambda p: p[0] >= 0 and _torch_side(28, 5, 1, int(p[0])) == 28,
    "2c": lambda sp: sp[0] >= 1 and sp[1] >= 0 and _torch_side(28, 3, sp[0], sp[1]) == 7,
}


@pytest.mark.parametrize("item", EXERCISES, ids=lambda e: e.id)
def test_the_engine_accepts_the_worked_solution_and_refuses_a_near_miss(item):
    assert item.verdict(item.solution_text()) == lessons.Verdict(True)
    for near in _near_misses(item):
        if item.id in ALSO_RIGHT:        # a neighbour may be another right answer: then it must be accepted
            value = lessons.read_integers(near, item.count) if item.kind == "integers" else (lessons.read_number(near),)
            assert item.check(near) == ALSO_RIGHT[item.id](value), near
        else:
            assert not item.check(near), near
    wrong = "999999" if item.kind == "number" else ", ".join(["99"] * item.count)
    assert item.verdict(wrong) == lessons.Verdict(False)         # no mistake claims a random answer


@pytest.mark.parametrize("item", EXERCISES, ids=lambda e: e.id)
def test_each_classic_mistake_is_refused_and_named(item):
    assert item.mistakes, f"exercise {item.id} names no classic mistake"
    for mistake in item.mistakes:
        assert item.verdict(item.answer_text(mistake.value())) == lessons.Verdict(False, mistake.key), mistake.key
        for lang in ("en", "zh"):
            assert f"exercise.{item.id}.mistake.{mistake.key}" in i18n.catalog(lang)
            assert "{" not in i18n.t(f"exercise.{item.id}.mistake.{mistake.key}", lang, **item.params)


def test_the_classic_mistakes_are_the_ones_they_name():
    """The mistaken numbers, from independent arithmetic."""
    def value(exercise_id, key):
        return next(m for m in lessons.exercise(exercise_id).mistakes if m.key == key).value()

    assert value("6d", "no_bias") == 64 * 13 * 13 * 100 == 1_081_600
    assert value("5a", "no_bias") == 10 * 5 * 5
    assert value("2b", "counted_once") == 4 and ops.output_size(28, 5, padding=4) == 32
    assert value("2a", "stride_one") == 1 and ops.output_size(28, 3, stride=1, padding=1) == 28
    assert tuple(value("1c", "no_plus_one")) == (3, 3) and tuple(value("1c", "kept")) == (6, 6)
    assert tuple(value("4d", "stride_one")) == (25, 25)
    assert value("3d", "bias_thrice") == pytest.approx(1.25 - 0.5 + 0.75 + 3 * 0.1)
    assert value("4b", "ratio") == pytest.approx(3 / 6)
    assert value("1a", "centred") == (images.SEED_GRID[:2, :2] * kernels.preset("diagonal")[1:, 1:]).sum()
    assert lessons.exercise("2c").verdict("1, 3") == lessons.Verdict(False, "stride_one")   # any stride-1 pair


def test_exercise_5a_teaches_the_comparison_right():
    """One bias per dense unit: the lecture's 19,601 is not what the solution teaches."""
    import torch

    params = lessons.exercise("5a").params
    conv = torch.nn.Conv2d(1, 10, 5)
    assert lessons.exercise("5a").solution() == sum(p.numel() for p in conv.parameters()) == 260
    lecture = torch.nn.Linear(784, 250)
    assert params["lecture_dense"] == f"{sum(p.numel() for p in lecture.parameters()):,}" == "196,250"
    outputs = conv(torch.zeros(1, 1, 28, 28)).numel()
    assert params["outputs"] == f"{outputs:,}" == "5,760"
    same = 784 * outputs + outputs                       # nn.Linear(784, 5760) would hold 4.5M floats
    assert params["same_dense"] == f"{same:,}" == "4,521,600"
    for lang in ("en", "zh"):
        text = i18n.t("exercise.5a.solution", lang, answer="260", **params)
        assert "196,250" in text and "4,521,600" in text and "19601" in text
        assert "19,601" not in text


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
        if item.decimals is not None:               # a decimal prompt says how precise the answer must be
            precision = i18n.t("exercise.precision", lang, decimals=item.decimals)
            assert any(precision in m.value for m in at.markdown), item.id
        wrong = "999999" if item.kind == "number" else ", ".join(["99"] * item.count)
        at.text_input(key=f"answer_{item.id}").input(wrong)
        at.button(key=f"FormSubmitter:form_{item.id}-{i18n.t('exercise.check', lang)}").click().run()
        assert not at.exception
        hint = i18n.t(f"exercise.{item.id}.hint", lang, **item.params)
        assert any(hint in w.value for w in at.warning), (item.id, [w.value for w in at.warning])
        for mistake in item.mistakes:               # each classic mistake gets the hint that names it
            at.text_input(key=f"answer_{item.id}").input(item.answer_text(mistake.value()))
            at.button(key=f"FormSubmitter:form_{item.id}-{i18n.t('exercise.check', lang)}").click().run()
            named = i18n.t(f"exercise.{item.id}.mistake.{mistake.key}", lang, **item.params)
            assert any(named in w.value for w in at.warning), (item.id, mistake.key)
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


# The lessons' live views: their numbers against torch, and the pages that show them.

def _torch_conv(image: np.ndarray, kernel: np.ndarray, **kwargs) -> np.ndarray:
    """image (C, H, W), kernel (M, C, k, k) -> (M, H', W') by torch.nn.functional.conv2d in float64."""
    import torch

    x = torch.from_numpy(np.asarray(image, dtype=np.float64))[None]
    w = torch.from_numpy(np.asarray(kernel, dtype=np.float64))
    return torch.nn.functional.conv2d(x, w, **kwargs)[0].numpy()


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_m_kernels_give_m_maps(count):
    names, stack, maps = lessons.several_maps(count)
    assert len(names) == count and stack.shape == (count, 3, 3)
    want = _torch_conv(images.SEED_GRID[None], stack[:, None])
    assert maps.shape == want.shape == (count, 4, 4)
    np.testing.assert_allclose(maps, want, atol=1e-12)
    np.testing.assert_array_equal(maps[0], lessons.GRID_MAP)          # the lecture's diagonal comes first


@pytest.mark.parametrize("stride", [2, 3, 4])
@pytest.mark.parametrize("padding", [0, 1, 2])
def test_a_larger_stride_keeps_every_sth_cell_of_the_stride_1_map(stride, padding):
    digit, one, strided = lessons.stride_maps(stride, padding)
    kernel = kernels.preset(lessons.STRIDE_KERNEL)[None, None]
    np.testing.assert_allclose(one, _torch_conv(digit[None], kernel, padding=padding)[0], atol=1e-12)
    np.testing.assert_allclose(strided, _torch_conv(digit[None], kernel, stride=stride, padding=padding)[0],
                               atol=1e-12)
    np.testing.assert_array_equal(strided, one[::stride, ::stride])      # what the dots show
    if padding == 1:                                                     # same padding for a 3x3 kernel
        assert one.shape == digit.shape == (28, 28)
        assert stride != 2 or strided.shape == (14, 14)                  # stride 2 halves it


@pytest.mark.parametrize("preset", list(lessons.MIX_PRESETS))
def test_a_1x1_kernel_mixes_the_channels_and_keeps_the_size(preset):
    weights = lessons.MIX_PRESETS[preset]
    photo, mixed = lessons.mix_channels(weights)
    want = _torch_conv(photo, np.array(weights).reshape(1, 3, 1, 1))[0]
    assert mixed.shape == photo.shape[1:] == want.shape
    np.testing.assert_allclose(mixed, want, atol=1e-12)
    np.testing.assert_allclose(mixed, np.tensordot(weights, photo, axes=1), atol=1e-12)   # w_R·R + w_G·G + w_B·B


def test_lesson_1_shows_as_many_maps_as_kernels():
    at = _lessons_page("en", 1)
    assert any("3 kernel(s) → 3 map(s), stacked: output shape **3×4×4**" in m.value for m in at.markdown)
    at.slider(key="lesson_1_kernels").set_value(4).run()
    assert not at.exception
    assert any("output shape **4×4×4**" in m.value for m in at.markdown)
    shown = [c.value for c in at.code]
    want = lessons.several_maps(4)[1]
    assert [" ".join(t.split()) for t in shown[:4]] == [
        " ".join(f"{v:g}".replace("-", "−") for v in k.ravel()) for k in want]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lesson_2_puts_stride_1_and_stride_s_side_by_side(lang):
    at = _lessons_page(lang, 2)
    assert any(i18n.t("lesson.2.side.halve", lang) in m.value for m in at.markdown)
    assert any(i18n.t("lesson.2.side.same", lang) in m.value for m in at.markdown)
    formulas = [c.value for c in at.code]
    assert formulas == ["o = ⌊(28 + 2·1 − 3) / 1⌋ + 1 = 28", "o = ⌊(28 + 2·1 − 3) / 2⌋ + 1 = 14"]
    at.slider(key="lesson_2_stride").set_value(3).run()
    at.slider(key="lesson_2_padding").set_value(0).run()
    assert not at.exception
    digit = images.mnist_digit(0)[0][None]
    k = kernels.preset("sobel_x")[None, None]
    side_1 = _torch_conv(digit, k).shape[-1]
    side_3 = _torch_conv(digit, k, stride=3).shape[-1]
    assert [c.value for c in at.code] == [f"o = ⌊(28 + 2·0 − 3) / 1⌋ + 1 = {side_1}",
                                          f"o = ⌊(28 + 2·0 − 3) / 3⌋ + 1 = {side_3}"]
    assert any(i18n.t("lesson.2.side.pad_0", lang) in c.value for c in at.caption)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lesson_3_mixes_a_photo_with_a_1x1_kernel(lang):
    at = _lessons_page(lang, 3)
    assert any(i18n.t("lesson.3.mix.help", lang) in m.value for m in at.markdown)
    before = i18n.t("lesson.3.mix.kept", lang, before="3×128×128", after="1×128×128")
    assert any(before in m.value for m in at.markdown)
    keys = ("lesson_3_wr", "lesson_3_wg", "lesson_3_wb")
    at.button_group(key="lesson_3_mix").set_value("red_minus_blue").run()       # a preset sets the three weights
    assert [at.slider(key=k).value for k in keys] == list(lessons.MIX_PRESETS["red_minus_blue"])
    weights = (0.5, -0.25, 0.75)
    for key, w in zip(keys, weights, strict=True):
        at.slider(key=key).set_value(w).run()
    assert not at.exception
    photo = images.sample_photo("astronaut", rgb=True, size=128)
    row, col = lessons.MIX_PIXEL
    value = _torch_conv(photo, np.array(weights).reshape(1, 3, 1, 1))[0, row, col]
    line = [c.value for c in at.code if f"({row}, {col})" in c.value]
    assert line and line[0].endswith(f"= {value:.3f}"), line


@pytest.mark.parametrize("lesson, maps", [(1, 3), (2, 1), (3, 1), (7, 3)])
def test_the_lessons_maps_have_colour_bars(lesson, maps):
    """A map's colours are read with a colour bar beside it: at least one legend per coloured map shown."""
    at = _lessons_page("en", lesson)
    legends = [m for m in at.markdown if 'data-testid="colour-legend"' in m.value]
    assert len(legends) >= maps, (lesson, len(legends))
