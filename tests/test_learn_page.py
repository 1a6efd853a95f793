"""How a kernel learns, headless: steps lower the loss, the numbers shown are the engine's, a learning rate
that overshoots gives a message and the page keeps working."""

import html
import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP

from cnn import i18n
from cnn import kernel_learning as kl


def _learn(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/learn.py").run()
    assert not at.exception, at.exception
    return at


def _loss(at: AppTest) -> float:
    return float(next(m.value for m in at.metric if m.label == i18n.t("learn.loss", "en")))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_steps_lower_the_loss_in_both_languages(lang):
    at = _learn(lang)
    state = at.session_state["learn"]
    problem = kl.default_problem("sobel_x")
    start = kl.loss(problem, state["kernel"], state["bias"])
    at.button[1].click().run()                                  # ten steps
    assert not at.exception
    state = at.session_state["learn"]
    assert len(state["history"]) == 11
    assert state["history"][-1] < start
    assert kl.loss(problem, state["kernel"], state["bias"]) == pytest.approx(state["history"][-1])


def test_the_shown_loss_is_the_engines():
    at = _learn()
    at.button[0].click().run()                                  # one step
    state = at.session_state["learn"]
    assert _loss(at) == pytest.approx(kl.loss(kl.default_problem("sobel_x"), state["kernel"], state["bias"]), rel=1e-2)


def test_a_learning_rate_that_overshoots_says_so():
    at = _learn()
    at.select_slider(key="learn_rate").set_value(1.2).run()
    for _ in range(6):
        at.button[1].click().run()                              # sixty steps at 1.2x: the loss grows
    assert not at.exception
    history = at.session_state["learn"]["history"]
    diverged = i18n.t("learn.error.diverged", "en", lr="")[:20]
    assert history[-1] > history[0] or any(diverged in e.value for e in at.error)
    at.button[2].click().run()                                  # a new random kernel: the page goes on
    assert not at.exception and len(at.session_state["learn"]["history"]) == 1


def test_the_diverged_message_follows_a_language_switch():
    at = _learn()
    at.select_slider(key="learn_rate").set_value(1.2).run()
    for _ in range(40):                                         # the loss grows ~16% a step at 1.2x
        at.button[1].click().run()
        if at.error:
            break
    assert any("diverged" in e.value for e in at.error), [e.value for e in at.error]
    lr = f"{at.session_state['learn']['error'][1]['lr']}"
    assert lr in at.error[0].value and len(lr) <= 5              # as the slider shows it, not 0.949727
    at.selectbox(key="language_choice").set_value("zh").run()
    zh = i18n.t("learn.error.diverged", "zh", lr=lr)
    assert [e.value for e in at.error] == [zh]


def _table(at: AppTest, caption: str) -> np.ndarray:
    """The numbers of the table captioned `caption` (as pages/views/arithmetic.matrix_html writes it)."""
    for markdown in at.markdown:
        at_caption = markdown.value.find(f">{html.escape(caption)}</div><table")
        if at_caption >= 0:
            table = markdown.value[at_caption:].split("</table>")[0]
            rows = table.split("<tr>")[1:]
            return np.array([[float(v) for v in re.findall(r">(-?\d+\.\d+)</td>", row)] for row in rows])
    raise AssertionError(f"no table captioned {caption!r}")


def _chart(at: AppTest, trace: str) -> dict:
    charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    return next(c for c in charts if c["data"][0]["type"] == trace)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_update_reads_new_kernel_equals_kernel_minus_rate_times_gradient(lang):
    at = _learn(lang)
    state = at.session_state["learn"]
    problem = kl.default_problem("sobel_x")
    shown_next = _table(at, i18n.t("learn.kernel_next", lang))
    np.testing.assert_allclose(_table(at, i18n.t("learn.kernel_now", lang)), state["kernel"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(_table(at, i18n.t("learn.gradient", lang)),
                               kl.gradients(problem, state["kernel"], state["bias"]).kernel, atol=0.005 + 1e-9)
    assert i18n.t("learn.update_title", lang) in "".join(m.value for m in at.markdown)
    at.button[0].click().run()                                   # one step: the new kernel is now the kernel
    np.testing.assert_allclose(at.session_state["learn"]["kernel"], shown_next, atol=0.005 + 1e-9)
    np.testing.assert_allclose(_table(at, i18n.t("learn.kernel_now", lang)), shown_next, atol=1e-9)
    assert not any("tests/" in c.value for c in at.caption)     # no page sends a student to the test files


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_landscape_is_the_engines_with_the_path_so_far(lang):
    at = _learn(lang)
    at.selectbox(key="learn_land_x").set_value((0, 2)).run()
    at.selectbox(key="learn_land_y").set_value((2, 1)).run()
    at.button[1].click().run()                                   # ten steps
    state = at.session_state["learn"]
    path = np.stack(state["path"])
    assert len(path) == 11 and np.array_equal(path[-1], state["kernel"])
    chart = _chart(at, "contour")
    contour, walk = chart["data"][0], chart["data"][1]
    want = kl.landscape_around(kl.default_problem("sobel_x"), state["kernel"], state["bias"], ((0, 2), (2, 1)), path)
    np.testing.assert_allclose(np.array(contour["z"]), want.losses, rtol=1e-12)
    np.testing.assert_allclose(contour["x"], want.a) and np.testing.assert_allclose(contour["y"], want.b)
    np.testing.assert_allclose(walk["x"], path[:, 0, 2]) and np.testing.assert_allclose(walk["y"], path[:, 2, 1])
    assert contour["colorbar"]["title"]["text"] == i18n.t("learn.loss_short", lang)      # a colour bar with values
    assert chart["layout"]["xaxis"]["title"]["text"] == "k[0, 2]"
    assert chart["layout"]["yaxis"]["title"]["text"] == "k[2, 1]"
    assert not at.exception


def test_the_loss_chart_has_whole_steps_and_readable_log_ticks():
    at = _learn()
    for _ in range(4):
        at.button[1].click().run()                               # forty steps: the loss falls by factors
    chart = _chart(at, "scatter")
    x, y = chart["layout"]["xaxis"], chart["layout"]["yaxis"]
    assert x["title"]["text"] == i18n.t("learn.steps_done", "en") and y["title"]["text"] == i18n.t("learn.loss", "en")
    assert x["dtick"] == int(x["dtick"]) and x["tickformat"] == "d"
    assert y["type"] == "log" and len(y["ticktext"]) >= 3
    assert all(re.fullmatch(r"1|10+|0\.0*1|10[⁻]?[¹²³⁴⁵⁶⁷⁸⁹⁰]+", t) for t in y["ticktext"]), y["ticktext"]
    np.testing.assert_allclose(np.log10(y["tickvals"]), np.round(np.log10(y["tickvals"])))   # powers of ten


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_max_pooling_sends_the_gradient_back_to_each_windows_max(lang):
    at = _learn(lang)
    for seed in (0, 1):
        x, upstream = kl.pool_example(seed)
        back = kl.max_pool_gradient(x, upstream)
        np.testing.assert_allclose(_table(at, i18n.t("learn.pool_input", lang)), x)
        np.testing.assert_allclose(_table(at, i18n.t("learn.pool_upstream", lang)), upstream)
        np.testing.assert_allclose(_table(at, i18n.t("learn.pool_back", lang)), back.input_gradient)
        backward = next(m.value for m in at.markdown if i18n.t("learn.pool_back", lang) in m.value)
        table = backward.split(html.escape(i18n.t("learn.pool_back", lang)))[1]
        marked = np.array([int(v) for v in re.findall(r'data-marked="(\d)"', table)]).reshape(4, 4)
        np.testing.assert_array_equal(marked, back.input_gradient != 0)   # the outlined cells: each window's max
        at.button(key="learn_pool_another").click().run()
    assert not at.exception
