"""How a kernel learns, headless: steps lower the loss, the numbers shown are the engine's, a learning rate
that overshoots gives a message and the page keeps working."""

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
