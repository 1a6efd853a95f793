"""A training worker: Huey's consumer (cnn.tasks) with the default data loaded and the kernels warmed up.

    python -m cnn.worker [--queue URL] [--runs PATH] [--name NAME]

--queue is the queue's URL (default: $CNN_LAB_QUEUE, else the SQLite file beside the runs folder), --runs
the runs folder that every machine reaches (a shared mount; default: $CNN_LAB_RUNS, else runs/). On
another machine: `python -m cnn.worker --queue redis://HOST:6379/0 --runs /mnt/cnn-lab/runs`. It trains on
CUDA where there is one, and says so: in its line on start, in `.workers/` of the runs folder, and in each
run it trains (the Train page shows where each run trains).

One worker trains one run at a time (a process each: two workers on one machine are two commands). It
loads the default data set and measures this machine's speed before it takes its first run, so Start
answers in a moment. Every two seconds it also looks for runs whose worker died (a run that says it
trains while nobody holds its lock) and queues them again, to go on from their last checkpoint; a run
whose worker died three times ends as failed.

The app starts one such worker of its own (cnn.job_queue) unless $CNN_LAB_LOCAL_WORKERS says 0; that one
is given --parent and leaves when the app does, however the app ends.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

from cnn import live, runner, runs, tasks, train

REPORT_EVERY_S = 0.1       # batch reports are written at most this often
FILTER_EVERY_S = 0.5       # and the first layer's kernels copied out at most this often
CONTROL_EVERY_S = 0.2      # how often a run asks the queue whether it was paused or stopped
WATCH_EVERY_S = 2.0        # the heartbeat and the search for runs whose worker died
LOST_AFTER_S = 5.0         # a queued run that is neither waiting in the queue nor trained for this long was lost
MAX_ATTEMPTS = 3           # a run whose worker died this many times (out of memory, every time?) ends as failed
STALE_AFTER_S = 30.0       # a worker that has not said it lives for this long is gone

log = logging.getLogger("cnn.worker")


class Worker:
    """What this process is: its queue, its runs folder, its name and device, and the data it has loaded."""

    def __init__(self, queue: tasks.Queue, root: Path, name: str):
        self.queue, self.root, self.name = queue, Path(root), name
        self.device = describe_device()
        self.speed: float | None = None
        self.cache: dict[tuple, object] = {}
        self.lost: dict[str, float] = {}     # run id -> when it was first seen lost
        self.ended: dict[str, int] = {}       # run id -> its job.json's mtime when seen ended: skipped
        self.started = time.time()

    # ---- data, loaded once per process
    def load(self, name, root=None, split="train", **kwargs):
        from cnn import data, datasets

        found = datasets.find(name)      # an own set changes as samples are added: its version is in the key
        version = found.version if found is not None else None
        key = (name, root, split, tuple(sorted(kwargs.items())), version)
        if key not in self.cache:
            for old in [k for k in self.cache if k[0] == name and k[4] != version]:   # an older read of it: gone
                del self.cache[old]
            self.cache[key] = data.load_dataset(name, root, split, **kwargs)
        return self.cache[key]

    # ---- one run
    def train(self, run_id: str, resume: bool, task) -> None:
        folder = runs.run_dir(run_id, self.root)
        if not folder.is_dir():
            return                       # stopped (and removed) before it started
        lock = runs.RunLock(folder)
        if not lock.acquire():
            return                       # another worker trains it already
        try:
            job = live.read_job(folder)
            if job is None or job.get("task") != task.id or live.read_live(folder).get("state") in live.DONE:
                return                   # stopped, or superseded by a later task for the same run
            if self.queue.huey.is_revoked(task):
                return
            writer = live.LiveWriter(folder, worker=self.name, device=self.device)
            live.record_take(folder, worker=self.name, device=self.device, task=task.id)
            if resume:
                writer.keep_curve_to(len(runs.read_run(folder).epochs))
            writer.write(state=live.PREPARING, progress=None, started=time.time())
            reporter = Reporter(writer, self.queue, run_id, task)
            try:
                plan = None if resume else runner.RunPlan.from_folder(folder)
                outcome = runner.run(folder, plan, resume=resume, load=self.load, events=reporter, started=True)
                reporter.flush(final=True)      # the last kernels shown are the final weights
                message, why = outcome.message, outcome.reason
                if outcome.status == live.STOPPED and not message:
                    message, why = "stopped by you; what it learned so far is saved", ("stopped", {})
                writer.write(state=outcome.status, message=message, reason=why, ended=time.time())
                speed = _epoch_speed(plan or runner.RunPlan.from_folder(folder), outcome.epochs)
                if speed:
                    self.speed = max(self.speed or 0.0, speed)
            except Exception as exc:     # a worker must survive anything one run does
                why = failure_reason(exc)
                if why[0] == "failed":
                    traceback.print_exc()
                writer.write(state=live.FAILED, message=str(exc), reason=why, ended=time.time())
        finally:
            self._forget_controls(run_id, task)
            lock.release()

    def _forget_controls(self, run_id: str, task) -> None:
        try:
            self.queue.huey.delete(f"pause:{run_id}")
            self.queue.huey.restore(task)
        except Exception:
            pass                         # the queue is down: the keys are harmless and small

    # ---- the watch: heartbeat, the parent, runs whose worker died
    def watch(self, parent: int | None) -> None:
        while True:
            if parent is not None and os.getppid() != parent:
                self.leave()             # the app that started us is gone: so are we, mid-epoch or not
            try:
                self.heartbeat()
                self.recover()
            except Exception:
                log.exception("the worker's watch failed once")
            time.sleep(WATCH_EVERY_S)

    def leave(self) -> None:
        """Out at once, saying so first: no page counts this worker once it is gone (a normal interpreter exit
        would also tear down the watch thread and torch's threads mid-call)."""
        (workers_dir(self.root) / f"{self.name}.json").unlink(missing_ok=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    def heartbeat(self) -> None:
        runs.write_json(workers_dir(self.root) / f"{self.name}.json", {
            "name": self.name, "device": self.device, "speed": self.speed, "pid": os.getpid(),
            "host": socket.gethostname(), "started": self.started, "seen": time.time()})

    def recover(self) -> None:
        """Queue again each run whose worker died: it goes on from its last checkpoint."""
        try:
            pending = set(self.queue.pending_ids())
        except tasks.QueueUnavailable:
            return
        now = time.time()
        for folder in self.root.iterdir():
            if not runs.RUN_ID.match(folder.name):
                continue
            try:
                queued = (folder / "job.json").stat().st_mtime_ns
            except FileNotFoundError:
                continue
            if self.ended.get(folder.name) == queued:
                continue
            state = live.read_live(folder).get("state")
            if state in live.DONE:
                self.lost.pop(folder.name, None)
                self.ended[folder.name] = queued     # not looked at again until it is queued again (Resume)
                continue
            job = live.read_job(folder) or {}
            if state == live.QUEUED and job.get("task") in pending:
                continue
            if runs.is_alive(folder):
                continue
            if state == live.QUEUED:     # taken from the queue but not started: wait, it may be starting
                first = self.lost.setdefault(folder.name, now)
                if now - first < LOST_AFTER_S:
                    continue
            self.requeue(folder)
            self.lost.pop(folder.name, None)

    def requeue(self, folder: Path) -> None:
        lock = runs.RunLock(folder)
        if not lock.acquire():
            return
        try:
            state = live.read_live(folder).get("state")
            job = live.read_job(folder)
            if job is None or state in live.DONE:
                return
            if state == live.QUEUED and job.get("task") in set(self.queue.pending_ids()):
                return                   # another worker queued it again a moment ago
            attempts = int(job.get("attempts", 0)) + 1
            if attempts >= MAX_ATTEMPTS:
                live.amend(folder, state=live.FAILED, reason=("worker_died", {}), ended=time.time(),
                           message="The training process stopped unexpectedly; the run keeps its finished "
                                   "epochs and can be resumed.")
                runs.RunWriter(folder).set_status("failed")
                return
            task = self.queue.task(folder.name, resume=True, priority=int(job.get("priority", 0)))
            job.update(task=task.id, attempts=attempts, resume=True)
            live.write_job(folder, job)
            live.amend(folder, state=live.QUEUED, progress=None, requeued=attempts)
            self.queue.huey.enqueue(task)
            log.warning("run %s: its worker died; queued again (attempt %d)", folder.name, attempts + 1)
        finally:
            lock.release()


class Reporter(runner.RunEvents):
    """Writes what happens in a run to its folder (cnn.live), bundled, and obeys pause and stop."""

    def __init__(self, writer: live.LiveWriter, queue: tasks.Queue, run_id: str, task):
        self.writer, self.queue, self.run_id, self.task = writer, queue, run_id, task
        self.points: list[tuple[float, float, float]] = []
        self.progress = None
        self.first_conv = None
        self.last_sent = self.last_filters = self.last_control = 0.0
        self.stopped = False

    def status(self, status: str) -> None:
        self.writer.write(state=status)

    def model(self, model) -> None:
        self.first_conv = next((m for m in model if hasattr(m, "weight") and m.weight.dim() == 4), None)

    def batch(self, progress: train.Progress) -> None:
        self.points.append((progress.epoch - 1 + progress.step / progress.steps, progress.loss, progress.accuracy))
        self.progress = progress
        now = time.monotonic()
        if now - self.last_sent >= REPORT_EVERY_S or progress.step == progress.steps:
            self.flush(now)

    def flush(self, now: float | None = None, *, final: bool = False) -> None:
        now = now or time.monotonic()
        filters = None
        if self.first_conv is not None and (final or now - self.last_filters >= FILTER_EVERY_S):
            filters = self.first_conv.weight.detach().float().cpu().numpy().copy()
            self.last_filters = now
        if self.points or filters is not None:
            self.writer.progress(self.progress, self.points, filters)
        self.points, self.last_sent = [], now

    def epoch(self, record: dict) -> None:
        self.flush()

    def _asked(self) -> tuple[bool, bool]:
        """(stop, pause) as the queue says; neither while the queue cannot be reached (training goes on)."""
        try:
            return self.queue.huey.is_revoked(self.task), self.queue.paused(self.run_id)
        except Exception:
            return False, False

    def should_stop(self) -> bool:
        now = time.monotonic()
        if now - self.last_control < CONTROL_EVERY_S:
            return self.stopped
        self.last_control = now
        stop, pause = self._asked()
        if pause and not stop:
            self.flush()
            self.writer.write(state=live.PAUSED)
            while pause and not stop:    # paused: hold the loop here, still listening for stop
                time.sleep(CONTROL_EVERY_S)
                stop, pause = self._asked()
            self.writer.write(state=live.RUNNING)
        if stop:
            self.flush()
            self.stopped = True
        return self.stopped


def _epoch_speed(plan, epochs: list[dict]) -> float | None:
    from cnn import cost

    return cost.epoch_speed(plan.spec, epochs[-1]) if epochs else None


def workers_dir(root: Path) -> Path:
    return Path(root) / ".workers"


def living_workers(root: Path) -> list[dict]:
    """The workers that said they live in the last STALE_AFTER_S seconds (any machine), as they described
    themselves: name, device, speed, host."""
    found = []
    folder = workers_dir(root)
    if not folder.is_dir():
        return found
    now = time.time()
    for path in folder.glob("*.json"):
        value = runs.read_json(path)
        if isinstance(value, dict) and now - float(value.get("seen", 0)) < STALE_AFTER_S:
            found.append(value)
    return sorted(found, key=lambda w: str(w.get("name")))


def describe_device() -> str:
    """"cpu" or "cuda: NVIDIA H100 80GB HBM3" (what a page shows as where a run trains)."""
    device = train.pick_device("auto")
    if device.type == "cuda":
        import torch

        return f"cuda: {torch.cuda.get_device_name(device)}"
    return device.type


def failure_reason(exc: Exception) -> tuple[str, dict]:
    """(code, params) of a failure, for the page to say in the user's language."""
    from cnn import data, models

    if isinstance(exc, data.DatasetUnavailable):
        return "dataset", {"code": exc.code, **exc.params}
    if isinstance(exc, models.SpecError):
        return "spec", {"code": exc.code, **exc.params}
    return "failed", {"detail": f"{type(exc).__name__}: {exc}"}


def warm_up() -> None:
    """One training step of the default network on zeros, thrown away: the first batch of a process pays
    for creating its kernels (measured about 1 s here), and this way no student's first run does."""
    import torch
    import torch.nn.functional as F

    from cnn import models

    config = train.TrainConfig()
    model = models.build(models.preset("seed-mnist")).to(memory_format=torch.channels_last)
    optimizer = train.make_optimizer(list(model.parameters()), config)
    x = torch.zeros(config.batch_size, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    mixed = train.pick_precision(config.precision, torch.device("cpu")) == "bf16"
    with train.pool_before_relu(model):
        for _ in range(2):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=mixed):
                loss = F.cross_entropy(model(x).float(), torch.zeros(config.batch_size, dtype=torch.long))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()


# The one worker of this process: the queue's task (cnn.tasks) calls take() here.
current: Worker | None = None


def take(run_id: str, resume: bool, task) -> None:
    if current is None:
        raise RuntimeError("cnn.worker.take runs in a worker process (python -m cnn.worker).")
    current.train(run_id, resume, task)


def main(argv: list[str] | None = None) -> None:
    global current
    parser = argparse.ArgumentParser(prog="python -m cnn.worker", description="Train CNN Lab's queued runs.")
    parser.add_argument("--queue", help="the queue's URL: sqlite:///PATH or redis://HOST:PORT/DB "
                                        "(default: $CNN_LAB_QUEUE, else the SQLite file beside the runs folder)")
    parser.add_argument("--runs", help="the runs folder every machine reaches (default: $CNN_LAB_RUNS, else runs/)")
    parser.add_argument("--name", help="this worker's name (default: HOST-PID)")
    parser.add_argument("--preload", default="mnist-5k", help="data sets to load before the first run (comma-"
                                                                  "separated; '' for none)")
    parser.add_argument("--parent", type=int, help=argparse.SUPPRESS)     # the app that started this worker
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    if args.runs:
        os.environ["CNN_LAB_RUNS"] = str(Path(args.runs).resolve())   # own data sets live beside the runs
    root = runs.default_root()
    root.mkdir(parents=True, exist_ok=True)
    url = args.queue or tasks.default_url(root)
    queue = tasks.connect(url)
    current = Worker(queue, root, args.name or f"{socket.gethostname()}-{os.getpid()}")
    train.keep_freed_memory()            # as the command line does: the same speed in the app
    with train.cpu_threads():
        warm_up()
    try:
        from cnn import cost

        with train.cpu_threads():        # timed with the threads a run will train with
            current.speed = cost.measure_speed()   # before lowering our priority: the machine's, not our share
    except Exception:
        traceback.print_exc()
    try:
        os.nice(5)   # pages first: a student moving a slider should not wait for a batch
    except (AttributeError, OSError):
        pass
    for name in filter(None, args.preload.split(",")):     # the default data set, before anyone presses Start
        try:
            for split in ("train", "val"):
                current.load(name, None, split, count=None, size=72)
        except Exception:
            traceback.print_exc()
    current.heartbeat()
    threading.Thread(target=current.watch, args=(args.parent,), name="watch", daemon=True).start()
    print(f"cnn.worker {current.name}: trains on {current.device}, queue {tasks.describe(url)}, runs {root}",
          flush=True)
    # Polls an idle SQLite queue at most every half second (Redis blocks instead): Start answers quickly.
    consumer = queue.huey.create_consumer(workers=1, worker_type="thread", periodic=False, initial_delay=0.05,
                                          backoff=1.3, max_delay=0.5)
    consumer.run()
    current.leave()


if __name__ == "__main__":
    from cnn import worker  # the module cnn.tasks calls, not a second copy of it named __main__

    worker.main()
