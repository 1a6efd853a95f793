"""A data set made on the My data page is a data set like the built-ins: cnn.datasets describes it, cnn.data
loads it, it trains in the server's worker process (which finds it through cnn.own_sets by itself), and its
description follows the set as samples are added and when it is deleted."""

from pathlib import Path

import numpy as np
import pytest
import torch

from cnn import data, datasets, job_queue, models, my_data, runner, train

CLASSES = ["✓", "✗", "○"]


def _stroke(kind: int, jitter: np.random.Generator) -> np.ndarray:
    """A 140x140 RGBA drawing of a tick, a cross or a ring, a little different each time."""
    pad = np.zeros((140, 140, 4), np.uint8)
    yy, xx = np.mgrid[0:140, 0:140]
    dx, dy = jitter.integers(-12, 13, 2)

    def line(x0, y0, x1, y1):
        t = np.clip(((xx - x0) * (x1 - x0) + (yy - y0) * (y1 - y0)) / ((x1 - x0) ** 2 + (y1 - y0) ** 2), 0, 1)
        return np.hypot(xx - (x0 + t * (x1 - x0)), yy - (y0 + t * (y1 - y0))) < 6

    if kind == 0:
        ink = line(30 + dx, 70 + dy, 60 + dx, 105 + dy) | line(60 + dx, 105 + dy, 115 + dx, 30 + dy)
    elif kind == 1:
        ink = line(30 + dx, 30 + dy, 110 + dx, 110 + dy) | line(110 + dx, 30 + dy, 30 + dx, 110 + dy)
    else:
        ink = np.abs(np.hypot(xx - 70 - dx, yy - 70 - dy) - 40) < 6
    pad[ink] = (255, 255, 255, 255)
    return pad


@pytest.fixture()
def symbols(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_LAB_MY_DATA", str(tmp_path / "my-data"))
    made = my_data.create_set("Symbols 符号", CLASSES, owner="ana")
    rng = np.random.default_rng(0)
    for i in range(36):
        my_data.add_drawing(made.id, i % 3, _stroke(i % 3, rng), by="ana")
    return made


def test_an_own_set_is_described_and_loaded_like_a_builtin(symbols):
    name = symbols.dataset
    assert name in datasets.names() and name not in datasets.builtin_names()
    info = datasets.describe(name)
    assert (info.label, info.classes, info.channels, info.side, info.own) == ("Symbols 符号", tuple(CLASSES), 1, 28,
                                                                              True)
    assert info.framing.side == 28 and info.presets, "a network suits it"
    assert data.split_sizes(name) == my_data.split_sizes(symbols.id)
    for split in data.SPLITS:
        ours, theirs = data.load_dataset(name, split=split), my_data.load_split(symbols.id, split)
        assert torch.equal(ours.images, theirs.images) and torch.equal(ours.labels, theirs.labels)
        assert ours.classes == CLASSES


def test_the_description_follows_the_set(symbols):
    name = symbols.dataset
    before = datasets.describe(name)
    my_data.add_drawing(symbols.id, 2, _stroke(2, np.random.default_rng(9)), by="ben")
    after = datasets.describe(name)
    assert after.version != before.version
    assert sum(after.splits.values()) == sum(before.splits.values()) + 1
    my_data.delete_set(symbols.id)
    assert datasets.find(name) is None and name not in datasets.names()
    with pytest.raises(data.DatasetUnavailable):
        data.load_dataset(name, split="train")


def test_an_own_set_trains_in_the_servers_worker(symbols, tmp_path):
    name = symbols.dataset
    spec = datasets.preset_spec(name, datasets.describe(name).presets[0])
    manager = job_queue.JobManager(runs_root=tmp_path / "runs", preload=())
    try:
        plan = runner.RunPlan("symbols", spec, train.TrainConfig(epochs=2, batch_size=8), name)
        job = manager.wait(manager.submit(plan, "ana"), timeout=240)
        assert job.state == job_queue.FINISHED, job.message
        _, saved = models.load(tmp_path / "runs" / job.run_id / "model")
        assert saved.classes == CLASSES and tuple(saved.input_shape) == (1, 28, 28)
        assert sum(map(sum, job.test["confusion"])) == data.split_sizes(name)["test"]
    finally:
        manager.shutdown()


def test_a_second_run_trains_on_the_set_as_it_is_now_not_as_the_worker_first_read_it(symbols, tmp_path):
    """The worker process keeps the data sets it read; an own set changed since (samples added) must be read
    again, or a student's second run silently trains and tests on the old samples."""
    name = symbols.dataset
    spec = datasets.preset_spec(name, datasets.describe(name).presets[0])
    manager = job_queue.JobManager(runs_root=tmp_path / "runs", preload=())
    try:
        plan = runner.RunPlan("first", spec, train.TrainConfig(epochs=1, batch_size=8), name)
        first = manager.wait(manager.submit(plan, "ana"), timeout=240)
        assert first.state == job_queue.FINISHED, first.message
        rng = np.random.default_rng(5)
        for i in range(30):
            my_data.add_drawing(symbols.id, i % 3, _stroke(i % 3, rng), by="ana")
        plan = runner.RunPlan("second", spec, train.TrainConfig(epochs=1, batch_size=8), name)
        second = manager.wait(manager.submit(plan, "ana"), timeout=240)
        assert second.state == job_queue.FINISHED, second.message
        assert sum(map(sum, second.test["confusion"])) == data.split_sizes(name)["test"] > \
            sum(map(sum, first.test["confusion"]))
    finally:
        manager.shutdown()


def test_a_set_with_nothing_to_train_on_says_so_and_its_preview_stays_empty(symbols, tmp_path):
    """Every sample held out (the teacher's leaderboard part), or a set still empty: the run ends saying why
    (in the user's language, a DatasetUnavailable code), never a ZeroDivisionError; the Train page's preview of
    its samples is simply empty."""
    from cnn import i18n
    from pages.views import network_editor

    my_data.set_held_out(symbols.id, [s.id for s in my_data.samples(symbols.id)])
    empty = my_data.create_set("Empty", ["a", "b"], owner="ana")
    for made in (symbols, empty):
        name = made.dataset
        spec = datasets.preset_spec(name, datasets.describe(name).presets[0])
        plan = runner.RunPlan("nothing", spec, train.TrainConfig(epochs=1, batch_size=8), name)
        with pytest.raises(data.DatasetUnavailable) as caught:
            runner.run(tmp_path / "runs" / made.id, plan)
        assert caught.value.code == "no_train"
        for lang in ("en", "zh"):
            said = i18n.t(f"dataset_error.{caught.value.code}", lang, **caught.value.params)
            assert name in said and "{" not in said
        shown = network_editor.preview_set(name)
        assert shown is None or len(shown) == 0


def test_a_deleted_set_is_named_once_in_its_refusal(symbols):
    my_data.delete_set(symbols.id)
    with pytest.raises(data.DatasetUnavailable) as caught:
        data.load_dataset(symbols.dataset, split="train")
    assert caught.value.params["name"] == symbols.dataset


def test_a_set_deleted_while_a_run_trains_on_it_still_leaves_the_trained_model(symbols, tmp_path):
    name = symbols.dataset
    spec = datasets.preset_spec(name, "small-gray")

    class DeleteOnFirstBatch(runner.RunEvents):
        def batch(self, progress):
            if my_data.list_sets():
                my_data.delete_set(symbols.id)      # the owner deletes the set while it trains

    plan = runner.RunPlan("symbols", spec, train.TrainConfig(epochs=2, batch_size=8), name)
    outcome = runner.run(tmp_path / "runs" / "deleted-meanwhile", plan, events=DeleteOnFirstBatch())
    assert my_data.list_sets() == []
    assert outcome.status == "finished" and outcome.report is not None
    assert sum(map(sum, outcome.report["confusion"])) > 0
    _, saved = models.load(tmp_path / "runs" / "deleted-meanwhile" / "model")
    assert saved.classes == CLASSES


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_train_page_says_an_empty_set_has_nothing_to_train_on_before_start(lang, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from cnn import i18n
    from pages.views import text

    monkeypatch.setenv("CNN_LAB_MY_DATA", str(tmp_path / "my-data"))
    empty = my_data.create_set("Empty **set**", ["a", "b"], owner="tok-ana-aaaaaaaaaaaaaa")
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.session_state["owner"] = "tok-ana-aaaaaaaaaaaaaa"
    at.run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_dataset").set_value(empty.dataset).run()
    assert not at.exception, at.exception
    said = i18n.t("dataset_error.no_train", lang, name=text.md("Empty **set**"))
    assert said in [w.value for w in at.warning]
    start = next(b for b in at.button if b.label == i18n.t("train.start", lang))
    assert start.disabled


def test_one_sample_a_class_trains_and_its_missing_test_accuracy_is_a_dash(tmp_path, monkeypatch):
    from cnn import viz

    monkeypatch.setenv("CNN_LAB_MY_DATA", str(tmp_path / "my-data"))
    few = my_data.create_set("Few", CLASSES, owner="ana")
    for label in range(3):
        my_data.add_drawing(few.id, label, _stroke(label, np.random.default_rng(label)))
    assert data.split_sizes(few.dataset) == {"train": 3, "val": 0, "test": 0}
    spec = datasets.preset_spec(few.dataset, "small-gray")
    plan = runner.RunPlan("few", spec, train.TrainConfig(epochs=1), few.dataset)
    outcome = runner.run(tmp_path / "runs" / "few", plan)
    assert outcome.status == "finished" and viz.accuracy_text(outcome.report["accuracy"]) == "—"
