"""The Train page, headless: a short run on offline data from Start to results, downloads and "use"."""

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.success]
    return "\n".join(parts + [e.value for e in at.error] + [i.value for i in at.info])


def test_a_short_run_from_start_to_results():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    assert "No run yet" in _text(at)
    assert "542,230 parameters" in _text(at)          # seed-mnist on mnist-5k, checked before starting
    at.slider(key="train_epochs").set_value(1).run()
    at.select_slider(key="train_batch").set_value(128).run()
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception, at.exception
    deadline = time.monotonic() + 120
    while not at.metric and time.monotonic() < deadline:   # the fragment polls each second in a browser
        time.sleep(1)
        at.run()
    assert at.metric, _text(at)
    accuracy = float(at.metric[0].value.rstrip("%"))
    assert 50 < accuracy <= 100                         # one epoch on 3,500 digits: far above chance
    text = _text(at)
    assert "finished" in text and "The most confident mistakes" in text
    assert "Click a cell of the matrix" in text
    labels = [b.label for b in at.button]
    assert "Use this model" in labels
    next(b for b in at.button if b.label == "Use this model").click().run()
    assert "is now the current model" in _text(at)
    assert at.session_state["current_model"]


def test_the_train_page_reads_in_chinese():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception and at.title[0].value == "训练"
    assert "开始训练" in [b.label for b in at.button]
