"""The app's side of training: queue a run, watch it, pause, resume or stop it, on Huey (cnn.tasks).

A run is queued as its folder (written at once: cnn.runs, plus job.json: cnn.live) and a task in the queue;
a worker (cnn.worker, here or on another machine) takes the task and writes the run's progress into the
folder. Everything a page shows is read from the folder and the queue, never from this server's memory,
so two app servers on the same runs folder and queue show the same queue and the same runs, and a run
started on one is watched from the other.

Fair to a class: each owner has at most one run training and one waiting (QueueFull for a third, checked
under a lock in the queue's store, so two servers cannot both let a third through), a run that would take
longer than a limit of this machine's measured time is refused (cnn.cost.TooCostly), and a teacher's run
(a higher priority) waits ahead of the students'.

Unless $CNN_LAB_LOCAL_WORKERS says 0, the manager starts a worker of its own as the server starts (a
process: a run that crashes or exhausts memory takes it down, not the server; it is started again) and
the worker loads the default data set at once, so Start answers in a moment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from cnn import cost, live, runner, runs, tasks, train
from cnn.live import DONE, FAILED, FINISHED, PAUSED, PREPARING, QUEUED, RUNNING, STARTED, STOPPED  # noqa: F401
from cnn.tasks import QueueUnavailable  # noqa: F401  (pages catch it from here)

DEFAULT_PRELOAD = ("mnist-5k",)
PER_OWNER = 2              # unfinished runs one owner may have: one training and one waiting
RECENT_S = 12 * 3600       # ended runs stay on the board this long
FRESH_S = 0.3              # the board and the queue's order are read again at most this often
ROOT = Path(__file__).resolve().parents[1]


class QueueFull(ValueError):
    """An owner who already has PER_OWNER unfinished runs asks for another (locale key "train.queue_full")."""


@dataclass
class Job:
    """One queued run as its folder says now. `snapshot()` reads it again."""

    id: str
    folder: Path
    owner: str = ""
    priority: int = 0
    estimate_s: float | None = None
    submitted: float = 0.0
    resume: bool = False
    task: str = ""
    name: str = ""
    dataset: str = ""
    epochs_planned: int = 0
    state: str = QUEUED
    progress: train.Progress | None = None
    epochs: list[dict] = field(default_factory=list)
    message: str = ""
    reason: tuple[str, dict] | None = None
    device: str = ""                       # where it trains: "cpu", "cuda: NVIDIA ..."
    worker: str = ""                       # which worker trains it
    filters: np.ndarray | None = None      # the first conv layer's weights, (F, C, k, k)
    _manager: JobManager | None = field(default=None, repr=False, compare=False)

    @property
    def run_id(self) -> str:
        return self.id

    @property
    def plan(self) -> runner.RunPlan:
        return runner.RunPlan.from_folder(self.folder)

    @property
    def test(self) -> dict | None:
        """The test split's results, once it has ended (test.json)."""
        found = runs.read_json(self.folder / "test.json")
        return found if isinstance(found, dict) else None

    def snapshot(self) -> Job:
        """The job as its folder says now (itself, if the folder is gone)."""
        fresh = self._manager.get(self.id) if self._manager is not None else None
        return fresh or self

    def curve_since(self, start: int) -> tuple[int, list[tuple[float, float, float]]]:
        """(points in all, the points from `start` on): what a page that already shows `start` points needs."""
        return live.curve_since(self.folder, start)


class JobManager:
    """The runs of one runs folder and one queue, as every server that shares them sees them."""

    def __init__(self, runs_root: Path | None = None, queue_url: str | None = None,
                 preload: tuple[str, ...] = DEFAULT_PRELOAD, local_workers: int | None = None):
        self.runs_root = Path(runs_root) if runs_root else runs.default_root()
        self.runs_root.mkdir(parents=True, exist_ok=True)
        self.queue = tasks.connect(queue_url or tasks.default_url(self.runs_root))
        self._preload = preload
        self._speed: float | None = None
        self._lock = threading.Lock()
        self._board: tuple[float, list[Job]] = (0.0, [])
        self._order: tuple[float, list[str] | None] = (0.0, [])
        self._files: dict[Path, tuple[int, object]] = {}      # (mtime_ns, value) of filters read
        self._jobs: dict[Path, tuple[list, Job]] = {}          # (its files' mtimes, the job read from them)
        self._gone: dict[str, Job] = {}      # runs stopped before they started, whose folders went with them
        if local_workers is None:
            local_workers = int(os.environ.get("CNN_LAB_LOCAL_WORKERS", "1") or 0)
        self._workers = [_LocalWorker(self, n) for n in range(local_workers)]
        self._closing = False
        for worker in self._workers:
            worker.start()

    # ---- what this machine can do
    def workers(self) -> list[dict]:
        """The workers that live now, on any machine (cnn.worker.living_workers)."""
        from cnn import worker

        return worker.living_workers(self.runs_root)

    def speed(self) -> float | None:
        """Training speed in multiply-adds per second: the fastest living worker's (measured as it started, or
        as its runs' epochs really trained). The fastest, because the load of other programs (a class's
        browsers) comes and goes, while a run's work stays what it is: a run is refused for the work it asks
        for, not for a busy moment."""
        if self._speed is not None:
            return self._speed
        speeds = [float(w["speed"]) for w in self.workers() if isinstance(w.get("speed"), (int, float))]
        return max(speeds) if speeds else None

    def set_speed(self, speed: float | None) -> None:
        """Take `speed` as this machine's (tests; a class that knows its server); None: measure again."""
        self._speed = None if speed is None else float(speed)

    def estimate(self, plan: runner.RunPlan, max_seconds: float = cost.DEFAULT_MAX_SECONDS) -> cost.Estimate:
        """What `plan` would cost here (cnn.cost); SpecError for a network that cannot be built."""
        return cost.for_plan(plan, speed=self.speed(), max_seconds=max_seconds)

    # ---- queueing
    def submit(self, plan: runner.RunPlan, owner: str = "", *, priority: int = 0,
               max_seconds: float = cost.DEFAULT_MAX_SECONDS) -> Job:
        """Queue a new run; its folder is written at once. SpecError for a network that cannot be built,
        cost.TooCostly for one that would take longer than `max_seconds`, QueueFull for an owner who already
        has a run waiting, QueueUnavailable when the queue cannot be reached."""
        found = cost.check(self.estimate(plan, max_seconds))
        with self._owner_lock(owner):
            self._check_fair(owner)
            run_id = runs.new_id(plan.name)
            folder = runs.run_dir(run_id, self.runs_root)
            runs.RunWriter(folder).start(name=plan.name, spec=plan.spec, config=plan.config, dataset=plan.dataset,
                                         data=plan.data, transfer=plan.transfer)
            if owner:
                runs.write_owner(run_id, owner, self.runs_root)
            try:
                self._enqueue(folder, owner, priority, found.seconds, resume=False, name=plan.name,
                              dataset=plan.dataset, epochs=plan.config.epochs)
            except QueueUnavailable:
                runs.delete(run_id, self.runs_root)     # never queued: not a run
                raise
        return self.get(run_id)

    def resume(self, run_id: str, owner: str = "", *, priority: int = 0) -> Job:
        """Queue an interrupted run to train on to its planned epochs, in its own folder."""
        folder = runs.run_dir(run_id, self.runs_root)
        info = runs.read_run(folder)
        if not info.resumable:
            raise ValueError(info.problem or f"This run is {info.status}; only an interrupted run can be resumed.")
        plan = runner.RunPlan.from_folder(folder)
        left = 1 - len(info.epochs) / max(1, plan.config.epochs)
        with self._owner_lock(owner):
            self._check_fair(owner)
            (folder / "live.json").unlink(missing_ok=True)     # a new attempt: no state of an older one
            self._enqueue(folder, owner, priority, self.estimate(plan).seconds * left, resume=True, name=plan.name,
                          dataset=plan.dataset, epochs=plan.config.epochs)
        return self.get(run_id)

    def _enqueue(self, folder: Path, owner: str, priority: int, estimate_s: float | None, *, resume: bool,
                 name: str, dataset: str, epochs: int) -> None:
        task = self.queue.task(folder.name, resume=resume, priority=priority)
        live.write_job(folder, {"owner": owner, "priority": priority, "estimate_s": estimate_s,
                                "submitted": time.time(), "resume": resume, "task": task.id, "name": name,
                                "dataset": dataset, "epochs_planned": epochs, "attempts": 0})
        try:
            self.queue.huey.enqueue(task)
        except Exception as exc:
            (folder / "job.json").unlink(missing_ok=True)
            raise QueueUnavailable(str(exc)) from exc
        self._forget()

    def _owner_lock(self, owner: str):
        """Held while one owner's runs are counted and one is queued, across every server on this queue."""
        if not owner:
            return _NoLock()
        return _StoreLock(self.queue, f"owner-{owner}")

    def _check_fair(self, owner: str) -> None:
        """At most PER_OWNER unfinished runs per owner, else QueueFull. Jobs without an owner (scripts,
        benchmarks) are not limited."""
        if not owner:
            return
        unfinished = sum(1 for job in self._read_all() if job.owner == owner and job.state not in DONE)
        if unfinished >= PER_OWNER:
            raise QueueFull("You already have a run training and one waiting: stop one, or wait for one "
                            "to end, before you start another.")

    # ---- reading
    def _forget(self) -> None:
        """Read the board and the queue's order again next time (this server just changed them)."""
        with self._lock:
            self._board, self._order = (0.0, []), (0.0, [])

    def get(self, job_id: str | None) -> Job | None:
        if not isinstance(job_id, str) or not runs.RUN_ID.match(job_id):
            return None
        found = self._read(runs.run_dir(job_id, self.runs_root))
        if found is None:
            with self._lock:
                found = self._gone.get(job_id)
        return found

    def jobs(self) -> list[Job]:
        """The queued runs, newest first: every one that has not ended, and those that ended in the last
        RECENT_S seconds (read again at most every FRESH_S seconds, for every session of this server)."""
        with self._lock:
            read_at, board = self._board
            if time.monotonic() - read_at < FRESH_S:
                return board
        now = time.time()
        board = [job for job in self._read_all() if job.state not in DONE or now - job.submitted < RECENT_S]
        with self._lock:
            self._board = (time.monotonic(), board)
        return board

    def _read_all(self) -> list[Job]:
        found = []
        try:
            entries = list(os.scandir(self.runs_root))
        except FileNotFoundError:
            return found
        for entry in entries:
            if entry.is_dir() and runs.RUN_ID.match(entry.name):
                job = self._read(Path(entry.path))
                if job is not None:
                    found.append(job)
        return sorted(found, key=lambda j: (j.submitted, j.id), reverse=True)

    def _read(self, folder: Path) -> Job | None:
        """The job of a run folder (None: not a queued run). Read again only when one of its files changed:
        pages poll, and a class's folder holds hundreds of runs."""
        stamps = []
        for name in ("job.json", "live.json", "metrics.json", "filters.npy"):
            try:
                stamps.append((folder / name).stat().st_mtime_ns)
            except FileNotFoundError:
                stamps.append(None)
        if stamps[0] is None:
            return None
        with self._lock:
            known = self._jobs.get(folder)
        if known is not None and known[0] == stamps:
            job = known[1]
        else:
            job = self._read_files(folder)
            if job is None:
                return None
            with self._lock:
                if len(self._jobs) > 4096:
                    self._jobs.clear()
                self._jobs[folder] = (stamps, job)
        if job.state in STARTED and not runs.is_alive(folder):
            # Its worker died: a worker queues it again, from its last checkpoint.
            return replace(job, state=QUEUED, progress=None)
        return job

    def _read_files(self, folder: Path) -> Job | None:
        meta = live.read_job(folder)
        if meta is None:
            return None
        now = live.read_live(folder)
        state = str(now.get("state") or QUEUED)
        metrics = runs.read_json(folder / "metrics.json", {})
        epochs = metrics.get("epochs", []) if isinstance(metrics, dict) else []
        reason = now.get("reason")
        return Job(folder.name, folder, owner=str(meta.get("owner") or ""), priority=int(meta.get("priority", 0)),
                   estimate_s=meta.get("estimate_s"), submitted=float(meta.get("submitted", 0.0)),
                   resume=bool(meta.get("resume")), task=str(meta.get("task", "")), name=str(meta.get("name", "")),
                   dataset=str(meta.get("dataset", "")), epochs_planned=int(meta.get("epochs_planned", 0)),
                   state=state, progress=live.progress_of(now) if state != QUEUED else None,
                   epochs=[e for e in epochs if isinstance(e, dict)], message=str(now.get("message", "")),
                   reason=tuple(reason) if isinstance(reason, list) and len(reason) == 2 else None,
                   device=str(now.get("device", "")), worker=str(now.get("worker", "")),
                   filters=self._filters(folder), _manager=self)

    def _filters(self, folder: Path) -> np.ndarray | None:
        """The run's kernels, read again only when the worker replaced them (the same array otherwise, so a
        page can tell it has already drawn them)."""
        path = folder / "filters.npy"
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with self._lock:
            known = self._files.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        array = live.read_filters(folder)
        with self._lock:
            if len(self._files) > 256:
                self._files.clear()
            self._files[path] = (stamp, array)
        return array

    def waiting_order(self) -> list[str] | None:
        """The run ids waiting, in the order workers will take them; None when the queue cannot be reached."""
        with self._lock:
            read_at, order = self._order
            if time.monotonic() - read_at < FRESH_S:
                return order
        try:
            order = [task_id.rsplit(".", 1)[0] for task_id in self.queue.pending_ids()]
        except QueueUnavailable:
            order = None
        with self._lock:
            self._order = (time.monotonic(), order)
        return order

    def reachable(self) -> bool:
        """Whether the queue answers (a page says so when it does not)."""
        return self.waiting_order() is not None

    def position(self, job: Job) -> int | None:
        """1 for the next job to start; None once it has started or ended (or the queue cannot be reached)."""
        if job.state != QUEUED:
            return None
        order = self.waiting_order()
        if not order:
            return None
        states = {j.id: j.state for j in self.jobs()}
        waiting = [run_id for run_id in dict.fromkeys(order) if states.get(run_id) == QUEUED]
        return waiting.index(job.id) + 1 if job.id in waiting else None

    # ---- control
    def may_control(self, job: Job, owner: str) -> bool:
        return bool(owner) and job.owner == owner

    def pause(self, job: Job, owner: str) -> bool:
        job = job.snapshot()
        if not self.may_control(job, owner) or job.state != RUNNING:
            return False
        self.queue.huey.put(f"pause:{job.id}", True)
        return True

    def unpause(self, job: Job, owner: str) -> bool:
        job = job.snapshot()
        if not self.may_control(job, owner) or job.state not in (PAUSED, RUNNING):
            return False
        self.queue.huey.delete(f"pause:{job.id}")
        return True

    def stop(self, job: Job, owner: str) -> bool:
        """Stop a running job (what it learned is kept: the worker stops within a fraction of a second) or take
        a waiting one out of the queue (a new run's folder goes with it)."""
        job = job.snapshot()
        if not self.may_control(job, owner) or job.state in DONE:
            return False
        try:
            self.queue.huey.revoke_by_id(job.task, revoke_once=True)
            self.queue.huey.delete(f"pause:{job.id}")
        except Exception as exc:
            raise QueueUnavailable(str(exc)) from exc
        lock = runs.RunLock(job.folder)
        if lock.acquire():          # no worker trains it: it was waiting
            try:
                if live.read_live(job.folder).get("state") in DONE:
                    return False
                live.amend(job.folder, state=STOPPED, message="stopped before it started",
                           reason=("stopped_queued", {}), ended=time.time())
            finally:
                lock.release()
            if not job.resume and not job.epochs:    # a run that never trained leaves nothing worth keeping
                runs.delete(job.id, self.runs_root)
                with self._lock:     # but its page still says what became of it (on this server)
                    self._gone[job.id] = replace(job, state=STOPPED, message="stopped before it started",
                                                 reason=("stopped_queued", {}))
        self._forget()
        return True

    # ---- for tests and scripts
    def wait(self, job: Job, timeout: float = 60.0) -> Job:
        """Block until `job` has ended; the job as it ended (or as it is at the timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            fresh = self.get(job.id) or job
            if fresh.state in DONE or time.monotonic() >= deadline:
                return fresh
            time.sleep(0.02)

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Block until this server's own worker (or, with none, any worker) has loaded its data and said so."""
        deadline = time.monotonic() + timeout
        names = {w.name for w in self._workers}
        while time.monotonic() < deadline:
            living = {w.get("name") for w in self.workers()}
            if (names and names <= living) or (not names and living):
                return True
            time.sleep(0.05)
        return False

    def shutdown(self) -> None:
        """Stop this server's own workers (for tests); a server that simply exits takes them along."""
        self._closing = True
        for worker in self._workers:
            worker.stop()


class _LocalWorker:
    """One worker process of this server's own, started again if it dies (a run that exhausted memory)."""

    def __init__(self, manager: JobManager, number: int):
        self.manager = manager
        self.name = f"{socket.gethostname()}-app{os.getpid()}-{number}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        threading.Thread(target=self._keep, name=f"cnn-lab-{self.name}", daemon=True).start()

    def _keep(self) -> None:
        while not self.manager._closing:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cnn.worker", "--queue", self.manager.queue.url, "--runs",
                 str(self.manager.runs_root), "--name", self.name, "--parent", str(os.getpid()),
                 "--preload", ",".join(self.manager._preload)], cwd=ROOT)
            self.process.wait()
            if not self.manager._closing:
                time.sleep(1.0)

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        (self.manager.runs_root / ".workers" / f"{self.name}.json").unlink(missing_ok=True)


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _StoreLock:
    """A lock in the queue's store (Huey's put_if_empty: one winner on SQLite or Redis alike). It holds the
    time it was taken: one older than `ttl` seconds was left by a server that died holding it, and is broken."""

    def __init__(self, queue: tasks.Queue, name: str, ttl: float = 10.0):
        self.queue, self.key, self.ttl = queue, f"lock:{name}", ttl

    def __enter__(self):
        huey = self.queue.huey
        try:
            while not huey.put_if_empty(self.key, time.time()):
                taken = huey.get(self.key, peek=True)
                if not isinstance(taken, (int, float)) or time.time() - taken > self.ttl:
                    huey.delete(self.key)
                else:
                    time.sleep(0.02)
        except Exception as exc:
            raise QueueUnavailable(str(exc)) from exc
        return self

    def __exit__(self, *exc):
        try:
            self.queue.huey.delete(self.key)
        except Exception:
            pass
        return False
