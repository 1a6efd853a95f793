"""Background training for the app: one worker thread per server trains one job at a time (these
machines have two cores); later jobs wait in a queue and know their place in it.

The worker never calls streamlit. It publishes progress into its Job under a lock; a page reads
`snapshot()` from a fragment that reruns every second, and sends pause / resume / stop, which the
loop obeys before its next batch. Jobs live in the JobManager, not in a browser session, so a page
re-attaches to a job by its id after a page change or a reload.
"""

from __future__ import annotations

import copy
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnn import data, models, runs, train

QUEUED, RUNNING, PAUSED, FINISHED, STOPPED, FAILED = "queued", "running", "paused", "finished", "stopped", "failed"
DONE = (FINISHED, STOPPED, FAILED)
FILTER_EVERY_S = 0.5   # how often the first layer's kernels are copied out for the page


@dataclass
class JobRequest:
    name: str
    spec: models.ModelSpec
    config: train.TrainConfig
    dataset: str
    data_root: str | None = None
    count: int | None = None      # generated data sets (shapes): training images; val and test get a fifth
    size: int = 72                # generated data sets: pixels a side


@dataclass
class Job:
    id: str
    request: JobRequest
    state: str = QUEUED
    progress: train.Progress | None = None
    epochs: list[dict] = field(default_factory=list)      # one record per finished epoch
    curve: list[tuple[float, float, float]] = field(default_factory=list)  # (epoch as a fraction, loss, accuracy)
    filters: np.ndarray | None = None                     # first conv layer's weights, (F, C, k, k)
    message: str = ""                                     # why it failed or stopped
    test: dict | None = None                              # accuracy, confusion, mistakes
    run_id: str | None = None

    def __post_init__(self):
        self._lock = threading.Lock()
        self._go = threading.Event()      # cleared while paused
        self._go.set()
        self._stop = threading.Event()

    # ---- what a page calls
    def snapshot(self) -> Job:
        with self._lock:
            copied = copy.copy(self)
            copied.epochs, copied.curve = list(self.epochs), list(self.curve)
            return copied

    def pause(self) -> None:
        with self._lock:
            if self.state == RUNNING:
                self.state = PAUSED
                self._go.clear()

    def resume(self) -> None:
        with self._lock:
            if self.state == PAUSED:
                self.state = RUNNING
                self._go.set()

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            self._go.set()
            if self.state == QUEUED:
                self.state, self.message = STOPPED, "stopped before it started"

    # ---- what the worker calls
    def _should_stop(self) -> bool:
        while not self._go.wait(0.1):      # paused: hold the loop here, still listening for stop
            if self._stop.is_set():
                break
        return self._stop.is_set()

    def _update(self, **values) -> None:
        with self._lock:
            for key, value in values.items():
                setattr(self, key, value)


def _yield_to_the_app() -> None:
    """On Linux, give the training thread a lower scheduling priority than the threads serving pages."""
    import os

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass  # not Linux, or not allowed: only a politeness


class JobManager:
    """Owns the jobs of one server and the worker thread that trains them in order."""

    def __init__(self, runs_root: Path | None = None):
        self.runs_root = Path(runs_root) if runs_root else runs.DEFAULT_ROOT
        self._jobs: dict[str, Job] = {}
        self._queue: deque[Job] = deque()
        self._wake = threading.Condition()
        self._worker = threading.Thread(target=self._work, name="cnn-lab-trainer", daemon=True)
        self._worker.start()

    def submit(self, request: JobRequest) -> Job:
        models.summary(request.spec)  # a spec that cannot be built is refused here, with its reason
        job = Job(runs.new_id(request.name), request)
        with self._wake:
            self._jobs[job.id] = job
            self._queue.append(job)
            self._wake.notify()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        return list(self._jobs.values())

    def position(self, job: Job) -> int | None:
        """1 for the next job to start; None once it has started or ended."""
        with self._wake:
            waiting = [j for j in self._queue if j.state == QUEUED]
        return waiting.index(job) + 1 if job in waiting else None

    def wait(self, job: Job, timeout: float = 60.0) -> Job:
        """Block until `job` has ended (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while job.state not in DONE and time.monotonic() < deadline:
            time.sleep(0.02)
        return job

    def _work(self) -> None:
        _yield_to_the_app()
        while True:
            with self._wake:
                while not self._queue:
                    self._wake.wait()
                job = self._queue.popleft()
            if job.state == QUEUED:
                self._run(job)

    def _run(self, job: Job) -> None:
        request = job.request
        job._update(state=RUNNING)
        try:
            def count(split: str) -> int | None:
                if request.count is None:
                    return None
                return request.count if split == "train" else max(30, request.count // 5)

            splits = [data.load_dataset(request.dataset, request.data_root, split, count=count(split),
                                        size=request.size) for split in data.SPLITS]
            train_ds, val_ds, test_ds = splits
            spec = copy.deepcopy(request.spec)
            spec.classes = list(train_ds.classes)
            model = models.build(spec)
            first_conv = next((m for m in model if hasattr(m, "weight") and m.weight.dim() == 4), None)
            last_copy = [0.0]

            def on_batch(progress: train.Progress) -> None:
                point = (progress.epoch - 1 + progress.step / progress.steps, progress.loss, progress.accuracy)
                filters = None
                now = time.monotonic()
                if first_conv is not None and now - last_copy[0] > FILTER_EVERY_S:
                    filters = first_conv.weight.detach().cpu().numpy().copy()
                    last_copy[0] = now
                with job._lock:
                    job.progress = progress
                    job.curve.append(point)
                    if filters is not None:
                        job.filters = filters

            def on_epoch(epoch: int, record: dict) -> None:
                with job._lock:
                    job.epochs.append(record)

            history = train.train(model, train_ds, val_ds, request.config, on_batch=on_batch, on_epoch=on_epoch,
                                  should_stop=job._should_stop)
            # Stopped or finished, what was learned is kept: evaluate and save it.
            report = train.evaluate(model, test_ds)
            status = STOPPED if history.stopped == "stopped" else FINISHED
            run_id = job.id
            runs.save_run(runs.run_dir(run_id, self.runs_root), model=model, spec=spec, config=request.config,
                          name=request.name, dataset=request.dataset, epochs=job.epochs, report=report,
                          status=status)
            if first_conv is not None:
                job._update(filters=first_conv.weight.detach().cpu().numpy().copy())
            job._update(state=status, test=report, run_id=run_id,
                        message="stopped by you; what it learned so far is saved" if status == STOPPED else "")
        except train.TrainingDiverged as exc:
            job._update(state=FAILED, message=str(exc))
        except data.DatasetUnavailable as exc:
            job._update(state=FAILED, message=str(exc))
        except Exception as exc:  # a worker must survive anything one job does
            traceback.print_exc()
            job._update(state=FAILED, message=f"{type(exc).__name__}: {exc}")
