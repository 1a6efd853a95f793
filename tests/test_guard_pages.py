"""The Train page guards the class's one server: the estimate of a run's time is shown as the network is
edited, a run too long for the limit cannot be started, and a student's third run is refused with a
message, in both languages."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnn import job_queue, runs
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
    measured = manager.speed()

    yield manager.set_speed
    if measured:
        manager.set_speed(measured)


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
        while any(j.state not in job_queue.DONE for j in manager.jobs()) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert all(r.status not in runs.LIVE for r in runs.list_runs())


# ---------------------------------------------------------------- names shown as text, runs that tell the truth

EVIL = "![x](http://127.0.0.1:9/x) [CLICK](http://x) <b>b</b> **bold**"


def _save_run(run_id: str, *, name: str, dataset: str, status: str = "finished", epochs: int = 3,
              planned: int = 3, test: float | None = 0.925, spec_name: str | None = None):
    """A run folder as the app writes it, without training: an untrained network and its records."""
    import torch

    from cnn import models

    torch.manual_seed(0)
    spec = models.preset("seed-mnist")
    spec.name = spec_name or spec.name
    folder = runs.run_dir(run_id)
    records = [{"epoch": e + 1, "val_accuracy": 0.5 + e / 100, "train_accuracy": 0.5} for e in range(epochs)]
    metrics = {"test_accuracy": test} if test is not None else {"val_accuracy": records[-1]["val_accuracy"]}
    models.save(models.build(spec), spec, folder / "model", dataset=dataset, metrics=metrics)
    runs.write_json(folder / "info.json", {"format": runs.FORMAT, "name": name, "status": status, "dataset": dataset,
                                           "model": spec.name, "epochs_planned": planned})
    runs.write_json(folder / "metrics.json", {"status": status, "epochs": records,
                                              **({"test_accuracy": test} if test is not None else {})})
    if test is not None:
        runs.write_json(folder / "test.json", {"accuracy": test, "loss": 0.3, "confusion": [[0] * 10] * 10,
                                               "mistakes": [], "predicted": []})
    return folder


@pytest.fixture()
def named_runs():
    import shutil

    made = {
        "evil": _save_run("20261205-120000-000001-evil", name=EVIL, dataset="mnist-5k", spec_name=EVIL),
        "evil-data": _save_run("20261205-120000-000002-evil-data", name="data", dataset=EVIL, status="running",
                               test=None),
        "twin-a": _save_run("20261205-120001-000001-twin", name="twin", dataset="mnist-5k"),
        "twin-b": _save_run("20261205-120001-000002-twin", name="twin", dataset="mnist-5k"),
        "halfway": _save_run("20261205-120002-000001-halfway", name="halfway", dataset="mnist-5k", status="running",
                             epochs=4, planned=30, test=None),
        "cut": _save_run("20261205-120003-000001-cut", name="cut short", dataset="mnist-5k"),
    }
    weights = made["cut"] / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    yield {k: v.name for k, v in made.items()}
    for folder in made.values():
        shutil.rmtree(folder, ignore_errors=True)


def _shown(at: AppTest) -> list[str]:
    """What the page says in Markdown: markdown, captions and every alert."""
    kinds = ("markdown", "caption", "success", "info", "warning", "error")
    return [el.value for kind in kinds for el in at.get(kind)]


def _literal_everywhere(at: AppTest) -> int:
    """Every Markdown text that holds the evil name holds it escaped, character for character; returns how
    many did (the name never appears unescaped: no link, image, tag or bold is made of it)."""
    from pages.views import text

    found = 0
    for value in _shown(at):
        assert "[CLICK](http://x)" not in value and "<b>b</b>" not in value, value
        if "CLICK" in value:
            assert text.md(EVIL) in value, value
            found += 1
    return found


def test_markdown_escaping_keeps_every_character():
    import re

    from pages.views import text

    escaped = text.md(EVIL)
    shown = re.sub(r"\\(.)", r"\1", escaped).replace(text.JOINER, "")   # CommonMark: \x shows as x
    assert shown == EVIL                                      # (and the word joiner is invisible)
    for construct in ("](", "![", "**", "<b>", "http://"):   # nothing left that Markdown would act on
        assert construct not in escaped
    assert text.md("mnist-default · 3 epochs") == "mnist-default · 3 epochs"
    assert text.JOINER in text.md("www.x.org") and text.JOINER in text.md("a@b.org")


def test_a_run_named_like_markdown_shows_as_text_on_every_page(named_runs):
    evil = named_runs["evil"]
    manager = shared.job_manager()
    from cnn import data, models, runner, train

    tiny = models.ModelSpec("tiny", (1, 32, 32), [models._conv(4, 3, padding=1), models._act(), models._pool(),
                                                  models.FLATTEN, models._dense(3)], data.SHAPE_CLASSES)
    job = manager.submit(runner.RunPlan(EVIL, tiny, train.TrainConfig(epochs=1, batch_size=16), "shapes", count=64),
                         "someone-else")
    manager.wait(job, 120)
    try:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["job"] = evil
        at.run()
        at.switch_page("pages/train.py").run()
        assert not at.exception, at.exception
        assert _literal_everywhere(at) >= 3        # the queue's row, the watched run's title, its saved row
        # Plain-text widgets show it as typed: the compare menu, the rename box, the model menu.
        assert any(EVIL in o for o in at.multiselect(key="compare_runs").options)
        assert EVIL in [t.value for t in at.text_input]
        assert any(EVIL in o for o in at.sidebar.selectbox(key="model_choice").options)
        chart = next(c for c in at.get("plotly_chart") if "compare" in c.proto.id or '"lines+markers"' in
                     c.proto.spec)
        import html
        import json as _json

        names = [t.get("name") for t in _json.loads(chart.proto.spec)["data"]]
        assert html.escape(next(o for o in at.multiselect(key="compare_runs").options if o.startswith(EVIL))) in names
        # "Use this model": the message names it as text too.
        next(b for b in at.button if b.key == f"use_this_{evil}").click().run()
        assert _literal_everywhere(at) >= 4
        for page in ("pages/draw.py", "pages/inside.py"):      # the model's caption on Draw and Inside
            at.switch_page(page).run()
            assert not at.exception, at.exception
            assert _literal_everywhere(at) >= 1, _shown(at)
    finally:
        import shutil
        from pathlib import Path
        shutil.rmtree(Path(runs.run_dir(job.id)), ignore_errors=True)


def test_damaged_interrupted_and_same_second_runs_are_told_apart(named_runs):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    menu = at.sidebar.selectbox(key="model_choice").options
    twins = [o for o in menu if o.startswith("twin ")]
    assert len(twins) == 2 and twins[0] != twins[1]                          # started in the same second
    cut = [o for o in menu if o.startswith("cut short")]
    assert cut and "damaged" in cut[0] and "cut short" in cut[0] and "92.5" not in cut[0]
    rows = [m for m in _shown(at) if "20261205-120003" in m]
    assert rows and "damaged" in rows[0] and "92.50%" not in rows[0] and "finished" not in rows[0]
    assert any("weights file is cut short" in w for w in _shown(at))
    twin_rows = [m for m in _shown(at) if "20261205-120001" in m]
    assert len(set(twin_rows)) == 2
    # An interrupted run's caption: validation accuracy at the epoch it reached, not "test accuracy".
    at.session_state["current_model"] = named_runs["halfway"]
    at.switch_page("pages/draw.py").run()
    caption = next(c for c in _shown(at) if c.startswith("Model:"))
    assert "validation accuracy 53.00% (epoch 4 of 30" in caption and "test accuracy" not in caption


def test_the_damaged_run_reads_in_chinese(named_runs):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("pages/train.py").run()
    menu = at.sidebar.selectbox(key="model_choice").options
    assert any(o.startswith("cut short") and "已损坏" in o and "权重文件不完整" in o for o in menu)
    at.session_state["current_model"] = named_runs["halfway"]
    at.switch_page("pages/inside.py").run()
    caption = next(c for c in _shown(at) if c.startswith("模型："))
    assert "验证准确率 53.00%（第 4 轮，共 30 轮" in caption
