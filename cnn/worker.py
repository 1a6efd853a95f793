"""The training worker: a process of its own that the app's JobManager (cnn.jobs) starts once per server.

    python -m cnn.worker COMMANDS_FD REPORTS_FD [DATA_SETS_TO_LOAD]

It loads the default data set at once (so Start answers in a moment) and measures this machine's training
speed (cnn.cost, sent with "ready"), then trains whatever the server sends, one run at a time, through
cnn.runner.run. It reads commands (run, pause, resume, stop, quit) from one pipe and writes reports (ready,
status, bundles of batches, epochs, done) to the other, as pickled tuples between two processes of the
same program. When the server goes away, however it dies, its end of the command pipe closes and the
worker exits at once.

Started with `python -m` rather than multiprocessing's spawn: Streamlit runs a page as the __main__
module, and spawn would run that page again in the child.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

from cnn import runner, train

REPORT_EVERY_S = 0.1       # batch reports are bundled at most this often
FILTER_EVERY_S = 0.5       # and the first layer's kernels copied out at most this often


class Reporter(runner.RunEvents):
    """Sends what happens in a run to the server, bundled so the pipe stays quiet."""

    def __init__(self, reports: Connection, go: threading.Event, stop: threading.Event):
        self.reports, self.go, self.stop = reports, go, stop
        self.points: list[tuple[float, float, float]] = []
        self.progress = None
        self.first_conv = None
        self.last_sent = self.last_filters = 0.0

    def status(self, status: str) -> None:
        self.reports.send(("status", status))

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
            self.reports.send(("batches", self.progress, self.points, filters))
        self.points, self.last_sent = [], now

    def epoch(self, record: dict) -> None:
        self.flush()
        self.reports.send(("epoch", record))

    def should_stop(self) -> bool:
        while not self.go.wait(0.1):       # paused: hold the loop here, still listening for stop
            if self.stop.is_set():
                break
        if self.stop.is_set():
            self.flush()
        return self.stop.is_set()


def reason(exc: Exception) -> tuple[str, dict]:
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


def serve(commands: Connection, reports: Connection, preload: list[str]) -> None:
    go, stop = threading.Event(), threading.Event()
    go.set()
    work: queue.Queue = queue.Queue()

    def listen() -> None:
        while True:
            try:
                message = commands.recv()
            except (EOFError, OSError):
                os._exit(0)              # the server is gone: so is this worker, mid-epoch or not
            kind = message[0]
            if kind == "run":            # in order: a stop sent after this run is meant for it
                stop.clear()
                go.set()
                work.put(message)
            elif kind == "pause":
                go.clear()
            elif kind == "resume":
                go.set()
            elif kind == "stop":
                stop.set()
                go.set()
            elif kind == "quit":
                work.put(message)

    threading.Thread(target=listen, name="commands", daemon=True).start()
    train.keep_freed_memory()            # as the command line does: the same speed in the app
    with train.cpu_threads():
        warm_up()
    try:
        from cnn import cost

        with train.cpu_threads():        # timed with the threads a run will train with
            speed = cost.measure_speed()     # before lowering our priority: the machine's speed, not our share
    except Exception:
        traceback.print_exc()
        speed = None
    try:
        os.nice(5)   # pages first: a student moving a slider should not wait for a batch
    except (AttributeError, OSError):
        pass
    from cnn import data

    cache: dict[tuple, data.Dataset] = {}

    def load(name, root=None, split="train", **kwargs):
        from cnn import datasets

        found = datasets.find(name)      # an own set changes as samples are added: its version is in the key
        version = found.version if found is not None else None
        key = (name, root, split, tuple(sorted(kwargs.items())), version)
        if key not in cache:
            for old in [k for k in cache if k[0] == name and k[4] != version]:   # an older read of it: gone
                del cache[old]
            cache[key] = data.load_dataset(name, root, split, **kwargs)
        return cache[key]

    for name in preload:                     # the default data set, before anyone presses Start
        try:
            for split in ("train", "val"):
                load(name, None, split, count=None, size=72)
        except Exception:
            traceback.print_exc()
    reports.send(("ready", speed))
    while True:
        message = work.get()
        if message[0] == "quit":
            return
        _, folder, plan, resume = message
        reporter = Reporter(reports, go, stop)
        try:
            outcome = runner.run(Path(folder), plan, resume=resume, load=load, events=reporter, started=not resume)
            reporter.flush(final=True)      # the last kernels shown are the final weights
            reports.send(("done", outcome.status, outcome.epochs, outcome.report, outcome.message, outcome.reason))
        except Exception as exc:   # a worker must survive anything one run does
            why = reason(exc)
            if why[0] == "failed":
                traceback.print_exc()
            reports.send(("done", "failed", None, None, str(exc), why))


def main(argv: list[str]) -> None:
    commands = Connection(int(argv[0]), writable=False)
    reports = Connection(int(argv[1]), readable=False)
    serve(commands, reports, [name for name in (argv[2] if len(argv) > 2 else "").split(",") if name])


if __name__ == "__main__":
    main(sys.argv[1:])
