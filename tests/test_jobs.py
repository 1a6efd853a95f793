"""Background jobs: they train in a worker process, report progress, pause, resume and stop within a second
(only for their owner), queue one at a time, fail with a reason, and leave a run folder whose ids cannot
escape runs/."""

import time

import pytest
import torch

from cnn import cost, data, jobs, models, runner, runs, train

TINY = models.ModelSpec("tiny", (1, 32, 32), [
    models._conv(4, 3, padding=1), models._act(), models._pool(), models.FLATTEN, models._dense(3)],
    data.SHAPE_CLASSES)


def _request(name="tiny", epochs=2, count=64, **config) -> runner.RunPlan:
    return runner.RunPlan(name, TINY, train.TrainConfig(epochs=epochs, batch_size=16, **config), "shapes",
                         count=count, size=32)


ME = "owner-token"


def _until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture()
def manager(tmp_path):
    manager = jobs.JobManager(runs_root=tmp_path, preload=())
    yield manager
    manager.shutdown()


def test_a_job_trains_reports_and_leaves_a_run(manager, tmp_path):
    job = manager.wait(manager.submit(_request(), ME))
    assert job.state == jobs.FINISHED, job.message
    snap = job.snapshot()
    # 64 images / 16 per batch: 4 steps an epoch; progress comes at each epoch's first and last step (and at
    # most every train.REPORT_EVERY_S between), so the curve has 2 to 4 points an epoch, ending each epoch.
    positions = [point[0] for point in snap.curve]
    assert len(snap.epochs) == 2 and 2 * 2 <= len(snap.curve) <= 2 * 4 and {0.25, 1.0, 1.25, 2.0} <= set(positions)
    assert snap.filters.shape == (4, 1, 3, 3)
    assert snap.test["accuracy"] >= 0 and sum(map(sum, snap.test["confusion"])) == 30
    model, spec = models.load(tmp_path / job.run_id / "model")
    assert torch.equal(model[0].weight, torch.from_numpy(snap.filters))  # the last snapshot is the final weights
    listed = runs.list_runs(tmp_path)
    assert [r.id for r in listed] == [job.id] and listed[0].status == "finished" and listed[0].problem is None
    assert manager.get(job.id) is job                                    # a page re-attaches by id


def test_pause_resume_and_stop_are_obeyed_within_a_second(manager):
    job = manager.submit(_request(epochs=500, count=256), ME)
    _until(lambda: job.snapshot().progress is not None)
    assert manager.pause(job, ME)
    time.sleep(0.3)                                   # let a batch in flight finish
    paused_at = len(job.snapshot().curve)
    time.sleep(1.0)
    assert job.state == jobs.PAUSED and len(job.snapshot().curve) == paused_at
    assert manager.unpause(job, ME)
    _until(lambda: len(job.snapshot().curve) > paused_at, timeout=2.0)
    started = time.monotonic()
    assert manager.stop(job, ME)
    time.sleep(0.3)
    stopped_at = len(job.snapshot().curve)
    time.sleep(0.7)
    assert len(job.snapshot().curve) == stopped_at and time.monotonic() - started < 1.5
    manager.wait(job)
    assert job.state == jobs.STOPPED and job.run_id                  # what it learned is kept


def test_jobs_queue_one_at_a_time(manager):
    first = manager.submit(_request("first", epochs=200, count=128), ME)
    second = manager.submit(_request("second"), ME)
    _until(lambda: first.state == jobs.RUNNING)
    assert manager.position(second) == 1 and second.state == jobs.QUEUED
    assert manager.stop(first, ME)
    manager.wait(second)
    assert second.state == jobs.FINISHED and manager.position(second) is None


def test_a_queued_job_can_be_stopped_before_it_starts(manager, tmp_path):
    first = manager.submit(_request(epochs=200, count=128), ME)
    second = manager.submit(_request(), ME)
    assert manager.stop(second, ME)
    assert second.state == jobs.STOPPED
    assert manager.stop(first, ME)
    manager.wait(first)
    time.sleep(0.2)
    assert second.state == jobs.STOPPED and not (tmp_path / second.id).exists()   # nothing left of it


def test_a_diverging_job_fails_with_the_reason(manager):
    job = manager.wait(manager.submit(_request(optimizer="sgd", lr=1e30), ME))
    assert job.state == jobs.FAILED and "learning rate" in job.message


def test_data_that_cannot_be_had_fails_the_job_not_the_worker(manager, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be: MNIST can neither be found nor downloaded")
    spec = models.preset("seed-mnist")
    plan = runner.RunPlan("offline", spec, train.TrainConfig(epochs=1), "mnist", data_root=str(blocked))
    job = manager.wait(manager.submit(plan, ME))
    assert job.state == jobs.FAILED and "mnist-5k" in job.message          # the message names the offline choice
    assert runs.read_run(tmp_path / job.id).status == "failed"
    assert manager.wait(manager.submit(_request(), ME)).state == jobs.FINISHED     # the worker lives on


def test_a_spec_that_cannot_be_built_is_refused_at_submit(manager):
    bad = models.ModelSpec("bad", (1, 32, 32), [models._dense(3)], data.SHAPE_CLASSES)
    with pytest.raises(models.SpecError):
        manager.submit(runner.RunPlan("bad", bad, train.TrainConfig(), "shapes"), ME)


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", "..", "/tmp/x", "UPPER", "x" * 80, None, "a\x00b"])
def test_run_ids_never_become_paths_outside_runs(tmp_path, bad):
    with pytest.raises(ValueError):
        runs.run_dir(bad, tmp_path)


def test_runs_rename_and_delete(tmp_path):
    run_id = runs.new_id("My Run!")
    assert runs.RUN_ID.match(run_id) and run_id.endswith("my-run")
    runs.write_json(runs.run_dir(run_id, tmp_path) / "info.json", {"name": "first"})
    runs.rename(run_id, "second", tmp_path)
    assert runs.list_runs(tmp_path)[0].name == "second"
    runs.delete(run_id, tmp_path)
    assert runs.list_runs(tmp_path) == []


def test_only_the_owner_may_pause_or_stop(manager):
    job = manager.submit(_request(epochs=500, count=256), ME)
    _until(lambda: job.snapshot().progress is not None)
    for action in (manager.pause, manager.stop):
        assert not action(job, "someone-else") and not action(job, "")
    assert job.state == jobs.RUNNING
    assert manager.stop(job, ME)
    assert manager.wait(job).state == jobs.STOPPED


def test_a_killed_worker_fails_its_job_and_the_next_job_gets_a_new_one(manager, tmp_path):
    job = manager.submit(_request(epochs=500, count=256), ME)
    _until(lambda: len(job.snapshot().epochs) >= 1)
    manager._process.kill()                                   # as the kernel's OOM killer would
    assert manager.wait(job).state == jobs.FAILED and "resumed" in job.message
    _until(lambda: runs.read_run(tmp_path / job.id).status == "interrupted")
    assert runs.read_run(tmp_path / job.id).resumable
    assert manager.wait(manager.submit(_request(), ME)).state == jobs.FINISHED


def test_an_interrupted_run_resumes_to_its_planned_epochs(manager, tmp_path):
    job = manager.submit(_request(epochs=500, count=256), ME)
    _until(lambda: len(job.snapshot().epochs) >= 2)
    manager._process.kill()
    manager.wait(job)
    before = runs.read_run(tmp_path / job.id)
    assert before.status == "interrupted" and len(before.epochs) >= 2
    # Plan fewer epochs so the test is short: edit the planned count as a user could not, then resume.
    info = runs.read_json(tmp_path / job.id / "info.json")
    info["epochs_planned"] = len(before.epochs) + 2
    runs.write_json(tmp_path / job.id / "info.json", info)
    config = runs.read_json(tmp_path / job.id / "config.json")
    config["train"]["epochs"] = len(before.epochs) + 2
    runs.write_json(tmp_path / job.id / "config.json", config)
    resumed = manager.wait(manager.resume(job.id, ME))
    assert resumed.state == jobs.FINISHED, resumed.message
    after = runs.read_run(tmp_path / job.id)
    assert after.status == "finished" and len(after.epochs) == len(before.epochs) + 2
    assert after.epochs[:len(before.epochs)] == before.epochs       # the finished epochs were kept, not redone
    with pytest.raises(ValueError):
        manager.resume(job.id, ME)                                   # a finished run is not resumed again


def test_each_owner_has_one_run_training_and_one_waiting(manager, tmp_path):
    first = manager.submit(_request("first", epochs=200, count=128), ME)
    _until(lambda: first.state == jobs.RUNNING)
    second = manager.submit(_request("second"), ME)
    with pytest.raises(jobs.QueueFull):
        manager.submit(_request("third"), ME)
    assert {r.name for r in runs.list_runs(tmp_path)} == {"first", "second"}     # the refused one left nothing
    other = manager.submit(_request("someone else's"), "another-token")          # others are not held back
    assert manager.position(second) == 1 and manager.position(other) == 2
    assert manager.stop(second, ME)
    third = manager.submit(_request("third"), ME)                                 # room again
    assert manager.position(third) == 2
    for job in (first, other, third):
        manager.stop(job, job.owner)


def test_a_teachers_run_waits_ahead_of_the_students(manager):
    first = manager.submit(_request("first", epochs=200, count=128), "student-a")
    _until(lambda: first.state == jobs.RUNNING)
    waiting = [manager.submit(_request(f"student {i}"), f"student-{i}") for i in range(3)]
    teacher = manager.submit(_request("teacher"), "teacher-token", priority=1)
    later = manager.submit(_request("later"), "student-b")
    assert manager.position(teacher) == 1
    assert [manager.position(j) for j in waiting] == [2, 3, 4] and manager.position(later) == 5
    for job in (first, *waiting, teacher, later):
        manager.stop(job, job.owner)


def test_a_run_that_would_take_too_long_is_refused_before_it_is_queued(manager, tmp_path):
    huge = models.ModelSpec("huge", (1, 28, 28), [models._conv(1024, 3, padding=1) for _ in range(5)]
                            + [models._pool(size=14), models._pool(size=2), models.FLATTEN, models._dense(10)])
    with pytest.raises(cost.TooCostly):
        manager.submit(runner.RunPlan("huge", huge, train.TrainConfig(epochs=3), "mnist-5k"), ME)
    assert runs.list_runs(tmp_path) == [] and manager.jobs() == []
    with pytest.raises(cost.TooCostly):      # a class may lower the limit
        manager.submit(_request(epochs=30, count=3000), ME, max_seconds=0.01)
    job = manager.submit(_request(), ME)
    assert 0 < job.estimate_s < cost.DEFAULT_MAX_SECONDS
    manager.wait(job)


def test_the_worker_measures_this_machines_speed_and_each_epoch_trained_corrects_it(manager):
    assert manager.wait_ready(60) and 1e7 < manager.speed() < 1e13
    manager.set_speed(1e3)                       # far too slow: the epochs really trained correct it
    job = manager.wait(manager.submit(_request(epochs=1), ME, max_seconds=1e12))
    assert manager.speed() == 1e3                # 64 images an epoch: too few to tell the speed (cnn.cost)
    job = manager.wait(manager.submit(_request(epochs=2, count=cost.MIN_SPEED_IMAGES), ME, max_seconds=1e12))
    rates = [e["images_per_s"] for e in job.epochs]
    assert manager.speed() == pytest.approx(max(cost.BACKWARD_FACTOR * cost.forward_macs(TINY) * r for r in rates))


def test_a_watched_run_behind_others_polls_slowly_until_its_turn(manager):
    """The Train page polls a waiting run 4 times a second only when it is about to start (pages/views/run_view)."""
    from pages.views import run_view

    first = manager.submit(_request("first", epochs=200, count=128), "student-a")
    _until(lambda: first.state == jobs.RUNNING)
    second = manager.submit(_request("second"), "student-b")
    third = manager.submit(_request("third"), "student-c")
    assert not run_view._behind(manager, first)
    assert run_view._behind(manager, second), "next, but the worker is busy"
    assert run_view._behind(manager, third)
    manager.stop(first, first.owner)
    _until(lambda: second.state != jobs.QUEUED)
    assert not run_view._behind(manager, second)
    assert run_view._behind(manager, third), "the second now holds the worker"
    for job in (second, third):
        manager.stop(job, job.owner)
