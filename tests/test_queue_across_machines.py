"""The training queue across machines, for real: a Redis server of the test's own (Debian's redis-server),
two app servers (each a process with its own JobManager, sharing the runs folder and the queue) and two
workers (`python -m cnn.worker` processes). Runs started from both servers are trained by both workers,
each exactly once, in queue order per priority; a worker killed mid-epoch leaves its run to the other,
which goes on from the last checkpoint; Redis killed and started again loses nothing that was queued or
trained, and the app says so while it is down."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnn import data, job_queue, live, models, runner, runs, tasks, train
from tests.services import Redis

ROOT = Path(__file__).resolve().parents[1]
TINY = models.ModelSpec("tiny", (1, 32, 32), [
    models._conv(4, 3, padding=1), models._act(), models._pool(), models.FLATTEN, models._dense(3)],
    data.SHAPE_CLASSES)


def _plan(name: str, epochs: int = 1, count: int = 64) -> runner.RunPlan:
    return runner.RunPlan(name, TINY, train.TrainConfig(epochs=epochs, batch_size=16), "shapes", count=count, size=32)


def _until(predicate, timeout=90.0, what="a state"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class Machines:
    """The runs folder, the queue and the worker processes of one test."""

    def __init__(self, root: Path, queue_url: str):
        self.root, self.queue_url = root, queue_url
        self.workers: dict[str, subprocess.Popen] = {}

    def start_worker(self, name: str) -> None:
        self.workers[name] = subprocess.Popen(
            [sys.executable, "-m", "cnn.worker", "--queue", self.queue_url, "--runs", str(self.root), "--name", name,
             "--preload", ""], cwd=ROOT)

    def wait_workers(self, manager: job_queue.JobManager, names: set[str]) -> None:
        _until(lambda: names <= {w["name"] for w in manager.workers()}, what=f"workers {names}")

    def stop(self) -> None:
        for process in self.workers.values():
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture()
def machines(tmp_path, redis_url):
    tasks.connect(redis_url).huey.flush()          # the session's Redis: an empty queue for each test
    found = Machines(tmp_path / "runs", redis_url)
    found.root.mkdir()
    yield found
    found.stop()


def _other_server_submits(root: Path, queue_url: str, names: list[str], priority: int) -> list[str]:
    """A second app server: another process, with its own JobManager on the same folder and queue."""
    script = (
        "import json, sys\n"
        "from cnn import job_queue, runner, train, data, models\n"
        "from tests.test_queue_across_machines import _plan\n"
        "m = job_queue.JobManager(runs_root=sys.argv[1], queue_url=sys.argv[2], local_workers=0)\n"
        "m.set_speed(1e9)\n"
        "ids = [m.submit(_plan(n), 'server-2-' + n, priority=int(sys.argv[3])).id for n in json.loads(sys.argv[4])]\n"
        "print(json.dumps(ids))\n")
    out = subprocess.run([sys.executable, "-c", script, str(root), queue_url, str(priority), json.dumps(names)],
                         cwd=ROOT, check=True, capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_runs_from_two_servers_are_trained_by_two_workers_each_once_in_priority_order(machines):
    server_1 = job_queue.JobManager(runs_root=machines.root, queue_url=machines.queue_url, local_workers=0)
    server_1.set_speed(1e9)
    for name in ("w1", "w2"):
        machines.start_worker(name)
    machines.wait_workers(server_1, {"w1", "w2"})
    # Both workers busy with a long run each, so that what follows waits and its order can be seen.
    blockers = [server_1.submit(_plan(f"blocker {i}", epochs=500, count=256), f"blocker-{i}") for i in range(2)]
    _until(lambda: all(b.snapshot().state == job_queue.RUNNING for b in blockers), what="both workers busy")
    assert {b.snapshot().worker for b in blockers} == {"w1", "w2"}
    first = [server_1.submit(_plan(f"one-{i}"), f"server-1-{i}").id for i in range(3)]
    second = _other_server_submits(machines.root, machines.queue_url, ["two-0", "two-1", "two-2"], priority=0)
    teacher = [server_1.submit(_plan("teacher"), "teacher", priority=1).id]
    teacher += _other_server_submits(machines.root, machines.queue_url, ["teacher-2"], priority=1)
    expected = teacher + first + second           # a teacher's runs first, then the students' in the order queued
    # Both servers see the same queue, in the same order.
    assert [server_1.position(server_1.get(i)) for i in expected] == list(range(1, 9))
    for blocker in blockers:
        server_1.stop(blocker, blocker.owner)
    ended = [server_1.wait(server_1.get(i), 120) for i in expected]
    assert all(job.state == job_queue.FINISHED for job in ended), [(j.name, j.state, j.message) for j in ended]
    takes = {i: live.read_takes(machines.root / i) for i in expected}
    assert all(len(t) == 1 for t in takes.values()), takes           # each trained exactly once
    assert {t[0]["worker"] for t in takes.values()} == {"w1", "w2"}  # by both workers
    started = {i: t[0]["at"] for i, t in takes.items()}
    # Two workers take two runs at a time: a run never starts after one two places behind it in the queue.
    for place, run_id in enumerate(expected):
        for later in expected[place + 2:]:
            assert started[run_id] <= started[later], (run_id, later)


def test_a_worker_killed_mid_epoch_leaves_its_run_to_the_other_from_the_last_checkpoint(machines):
    server = job_queue.JobManager(runs_root=machines.root, queue_url=machines.queue_url, local_workers=0)
    server.set_speed(1e9)
    # Both workers up before the run is queued: a worker starting while the run trains (seconds on a busy
    # machine) could let the first finish every epoch before the kill.
    for name in ("w1", "w2"):
        machines.start_worker(name)
    machines.wait_workers(server, {"w1", "w2"})
    job = server.submit(_plan("long", epochs=12, count=4096), "student")
    _until(lambda: len(job.snapshot().epochs) >= 2 and job.snapshot().worker in machines.workers, what="two epochs")
    first = job.snapshot().worker
    machines.workers[first].kill()                   # kill -9, mid-epoch
    other = ({"w1", "w2"} - {first}).pop()
    before = runs.read_run(machines.root / job.id)   # what the killed worker left: its last checkpoint
    assert 2 <= len(before.epochs) < 12
    ended = server.wait(job, 180)
    assert ended.state == job_queue.FINISHED, ended.message
    after = runs.read_run(machines.root / job.id)
    assert len(after.epochs) == 12 and after.epochs[:len(before.epochs)] == before.epochs   # kept, not redone
    assert [t["worker"] for t in live.read_takes(machines.root / job.id)] == [first, other]


def _train_page(lang: str):
    from tests.test_guard_pages import _train_page as opened

    return opened(lang)


def _said(at) -> list[str]:
    return [el.value for kind in ("error", "warning", "info", "caption") for el in at.get(kind)]


def test_redis_killed_and_back_loses_nothing_and_the_app_says_so_meanwhile(tmp_path, monkeypatch):
    """A Redis of this test's own, killed (kill -9) while one run trains and another waits."""
    from cnn import i18n

    redis = Redis()
    url = redis.start()
    root = tmp_path / "runs"
    machines = Machines(root, url)
    for key, value in {"CNN_LAB_RUNS": str(root), "CNN_LAB_QUEUE": url, "CNN_LAB_LOCAL_WORKERS": "0"}.items():
        monkeypatch.setenv(key, value)     # the app's pages (AppTest) on this folder and this queue
    try:
        server = job_queue.JobManager(runs_root=root, queue_url=url, local_workers=0)
        server.set_speed(1e9)
        machines.start_worker("w1")
        machines.wait_workers(server, {"w1"})
        training = server.submit(_plan("training", epochs=6, count=512), "a")
        waiting = server.submit(_plan("waiting"), "b")
        _until(lambda: len(training.snapshot().epochs) >= 1, what="a first epoch")
        redis.kill()
        server._forget()
        assert not server.reachable()
        with pytest.raises(job_queue.QueueUnavailable):
            server.submit(_plan("refused"), "c")
        assert "refused" not in [r.name for r in runs.list_runs(root)]                  # nothing half-made
        for lang in ("en", "zh"):     # the Train page says so in the student's language; nothing fails
            at = _train_page(lang)
            assert i18n.t("train.queue_down", lang) in _said(at) and not at.exception
            assert i18n.t("error.unexpected", lang) not in _said(at)
        _until(lambda: len(training.snapshot().epochs) >= 3, what="training going on without Redis")
        redis.restart()
        _until(lambda: (server._forget(), server.reachable())[1], what="the queue back")
        assert server.wait(training, 180).state == job_queue.FINISHED
        assert server.wait(waiting, 180).state == job_queue.FINISHED      # queued before the kill: kept
        assert len(runs.read_run(root / training.id).epochs) == 6
        assert server.wait(server.submit(_plan("after"), "c"), 120).state == job_queue.FINISHED
        at = _train_page("en")
        assert i18n.t("train.queue_down", "en") not in _said(at) and not at.exception
    finally:
        machines.stop()
        redis.stop()
