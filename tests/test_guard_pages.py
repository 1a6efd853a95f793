"""The Train page guards the class's one server: the estimate of a run's time is shown as the network is
edited, a run too long for the limit cannot be started, and a student's third run is refused with a
message, in both languages."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnn import jobs, runs
from pages.views import shared

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _train_page(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    return at


def _start(at: AppTest):
    return next(b for b in at.button if b.label in ("Start training", "开始训练"))


@pytest.fixture()
def speed():
    """Set this server's measured speed (multiply-adds per second) for a test, as the worker would."""
    manager = shared.job_manager()
    manager.wait_ready(60)
    measured = manager._speed

    def set_speed(value: float) -> None:
        manager._speed = value

    yield set_speed
    manager._speed = measured


@pytest.mark.parametrize("lang, said, refused", [
    ("en", "on this server", "Too long to train here"), ("zh", "在这台服务器上大约需要", "在这里训练太久了")])
def test_the_estimate_is_shown_and_a_run_too_long_cannot_start(speed, lang, said, refused):
    speed(2e10)
    at = _train_page(lang)
    estimate = [c.value for c in at.caption if said in c.value]
    assert estimate and ("s " in estimate[0] or "秒" in estimate[0]), [c.value for c in at.caption]
    assert not _start(at).disabled
    speed(1e6)                   # a machine this slow would need hours for the seed network
    at.run()
    errors = [e.value for e in at.error if refused in e.value]
    assert errors and ("h " in errors[0] or "days" in errors[0] or "小时" in errors[0] or "天" in errors[0])
    assert _start(at).disabled


def test_a_third_run_of_the_same_student_is_refused_with_a_message(speed):
    speed(2e10)
    at = _train_page()
    at.slider(key="train_epochs").set_value(30).run()
    manager = shared.job_manager()
    before = {j.id for j in manager.jobs()}
    try:
        for _ in range(2):
            _start(at).click().run()
            assert not at.exception, at.exception
        assert not [w for w in at.warning if "You already have a run training" in w.value]
        _start(at).click().run()
        assert [w for w in at.warning if "You already have a run training and one waiting" in w.value]
        mine = [j for j in manager.jobs() if j.id not in before]
        assert len(mine) == 2
        board = " ".join(m.value for m in at.markdown)
        assert "≈" in board                         # the queue shows each run's estimate
    finally:
        for job in manager.jobs():
            if job.id not in before:
                manager.stop(job, job.owner)
        deadline = time.monotonic() + 60
        while any(j.state not in jobs.DONE for j in manager.jobs()) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert all(r.status not in runs.LIVE for r in runs.list_runs())
