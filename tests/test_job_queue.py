"""Training on the queue (cnn.job_queue over Huey, cnn.worker): runs train in a worker process, report
progress through their folders, pause, resume and stop within a second (only for their owner), wait in
priority order, fail with a reason, and a run whose worker is killed is taken up again from its last
checkpoint. Each test has its own runs folder and its own SQLite queue beside it."""

import json
import sqlite3
import time

import pytest
import torch

from cnn import cost, data, job_queue, live, models, runner, runs, tasks, train

TINY = models.ModelSpec("tiny", (1, 32, 32), [
    models._conv(4, 3, padding=1), models._act(), models._pool(), models.FLATTEN, models._dense(3)],
    data.SHAPE_CLASSES)
ME = "owner-token"


def _request(name="tiny", epochs=2, count=64, **config) -> runner.RunPlan:
    return runner.RunPlan(name, TINY, train.TrainConfig(epochs=epochs, batch_size=16, **config), "shapes",
                          count=count, size=32)


def _until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture()
def manager(tmp_path):
    manager = job_queue.JobManager(runs_root=tmp_path / "runs", preload=())
    assert manager.wait_ready(60)
    yield manager
    manager.shutdown()


def _points(job) -> int:
    return job.curve_since(0)[0]


def test_a_job_trains_reports_and_leaves_a_run(manager):
    job = manager.wait(manager.submit(_request(), ME))
    assert job.state == job_queue.FINISHED, job.message
    _, curve = job.curve_since(0)
    # 64 images / 16 per batch: 4 steps an epoch; progress comes at each epoch's first and last step (and at
    # most every REPORT_EVERY_S between), so the curve has 2 to 4 points an epoch, ending each epoch.
    positions = [point[0] for point in curve]
    assert len(job.epochs) == 2 and 2 * 2 <= len(curve) <= 2 * 4 and {0.25, 1.0, 1.25, 2.0} <= set(positions)
    assert job.filters.shape == (4, 1, 3, 3) and job.device == "cpu" and job.worker
    assert job.test["accuracy"] >= 0 and sum(map(sum, job.test["confusion"])) == 30
    model, spec = models.load(manager.runs_root / job.run_id / "model")
    assert torch.equal(model[0].weight, torch.from_numpy(job.filters))  # the last snapshot is the final weights
    listed = runs.list_runs(manager.runs_root)
    assert [r.id for r in listed] == [job.id] and listed[0].status == "finished" and listed[0].problem is None
    assert manager.get(job.id).id == job.id and manager.jobs()[0].id == job.id   # a page re-attaches by id


def test_the_queue_carries_json_not_pickle(manager, tmp_path):
    """Whoever can write to the queue's store must not make a worker run code: messages are JSON."""
    first = manager.submit(_request("first", epochs=200, count=128), ME)
    _until(lambda: first.snapshot().state == job_queue.RUNNING)
    second = manager.submit(_request("second"), "another")
    path = manager.queue.url[len("sqlite:///"):]
    with sqlite3.connect(path) as db:
        (raw,), = db.execute("select data from task").fetchall()
    message = json.loads(bytes(raw))["message"]
    assert message["name"] == "cnn.tasks.train_run" and message["args"] == [second.id, False]
    assert tasks.JsonSerializer().deserialize(bytes(raw)).args == (second.id, False)
    for job in (first, second):
        manager.stop(job, job.owner)


def test_pause_resume_and_stop_are_obeyed_within_a_second(manager):
    job = manager.submit(_request(epochs=500, count=256), ME)
    _until(lambda: job.snapshot().progress is not None)
    assert manager.pause(job, ME)
    _until(lambda: job.snapshot().state == job_queue.PAUSED, timeout=2.0)
    paused_at = _points(job)
    _until(lambda: _points(job) == paused_at and job.snapshot().state == job_queue.PAUSED, timeout=1.0)
    time.sleep(1.0)                                   # a paused run writes nothing for as long as it is paused
    assert job.snapshot().state == job_queue.PAUSED and _points(job) == paused_at
    assert manager.unpause(job, ME)
    _until(lambda: _points(job) > paused_at, timeout=2.0)
    started = time.monotonic()
    assert manager.stop(job, ME)
    ended = manager.wait(job, 5)
    assert ended.state == job_queue.STOPPED and time.monotonic() - started < 1.5    # what it learned is kept
    assert runs.read_run(manager.runs_root / job.id).has_model


def test_jobs_queue_one_worker_one_at_a_time(manager):
    first = manager.submit(_request("first", epochs=200, count=128), ME)
    second = manager.submit(_request("second"), ME)
    _until(lambda: first.snapshot().state == job_queue.RUNNING)
    assert manager.position(second.snapshot()) == 1 and second.snapshot().state == job_queue.QUEUED
    assert manager.stop(first, ME)
    second = manager.wait(second)
    assert second.state == job_queue.FINISHED and manager.position(second) is None


def test_a_queued_job_can_be_stopped_before_it_starts(manager):
    first = manager.submit(_request(epochs=200, count=128), ME)
    second = manager.submit(_request(), ME)
    assert manager.stop(second, ME)
    assert not (manager.runs_root / second.id).exists()               # nothing left of it
    gone = manager.get(second.id)                                     # but its page says what became of it
    assert gone.state == job_queue.STOPPED and gone.reason == ("stopped_queued", {})
    assert manager.stop(first, ME)
    manager.wait(first)
    third = manager.wait(manager.submit(_request("third"), ME))      # the revoked task was skipped, not trained
    assert third.state == job_queue.FINISHED and not (manager.runs_root / second.id).exists()


def test_a_diverging_job_fails_with_the_reason(manager):
    job = manager.wait(manager.submit(_request(optimizer="sgd", lr=1e30), ME))
    assert job.state == job_queue.FAILED and "learning rate" in job.message and job.reason[0] == "diverged"


def test_data_that_cannot_be_had_fails_the_job_not_the_worker(manager, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be: MNIST can neither be found nor downloaded")
    plan = runner.RunPlan("offline", models.preset("seed-mnist"), train.TrainConfig(epochs=1), "mnist",
                          data_root=str(blocked))
    job = manager.wait(manager.submit(plan, ME))
    assert job.state == job_queue.FAILED and "mnist-5k" in job.message      # the message names the offline choice
    assert job.reason[0] == "dataset"
    assert runs.read_run(manager.runs_root / job.id).status == "failed"
    assert manager.wait(manager.submit(_request(), ME)).state == job_queue.FINISHED     # the worker lives on


def test_a_spec_that_cannot_be_built_is_refused_at_submit(manager):
    bad = models.ModelSpec("bad", (1, 32, 32), [models._dense(3)], data.SHAPE_CLASSES)
    with pytest.raises(models.SpecError):
        manager.submit(runner.RunPlan("bad", bad, train.TrainConfig(), "shapes"), ME)
    assert manager.jobs() == []


def test_only_the_owner_may_pause_or_stop(manager):
    job = manager.submit(_request(epochs=500, count=256), ME)
    _until(lambda: job.snapshot().progress is not None)
    for action in (manager.pause, manager.stop):
        assert not action(job, "someone-else") and not action(job, "")
    assert job.snapshot().state == job_queue.RUNNING
    assert manager.stop(job, ME)
    assert manager.wait(job).state == job_queue.STOPPED


def test_a_killed_worker_is_replaced_and_its_run_goes_on_from_its_last_checkpoint(manager):
    job = manager.submit(_request(epochs=6, count=512), ME)
    _until(lambda: len(job.snapshot().epochs) >= 2, timeout=120)
    before = runs.read_run(manager.runs_root / job.id)
    first_worker = job.snapshot().worker
    manager._workers[0].process.kill()                              # as the kernel's OOM killer would
    ended = manager.wait(job, 180)
    assert ended.state == job_queue.FINISHED, ended.message
    after = runs.read_run(manager.runs_root / job.id)
    assert len(after.epochs) == 6 and after.epochs[:len(before.epochs)] == before.epochs   # kept, not redone
    assert live.read_job(manager.runs_root / job.id)["attempts"] == 1 and ended.worker == first_worker
    _, curve = job.curve_since(0)
    assert [p[0] for p in curve] == sorted(p[0] for p in curve)      # the curve goes on, never back


def test_an_interrupted_run_resumes_to_its_planned_epochs(manager):
    """A run the command line left interrupted (no queue behind it) is queued again by Resume."""
    folder = manager.runs_root / runs.new_id("cli run")
    plan = _request(epochs=2)
    runner.run(folder, plan)
    info = runs.read_json(folder / "info.json")        # as if it had been killed after its second of four epochs
    info.update(status="running", epochs_planned=4)
    runs.write_json(folder / "info.json", info)
    config = runs.read_json(folder / "config.json")
    config["train"]["epochs"] = 4
    runs.write_json(folder / "config.json", config)
    before = runs.read_run(folder)
    assert before.status == "interrupted" and before.resumable
    resumed = manager.wait(manager.resume(folder.name, ME))
    assert resumed.state == job_queue.FINISHED, resumed.message
    after = runs.read_run(folder)
    assert after.status == "finished" and len(after.epochs) == 4
    assert after.epochs[:2] == before.epochs                        # the finished epochs were kept, not redone
    with pytest.raises(ValueError):
        manager.resume(folder.name, ME)                             # a finished run is not resumed again


def test_each_owner_has_one_run_training_and_one_waiting(manager):
    first = manager.submit(_request("first", epochs=200, count=128), ME)
    _until(lambda: first.snapshot().state == job_queue.RUNNING)
    second = manager.submit(_request("second"), ME)
    with pytest.raises(job_queue.QueueFull):
        manager.submit(_request("third"), ME)
    assert {r.name for r in runs.list_runs(manager.runs_root)} == {"first", "second"}   # the refused one: nothing
    other = manager.submit(_request("someone else's"), "another-token")          # others are not held back
    assert manager.position(second) == 1 and manager.position(other) == 2
    assert manager.stop(second, ME)
    third = manager.submit(_request("third"), ME)                                 # room again
    assert manager.position(third) == 2
    for job in (first, other, third):
        manager.stop(job, job.owner)


def test_a_teachers_run_waits_ahead_of_the_students(manager):
    first = manager.submit(_request("first", epochs=200, count=128), "student-a")
    _until(lambda: first.snapshot().state == job_queue.RUNNING)
    waiting = [manager.submit(_request(f"student {i}"), f"student-{i}") for i in range(3)]
    teacher = manager.submit(_request("teacher"), "teacher-token", priority=1)
    later = manager.submit(_request("later"), "student-b")
    assert manager.position(teacher) == 1
    assert [manager.position(j) for j in waiting] == [2, 3, 4] and manager.position(later) == 5
    for job in (first, *waiting, teacher, later):
        manager.stop(job, job.owner)


def test_a_run_that_would_take_too_long_is_refused_before_it_is_queued(manager):
    huge = models.ModelSpec("huge", (1, 28, 28), [models._conv(1024, 3, padding=1) for _ in range(5)]
                            + [models._pool(size=14), models._pool(size=2), models.FLATTEN, models._dense(10)])
    with pytest.raises(cost.TooCostly):
        manager.submit(runner.RunPlan("huge", huge, train.TrainConfig(epochs=3), "mnist-5k"), ME)
    assert runs.list_runs(manager.runs_root) == [] and manager.jobs() == []
    with pytest.raises(cost.TooCostly):      # a class may lower the limit
        manager.submit(_request(epochs=30, count=3000), ME, max_seconds=0.01)
    job = manager.submit(_request(), ME)
    assert 0 < job.estimate_s < cost.DEFAULT_MAX_SECONDS
    manager.wait(job)


def test_the_worker_measures_this_machines_speed_and_says_where_it_trains(manager):
    workers = manager.workers()
    assert len(workers) == 1 and workers[0]["device"] == "cpu" and 1e7 < manager.speed() < 1e13
    manager.set_speed(1e3)                       # a class that knows its server
    assert manager.speed() == 1e3
    manager.set_speed(None)
    job = manager.wait(manager.submit(_request(epochs=2, count=cost.MIN_SPEED_IMAGES), ME, max_seconds=1e12))
    seen = max(cost.BACKWARD_FACTOR * cost.forward_macs(TINY) * e["images_per_s"] for e in job.epochs)
    _until(lambda: manager.speed() >= seen * 0.999, timeout=10)   # its next heartbeat carries what it saw


def test_a_watched_run_behind_others_polls_slowly_until_its_turn(manager):
    """The Train page polls a waiting run 4 times a second only when it is about to start (pages/views/run_view)."""
    from pages.views import run_view

    first = manager.submit(_request("first", epochs=200, count=128), "student-a")
    _until(lambda: first.snapshot().state == job_queue.RUNNING)
    second = manager.submit(_request("second"), "student-b")
    third = manager.submit(_request("third"), "student-c")
    assert not run_view._behind(manager, first.snapshot())
    assert run_view._behind(manager, second.snapshot()), "next, but the worker is busy"
    assert run_view._behind(manager, third.snapshot())
    manager.stop(first, first.owner)
    _until(lambda: second.snapshot().state != job_queue.QUEUED)
    _until(lambda: not run_view._behind(manager, second.snapshot()))   # once the board is read again
    assert run_view._behind(manager, third.snapshot()), "the second now holds the worker"
    for job in (second, third):
        manager.stop(job, job.owner)
