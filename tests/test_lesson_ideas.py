"""Lessons 7-9 (shifts and layers, scaled pixels and dropout, the loss): every answer is the engine's and an
independent reference's, every classic mistake is named, and the pages show the engine's numbers."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest
from test_lessons import _lessons_page

from cnn import filter_view, i18n, lessons, models, ops

NEW = [item for n in (7, 8, 9) for item in lessons.LESSONS[n]]


def _typed(item, value) -> str:
    return ", ".join(str(int(v)) for v in value) if item.kind == "integers" else repr(float(value))


@pytest.mark.parametrize("item", NEW, ids=lambda e: e.id)
def test_each_classic_mistake_is_refused_with_the_hint_that_names_it(item):
    assert item.mistakes, "every new exercise targets a mistake"
    for mistake in item.mistakes:
        assert item.verdict(_typed(item, mistake.value())) == lessons.Verdict(False, mistake.key)
        for lang in ("en", "zh"):
            assert f"exercise.{item.id}.mistake.{mistake.key}" in i18n.catalog(lang)
    want = item.solution()
    if item.kind == "integers":
        off = list(want)
        off[-1] += 1
        assert not item.check(", ".join(map(str, off)))
    elif item.decimals is None:
        assert not item.check(str(int(want) + 1)) and not item.check(str(int(want) - 1))
    else:
        step = 10.0 ** -item.decimals
        assert item.check(f"{want:.{item.decimals}f}")
        assert not item.check(f"{round(want, item.decimals) + step:.{item.decimals}f}")
        assert not item.check(f"{round(want, item.decimals) - step:.{item.decimals}f}")


def test_the_answers_against_independent_references():
    # 7a: pool by hand.
    feature = np.zeros((4, 4))
    feature[lessons.SHIFT_MAP_CELL[0], lessons.SHIFT_MAP_CELL[1] + lessons.SHIFT_RIGHT] = 9.0
    pooled = F.max_pool2d(torch.tensor(feature)[None, None], 2)[0, 0].numpy()
    assert lessons.exercise("7a").solution() == tuple(np.argwhere(pooled == 9.0)[0])
    # 7b, 7c: the box of what a centre cell depends on, through the layers.
    spec = lessons._conv_pool_conv()
    spec.layers += [{"type": "flatten"}, {"type": "dense", "units": 10}]   # a whole network, for models.summary
    summary = models.summary(spec)
    for exercise_id, layer in (("7b", 2), ("7c", 3)):
        _, h, w = summary[layer].output_shape
        top, left, bottom, right = filter_view.receptive_field(spec, layer, h // 2, w // 2)
        assert lessons.exercise(exercise_id).solution() == bottom - top + 1 == right - left + 1
    assert (lessons.exercise("7b").solution(), lessons.exercise("7c").solution()) == (4, 12)
    # 8a, 8b: x / 255.
    assert lessons.exercise("8a").solution() == pytest.approx(51 / 255)
    w = torch.zeros(1, requires_grad=True)
    x = torch.tensor([lessons.GRADIENT_PIXEL / 255.0], dtype=torch.float64)
    z = (w * x).sum()
    (grad,) = torch.autograd.grad(z * lessons.GRADIENT_DELTA, w)          # δ = dL/dz
    assert lessons.exercise("8b").solution() == pytest.approx(grad.item())
    # 8c, 8d: torch's Dropout on a unit it keeps, in training and in eval.
    layer = torch.nn.Dropout(lessons.DROPOUT_P)
    torch.manual_seed(0)
    values = torch.full((64,), lessons.DROPOUT_VALUE, dtype=torch.float64)
    kept = layer.train()(values)
    assert lessons.exercise("8c").solution() == pytest.approx(kept[kept != 0][0].item())
    assert lessons.exercise("8d").solution() == pytest.approx(layer.eval()(values)[0].item())
    # 9a, 9b: torch's cross_entropy.
    logits = torch.log(torch.tensor([[lessons.TRUE_PROBABILITY, 1 - lessons.TRUE_PROBABILITY]]))
    assert lessons.exercise("9a").solution() == pytest.approx(F.cross_entropy(logits, torch.tensor([0])).item())
    assert lessons.exercise("9a").solution_text() == "1.39"
    uniform = F.cross_entropy(torch.zeros(1, 10), torch.tensor([3])).item()
    assert lessons.exercise("9b").solution() == pytest.approx(uniform)
    assert lessons.exercise("9b").solution() == pytest.approx(math.log(10))
    assert ops.pool2d(feature, size=2, stride=2, mode="max").shape == (2, 2)


def _page(lesson: int, lang: str = "en") -> AppTest:
    return _lessons_page(lang, lesson)


def _check(at: AppTest, exercise_id: str, text: str, lang: str = "en") -> None:
    at.text_input(key=f"answer_{exercise_id}").input(text)
    at.button(key=f"FormSubmitter:form_{exercise_id}-{i18n.t('exercise.check', lang)}").click().run()
    assert not at.exception


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_classic_mistake_gets_its_hint_on_the_page(lang):
    at = _page(8, lang)
    _check(at, "8c", "0.4", lang)
    hint = i18n.t("exercise.8c.mistake.times_keep", lang)
    assert any(hint in w.value for w in at.warning)
    _check(at, "8c", "1.6", lang)
    assert any("1.6" in s.value for s in at.success)


def test_the_loss_view_shows_torchs_cross_entropy_and_follows_the_true_class():
    from cnn import data, inspect

    at = _page(9)
    index = at.session_state["kept"]["ideas_loss_sample"]
    samples = data.sample_digits()
    model, spec = models.load("assets/models/mnist-default")
    logits = torch.tensor(inspect.trace(model, spec, samples.images[index] / 255.0).logits)[None].double()
    label = int(samples.labels[index])
    unlikely = int(torch.argmin(logits[0]))
    for true in (label, unlikely):
        if true != label:
            at.selectbox(key=f"ideas_loss_true_{index}").select(true).run()
            assert not at.exception
        loss = F.cross_entropy(logits, torch.tensor([true])).item()
        shown = [m.value for m in at.markdown if m.value.startswith("p(")]
        assert shown and f"{loss:.4g}" in shown[0], (shown, loss)
    assert loss > 5.0                                      # confident and wrong costs a lot


def test_shifting_the_digit_moves_the_input_and_keeps_the_answer():
    at = _page(7)
    at.slider(key="ideas_shift_right").set_value(3).run()
    assert not at.exception
    captions = [img.caption for element in at.get("image") for img in element.proto.imgs]
    assert i18n.t("ideas.shift.input", "en", down=1, right=3) in captions
    assert any(i18n.t("ideas.shift.guess", "en", label="4", p="> 99.9%") == m.value for m in at.markdown)
