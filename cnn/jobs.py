"""Background training for the app: one worker process per server (cnn.worker) trains one job at a time
(these machines have two cores); later jobs wait in a queue and know their place in it.

Why a process and not a thread: pages and training then never compete for one interpreter lock, so
any number of people watching a run cannot starve it, and a run that crashes or exhausts memory takes
down the worker, not the server (the next job gets a fresh worker). The worker is started with the
server and loads the default data set at once, so Start answers in a moment.

The server side keeps every job of this server in a JobManager: the worker's reports (status, a bundle
of batches, an epoch, the end) are read by a thread and published into the Job under a lock; a page
reads `snapshot()` or `curve_since()` from a fragment. Pause and stop go to the worker as commands,
which the training loop obeys before its next batch; only the job's owner may send them.

Fair to a class: each owner has at most one run training and one waiting (QueueFull for a third), a run
that would take longer than a limit of this machine's measured time is refused (cnn.cost.TooCostly), and
a teacher's run (a higher priority) waits ahead of the students'.

Each job's run folder is written when it is queued and locked by this server (cnn.runs.RunLock) until
the job ends, so if the server dies, a restarted one lists the run as interrupted, resumable.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from cnn import cost, runner, runs, train

QUEUED, PREPARING, RUNNING, PAUSED = "queued", "preparing", "running", "paused"
FINISHED, STOPPED, FAILED = "finished", "stopped", "failed"
DONE = (FINISHED, STOPPED, FAILED)
DEFAULT_PRELOAD = ("mnist-5k",)
PER_OWNER = 2              # unfinished runs one owner may have: one training and one waiting
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Job:
    id: str                                               # also the run folder's id
    plan: runner.RunPlan
    owner: str = ""                                       # who may pause or stop it (a browser's token)
    resume: bool = False                                  # continue an interrupted run in its folder
    state: str = QUEUED
    progress: train.Progress | None = None
    epochs: list[dict] = field(default_factory=list)      # one record per finished epoch
    curve: list[tuple[float, float, float]] = field(default_factory=list)  # (epoch as a fraction, loss, accuracy)
    filters: np.ndarray | None = None                     # first conv layer's weights, (F, C, k, k)
    message: str = ""                                     # why it failed or stopped, in English
    reason: tuple[str, dict] | None = None                # the same as (code, params): locale "job_reason.<code>"
    test: dict | None = None                              # accuracy, confusion, mistakes, predicted
    submitted: float = field(default_factory=time.time)
    priority: int = 0                                     # higher waits ahead (a teacher's run)
    estimate_s: float | None = None                       # the seconds it was expected to take (cnn.cost)

    def __post_init__(self):
        self._lock = threading.Lock()

    @property
    def run_id(self) -> str:
        return self.id

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def dataset(self) -> str:
        return self.plan.dataset

    def snapshot(self) -> Job:
        """A copy to read at leisure (the lists are copied; the arrays are replaced, never changed)."""
        with self._lock:
            copied = copy.copy(self)
            copied.epochs, copied.curve = list(self.epochs), list(self.curve)
            return copied

    def curve_since(self, start: int) -> tuple[int, list[tuple[float, float, float]]]:
        """(points in all, the points from `start` on): what a page that already shows `start` points needs."""
        with self._lock:
            return len(self.curve), self.curve[start:]

    def _update(self, **values) -> None:
        with self._lock:
            for key, value in values.items():
                setattr(self, key, value)


class QueueFull(ValueError):
    """An owner who already has PER_OWNER unfinished runs asks for another (locale key "train.queue_full")."""


# ---------------------------------------------------------------- the server side


class JobManager:
    """Owns the jobs of one server, its queue, and the worker process that trains them in order."""

    def __init__(self, runs_root: Path | None = None, preload: tuple[str, ...] = DEFAULT_PRELOAD):
        self.runs_root = Path(runs_root) if runs_root else runs.default_root()
        self._preload = preload
        self._jobs: dict[str, Job] = {}
        self._queue: deque[Job] = deque()
        self._locks: dict[str, runs.RunLock] = {}
        self._wake = threading.Condition()
        self._process = self._commands = self._reports = None
        self._sending = threading.Lock()
        self._ready = threading.Event()
        self._running: Job | None = None
        self._speeds: deque[float] = deque(maxlen=5)   # multiply-adds per second: measured at start, then seen
        self._dispatcher = threading.Thread(target=self._dispatch, name="cnn-lab-jobs", daemon=True)
        self._dispatcher.start()

    # ---- what pages call
    def speed(self) -> float | None:
        """This machine's training speed in multiply-adds per second: the fastest of the worker's measurement
        as it started and the speeds the last runs' epochs really trained at. The fastest, because the load
        of other programs (a class's browsers) comes and goes, while a run's work stays what it is: a run is
        refused for the work it asks for, not for a busy moment."""
        return max(self._speeds) if self._speeds else None

    def set_speed(self, speed: float) -> None:
        """Take `speed` as this machine's (tests; a class that knows its server)."""
        self._speeds.clear()
        self._speeds.append(float(speed))

    def estimate(self, plan: runner.RunPlan, max_seconds: float = cost.DEFAULT_MAX_SECONDS) -> cost.Estimate:
        """What `plan` would cost here (cnn.cost); SpecError for a network that cannot be built."""
        return cost.for_plan(plan, speed=self.speed(), max_seconds=max_seconds)

    def submit(self, plan: runner.RunPlan, owner: str = "", *, priority: int = 0,
               max_seconds: float = cost.DEFAULT_MAX_SECONDS) -> Job:
        """Queue a new run; its folder is written and locked at once. SpecError for a network that cannot be
        built, cost.TooCostly for one that would take longer than `max_seconds`, QueueFull for an owner who
        already has a run waiting."""
        found = cost.check(self.estimate(plan, max_seconds))
        self._check_fair(owner)
        job = Job(runs.new_id(plan.name), plan, owner, priority=priority, estimate_s=found.seconds)
        folder = runs.run_dir(job.id, self.runs_root)
        runs.RunWriter(folder).start(name=plan.name, spec=plan.spec, config=plan.config, dataset=plan.dataset,
                                     data=plan.data, transfer=plan.transfer)
        try:
            return self._enqueue(job, folder)
        except QueueFull:       # another tab of the same owner was quicker: this folder was never a run
            runs.delete(job.id, self.runs_root)
            raise

    def resume(self, run_id: str, owner: str = "", *, priority: int = 0) -> Job:
        """Queue an interrupted run to train on to its planned epochs, in its own folder."""
        folder = runs.run_dir(run_id, self.runs_root)
        info = runs.read_run(folder)
        if not info.resumable:
            raise ValueError(info.problem or f"This run is {info.status}; only an interrupted run can be resumed.")
        plan = runner.RunPlan.from_folder(folder)
        self._check_fair(owner)
        job = Job(run_id, plan, owner, resume=True, epochs=list(info.epochs), priority=priority,
                  estimate_s=self.estimate(plan).seconds * (1 - len(info.epochs) / max(1, plan.config.epochs)))
        return self._enqueue(job, folder)

    def _check_fair(self, owner: str) -> None:
        """At most PER_OWNER unfinished runs per owner (with one worker: one training, one waiting), else
        QueueFull. Jobs without an owner (scripts, benchmarks) are not limited."""
        if not owner:
            return
        with self._wake:
            if sum(j.owner == owner and j.state not in DONE for j in self._jobs.values()) >= PER_OWNER:
                raise QueueFull("You already have a run training and one waiting: stop one, or wait for one "
                                "to end, before you start another.")

    def _enqueue(self, job: Job, folder: Path) -> Job:
        lock = runs.RunLock(folder)
        if not lock.acquire():
            raise ValueError("Another process is training this run.")
        with self._wake:
            try:
                self._check_fair(job.owner)     # again, under the lock (the condition's lock is re-entrant)
            except QueueFull:
                lock.release()
                raise
            self._locks[job.id] = lock
            self._jobs[job.id] = job
            # Behind every waiting job of the same or a higher priority: a teacher's run goes first.
            after = [i for i, j in enumerate(self._queue) if j.priority >= job.priority]
            self._queue.insert(after[-1] + 1 if after else 0, job)
            self._wake.notify_all()
        return job

    def get(self, job_id: str | None) -> Job | None:
        return self._jobs.get(job_id) if isinstance(job_id, str) else None

    def jobs(self) -> list[Job]:
        """Every job of this server, newest first."""
        return sorted(self._jobs.values(), key=lambda j: j.submitted, reverse=True)

    def position(self, job: Job) -> int | None:
        """1 for the next job to start; None once it has started or ended."""
        with self._wake:
            waiting = [j for j in self._queue if j.state == QUEUED]
        return waiting.index(job) + 1 if job in waiting else None

    def may_control(self, job: Job, owner: str) -> bool:
        return bool(owner) and job.owner == owner

    def _command(self, *message) -> None:
        with self._sending:
            try:
                self._commands.send(message)
            except (OSError, AttributeError):
                pass     # no worker right now: the dispatcher starts a new one and fails the job

    def pause(self, job: Job, owner: str) -> bool:
        with self._wake:
            if not self.may_control(job, owner) or job is not self._running or job.state != RUNNING:
                return False
            self._command("pause")
            job._update(state=PAUSED)
            return True

    def unpause(self, job: Job, owner: str) -> bool:
        with self._wake:
            if not self.may_control(job, owner) or job is not self._running or job.state != PAUSED:
                return False
            self._command("resume")
            job._update(state=RUNNING)
            return True

    def stop(self, job: Job, owner: str) -> bool:
        """Stop a running job (what it learned is kept) or take a queued one out of the queue."""
        with self._wake:
            if not self.may_control(job, owner) or job.state in DONE:
                return False
            if job is self._running:
                self._command("stop")
                return True
            if job in self._queue:
                self._queue.remove(job)
        # A job that never started leaves nothing worth keeping, unless it was an interrupted run.
        if not job.resume:
            self._release(job)
            runs.delete(job.id, self.runs_root)
        else:
            self._release(job)
        job._update(state=STOPPED, message="stopped before it started", reason=("stopped_queued", {}))
        return True

    def wait(self, job: Job, timeout: float = 60.0) -> Job:
        """Block until `job` has ended (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while job.state not in DONE and time.monotonic() < deadline:
            time.sleep(0.02)
        return job

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Block until the worker has started and loaded its data (for benchmarks and tests)."""
        return self._ready.wait(timeout)

    def shutdown(self) -> None:
        """Ask the worker to quit (for tests); a server that simply exits takes its worker along."""
        process = self._process
        self._command("quit")
        if process is not None:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()

    # ---- the dispatcher thread
    def _release(self, job: Job) -> None:
        lock = self._locks.pop(job.id, None)
        if lock is not None:
            lock.release()

    def _start_worker(self) -> None:
        self._ready.clear()
        if self._commands is not None:     # the old worker's pipes, if it died
            for end in (self._commands, self._reports):
                end.close()
        commands_read, commands_write = os.pipe()
        reports_read, reports_write = os.pipe()
        process = subprocess.Popen([sys.executable, "-m", "cnn.worker", str(commands_read), str(reports_write),
                                    ",".join(self._preload)], cwd=ROOT, pass_fds=(commands_read, reports_write))
        os.close(commands_read)
        os.close(reports_write)
        with self._sending:
            self._process = process
            self._commands = Connection(commands_write, readable=False)
            self._reports = Connection(reports_read, writable=False)

    def _receive(self):
        """The worker's next message; None when it has died."""
        try:
            return self._reports.recv()     # EOF as soon as the worker's end closes, however it ended
        except (EOFError, OSError):
            self._process.wait()
            return None

    def _dispatch(self) -> None:
        self._start_worker()
        while True:
            if not self._ready.is_set():
                message = self._receive()
                if message is None:         # it died while starting: try again shortly
                    time.sleep(1.0)
                    self._start_worker()
                    continue
                if message[0] == "ready":
                    if len(message) > 1 and message[1]:
                        self._speeds.append(float(message[1]))
                    self._ready.set()
                continue
            with self._wake:
                while not self._queue:
                    self._wake.wait()
                job = self._queue.popleft()
                self._running = job
            try:
                self._train(job)
            except Exception:       # the dispatcher must outlive any job
                traceback.print_exc()
                job._update(state=FAILED, message="The training process failed; see the server's log.",
                            reason=("failed", {"detail": ""}))
            finally:
                with self._wake:
                    self._running = None
                self._release(job)

    def _train(self, job: Job) -> None:
        folder = runs.run_dir(job.id, self.runs_root)
        job._update(state=PREPARING)
        self._command("run", str(folder), job.plan, job.resume)
        while True:
            message = self._receive()
            if message is None:
                # The worker died mid-run (out of memory, killed): the folder keeps its last checkpoint and,
                # once this server lets go of it, reads as interrupted. A fresh worker takes the next job.
                self._release(job)   # before the state says it ended, so whoever sees the end sees the folder free
                job._update(state=FAILED, message="The training process stopped unexpectedly; the run keeps its "
                                                  "finished epochs and can be resumed.", reason=("worker_died", {}))
                self._start_worker()
                return
            kind = message[0]
            if kind == "status":
                status = message[1]
                with job._lock:
                    if not (status == RUNNING and job.state == PAUSED):
                        job.state = status
            elif kind == "batches":
                _, progress, points, filters = message
                with job._lock:
                    job.progress = progress
                    job.curve.extend(points)
                    if filters is not None:
                        job.filters = filters
            elif kind == "epoch":
                with job._lock:
                    job.epochs.append(message[1])
                speed = cost.epoch_speed(job.plan.spec, message[1])   # how fast this machine really trained
                if speed is not None:
                    self._speeds.append(speed)
            elif kind == "done":
                _, status, epochs, report, text, reason = message
                if status == STOPPED and not text:
                    text, reason = "stopped by you; what it learned so far is saved", ("stopped", {})
                self._release(job)
                with job._lock:
                    job.state, job.test, job.message, job.reason = status, report, text, reason
                    if epochs is not None:
                        job.epochs = list(epochs)
                return
