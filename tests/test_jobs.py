"""Background jobs: they train, report progress, pause, resume and stop within a second, queue one at a
time, fail with a reason, and leave a run folder whose ids cannot escape runs/."""

import time

import pytest
import torch

from cnn import data, jobs, models, runs, train

TINY = models.ModelSpec("tiny", (1, 32, 32), [
    models._conv(4, 3, padding=1), models._act(), models._pool(), models.FLATTEN, models._dense(3)],
    data.SHAPE_CLASSES)


def _request(name="tiny", epochs=2, count=64, **config) -> jobs.JobRequest:
    return jobs.JobRequest(name, TINY, train.TrainConfig(epochs=epochs, batch_size=16, **config), "shapes",
                           count=count, size=32)


def _until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture()
def manager(tmp_path):
    return jobs.JobManager(runs_root=tmp_path)


def test_a_job_trains_reports_and_leaves_a_run(manager, tmp_path):
    job = manager.wait(manager.submit(_request()))
    assert job.state == jobs.FINISHED, job.message
    snap = job.snapshot()
    assert len(snap.epochs) == 2 and len(snap.curve) == 2 * 4            # 64 images / 16 per batch
    assert snap.filters.shape == (4, 1, 3, 3)
    assert snap.test["accuracy"] >= 0 and sum(map(sum, snap.test["confusion"])) == 30
    model, spec = models.load(tmp_path / job.run_id / "model")
    assert torch.equal(model[0].weight, torch.from_numpy(snap.filters))  # the last snapshot is the final weights
    listed = runs.list_runs(tmp_path)
    assert [r["id"] for r in listed] == [job.id] and listed[0]["status"] == "finished"
    assert manager.get(job.id) is job                                    # a page re-attaches by id


def test_pause_resume_and_stop_are_obeyed_within_a_second(manager):
    job = manager.submit(_request(epochs=500, count=256))
    _until(lambda: job.snapshot().progress is not None)
    job.pause()
    time.sleep(0.3)                                   # let a batch in flight finish
    paused_at = len(job.snapshot().curve)
    time.sleep(1.0)
    assert job.state == jobs.PAUSED and len(job.snapshot().curve) == paused_at
    job.resume()
    _until(lambda: len(job.snapshot().curve) > paused_at, timeout=2.0)
    started = time.monotonic()
    job.stop()
    time.sleep(0.3)
    stopped_at = len(job.snapshot().curve)
    time.sleep(0.7)
    assert len(job.snapshot().curve) == stopped_at and time.monotonic() - started < 1.5
    manager.wait(job)
    assert job.state == jobs.STOPPED and job.run_id                  # what it learned is kept


def test_jobs_queue_one_at_a_time(manager):
    first = manager.submit(_request("first", epochs=200, count=128))
    second = manager.submit(_request("second"))
    _until(lambda: first.state == jobs.RUNNING)
    assert manager.position(second) == 1 and second.state == jobs.QUEUED
    first.stop()
    manager.wait(second)
    assert second.state == jobs.FINISHED and manager.position(second) is None


def test_a_queued_job_can_be_stopped_before_it_starts(manager):
    first = manager.submit(_request(epochs=200, count=128))
    second = manager.submit(_request())
    second.stop()
    assert second.state == jobs.STOPPED
    first.stop()
    manager.wait(first)
    time.sleep(0.2)
    assert second.state == jobs.STOPPED and second.run_id is None


def test_a_diverging_job_fails_with_the_reason(manager):
    job = manager.wait(manager.submit(_request(optimizer="sgd", lr=1e30)))
    assert job.state == jobs.FAILED and "learning rate" in job.message


def test_data_that_cannot_be_had_fails_the_job_not_the_worker(manager, monkeypatch):
    def offline(*args, **kwargs):
        raise data.DatasetUnavailable("MNIST could not be downloaded; choose mnist-5k")

    monkeypatch.setattr(data, "load_dataset", offline)
    job = manager.wait(manager.submit(_request()))
    assert job.state == jobs.FAILED and "mnist-5k" in job.message
    monkeypatch.undo()
    assert manager.wait(manager.submit(_request())).state == jobs.FINISHED     # the worker lives on


def test_a_spec_that_cannot_be_built_is_refused_at_submit(manager):
    bad = models.ModelSpec("bad", (1, 32, 32), [models._dense(3)], data.SHAPE_CLASSES)
    with pytest.raises(models.SpecError):
        manager.submit(jobs.JobRequest("bad", bad, train.TrainConfig(), "shapes"))


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", "..", "/tmp/x", "UPPER", "x" * 80, None, "a\x00b"])
def test_run_ids_never_become_paths_outside_runs(tmp_path, bad):
    with pytest.raises(ValueError):
        runs.run_dir(bad, tmp_path)


def test_runs_rename_and_delete(tmp_path):
    run_id = runs.new_id("My Run!")
    assert runs.RUN_ID.match(run_id) and run_id.endswith("my-run")
    runs.write_json(runs.run_dir(run_id, tmp_path) / "info.json", {"name": "first"})
    runs.rename(run_id, "second", tmp_path)
    assert runs.list_runs(tmp_path)[0]["name"] == "second"
    runs.delete(run_id, tmp_path)
    assert runs.list_runs(tmp_path) == []
