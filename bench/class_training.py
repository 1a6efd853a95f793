"""A class trains at once: 30 students each start the seed network (MNIST 5k, 3 epochs) at the same moment.
The training queue on Huey (cnn.job_queue + cnn.worker) against today's reference, the home-made queue it
replaced (cnn/jobs.py + a worker on a pipe, commit 55ece6c), measured in the same invocation.

    python bench/class_training.py [--runs 30] [--epochs 3] [--trials 3] [--skip-old] [--skip-redis]
    python bench/class_training.py --quick         # a smoke run: 4 runs of 1 epoch, 1 trial

Configurations, each in a process of its own with a fresh runs folder in a temporary directory:
  old       today's queue: a temporary `git worktree add --detach` of 55ece6c, driven with that checkout's
            cnn on sys.path (its own worker process, started by its JobManager), removed at the end
  sqlite-1  Huey on the embedded SQLite default, the manager's own worker (local_workers=1)
  sqlite-2  the same with 2 worker processes on this machine (local_workers=2)
  redis-2   Huey on Redis (tests/services.Redis: redis-server on a free port), 2 workers; skipped when
            redis-server is not installed

For each: every run is submitted at once (a different owner each, so the fair queue takes them all), after
the workers said they are ready; then the figures are read by polling the runs (every 0.1 s: the old queue's
jobs in memory, the new queue's live.json, as a page reads them). makespan = first submit -> last run ended;
wait = a run's submit -> its first progress; held = first seen taken -> ended (the worker's time for the run:
data, epochs, checkpoints, test); train = the sum of its epochs' own seconds (cnn.train's records).

Start -> first progress on a fresh server (target <= 3 s): a new manager on a new folder, wait_ready, submit
one run, time until its progress is not None; median of --trials, for the old queue and the embedded default.

The CUDA line is an estimate, not a measurement (no GPU here): the epochs train --cuda-ratio times faster and
everything else a run costs (held - train) stays as measured. Times are taken on whatever else this machine
runs: compare the ratios of one invocation, not figures of different days.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_COMMIT = "55ece6c"
POLL_S = 0.1
CONFIGS = {   # name: (which code, queue storage, workers, what the table calls it)
    "old": ("old", "sqlite", 1, f"today's queue ({OLD_COMMIT}: jobs.py, worker on a pipe), 1 worker"),
    "sqlite-1": ("new", "sqlite", 1, "Huey, embedded SQLite (default), 1 worker"),
    "sqlite-2": ("new", "sqlite", 2, "Huey, embedded SQLite, 2 workers"),
    "redis-2": ("new", "redis", 2, "Huey, Redis, 2 workers"),
}
# A CUDA worker's epochs against this machine's CPU worker's: an ASSUMPTION (no GPU figures in this repo).
# seed-mnist at batch 64 is launch-bound on a GPU (~1-2 ms a step of ~40 small kernels) where one core here
# takes 10-30 ms a step.
CUDA_RATIO = 10.0


# ---------------------------------------------------------------- the driver: runs in a process of its own


class Queue:
    """One queue implementation, old or new, behind the few calls the bench needs."""

    def __init__(self, code: str, kind: str):
        sys.path.insert(0, code)
        from cnn import models, train

        self.kind, self.models, self.train = kind, models, train
        if kind == "old":
            from cnn import jobs

            self.module, self.RunPlan = jobs, train.RunPlan
        else:
            from cnn import job_queue, live, runner, runs

            self.module, self.RunPlan, self.live, self.runs = job_queue, runner.RunPlan, live, runs

    def manager(self, root: Path, url: str | None, workers: int):
        if self.kind == "old":
            return self.module.JobManager(runs_root=root)
        return self.module.JobManager(runs_root=root, queue_url=url, local_workers=workers)

    def plan(self, name: str, epochs: int):
        return self.RunPlan(name, self.models.preset("seed-mnist"), self.train.TrainConfig(epochs=epochs), "mnist-5k")

    def probe(self, job) -> tuple[str, bool]:
        """(state, whether it has shown progress), read as cheaply as a page would."""
        if self.kind == "old":
            return job.state, job.progress is not None      # the server's own memory
        now = self.live.read_live(job.folder)               # the run's live.json, written by its worker
        return str(now.get("state") or "queued"), self.live.progress_of(now) is not None

    def progressed(self, job) -> bool:
        return (job.progress if self.kind == "old" else job.snapshot().progress) is not None

    def epochs(self, manager, job) -> list[dict]:
        return list(job.epochs) if self.kind == "old" else manager.get(job.id).epochs


def _ready(manager, timeout: float = 300.0) -> float:
    started = time.monotonic()
    if not manager.wait_ready(timeout):
        raise RuntimeError(f"the workers were not ready within {timeout:.0f} s")
    return time.monotonic() - started


def drive_class(queue: Queue, root: Path, url: str | None, workers: int, runs: int, epochs: int,
                timeout: float) -> dict:
    created = time.monotonic()
    manager = queue.manager(root, url, workers)
    try:
        _ready(manager)
        ready_s = time.monotonic() - created
        jobs, submitted = [], []
        first_submit = time.monotonic()
        for i in range(runs):
            submitted.append(time.monotonic())
            jobs.append(manager.submit(queue.plan(f"class {i:02d}", epochs), f"student-{i:02d}"))
        submit_s = time.monotonic() - first_submit
        taken, first, ended = [None] * runs, [None] * runs, [None] * runs
        states = ["queued"] * runs
        deadline = first_submit + timeout
        while None in ended and time.monotonic() < deadline:
            for i, job in enumerate(jobs):
                if ended[i] is not None:
                    continue
                state, progressed = queue.probe(job)
                now = time.monotonic()
                if taken[i] is None and state != "queued":
                    taken[i] = now
                if first[i] is None and progressed:
                    first[i] = now
                if state in ("finished", "stopped", "failed"):
                    ended[i], states[i] = now, state
                    taken[i] = taken[i] or now
                    first[i] = first[i] or now
            time.sleep(POLL_S)
        done = [i for i in range(runs) if ended[i] is not None]
        return {
            "runs": runs, "epochs": epochs, "workers": workers, "ready_s": ready_s, "submit_s": submit_s,
            "finished": sum(s == "finished" for s in states), "ended": len(done),
            "states": sorted(set(states)),
            "makespan_s": max(ended[i] for i in done) - first_submit if done else None,
            "wait_s": [first[i] - submitted[i] for i in range(runs) if first[i] is not None],
            "held_s": [ended[i] - taken[i] for i in done],
            "train_s": [sum(float(e.get("seconds", 0)) for e in queue.epochs(manager, jobs[i])) for i in done],
            "load_end": os.getloadavg()[0],
        }
    finally:
        manager.shutdown()


def drive_start(queue: Queue, base: Path, trials: int, epochs: int) -> dict:
    ready, first = [], []
    for trial in range(trials):
        root = base / f"start-{trial}" / "runs"
        created = time.monotonic()
        manager = queue.manager(root, None, 1)       # a fresh server: its own worker, the default queue
        try:
            _ready(manager)
            ready.append(time.monotonic() - created)
            started = time.monotonic()
            job = manager.submit(queue.plan("start", epochs), "bench-start")
            while not queue.progressed(job):
                if time.monotonic() - started > 120:
                    raise RuntimeError("no progress within 120 s")
                time.sleep(0.01)
            first.append(time.monotonic() - started)
            manager.stop(job, "bench-start")
            manager.wait(job, 60)
        finally:
            manager.shutdown()
    return {"ready_s": ready, "first_s": first}


def driver(args) -> None:
    queue = Queue(args.code, args.kind)
    base = Path(args.tmp)
    result: dict = {}
    if args.what == "class":
        if args.storage == "redis":
            sys.path.insert(0, str(ROOT / "tests"))
            from services import Redis

            with Redis() as url:
                result = drive_class(queue, base / "runs", url, args.workers, args.runs, args.epochs, args.timeout)
        else:
            result = drive_class(queue, base / "runs", None, args.workers, args.runs, args.epochs, args.timeout)
    else:
        result = drive_start(queue, base, args.trials, args.epochs)
    Path(args.out).write_text(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)      # as cnn.worker does: no interpreter teardown racing torch's and the managers' threads


# ---------------------------------------------------------------- the bench: prepares, runs the drivers, prints


def run_driver(code: Path, kind: str, what: str, args, storage: str = "sqlite", workers: int = 1) -> dict | str:
    """The driver's JSON, or the reason it gave none (its log's tail)."""
    tmp = Path(tempfile.mkdtemp(prefix=f"cnn-lab-bench-class-{kind}-"))
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("CNN_LAB_QUEUE", "CNN_LAB_LOCAL_WORKERS",
                                                                  "CNN_LAB_DATABASE", "PYTHONPATH")}
        env.update(CNN_LAB_RUNS=str(tmp / "runs"), PYTHONPATH=str(code), PYTHONUNBUFFERED="1")
        out, log = tmp / "result.json", tmp / "driver.log"
        command = [sys.executable, str(Path(__file__).resolve()), "--driver", "--code", str(code), "--kind", kind,
                   "--what", what, "--storage", storage, "--workers", str(workers), "--runs", str(args.runs),
                   "--epochs", str(args.epochs), "--trials", str(args.trials), "--timeout", str(args.timeout),
                   "--tmp", str(tmp), "--out", str(out)]
        with open(log, "w") as handle:
            # cwd: the checkout, so its `python -m cnn.worker` is its own worker
            code_rc = subprocess.run(command, cwd=code, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                     timeout=args.timeout + 600).returncode
        if out.exists():
            return json.loads(out.read_text())
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        return f"exit {code_rc}: " + "\n      ".join(tail)
    except subprocess.TimeoutExpired:
        return "timed out"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class OldCheckout:
    """A temporary detached worktree of OLD_COMMIT, removed at the end however the bench ends."""

    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix="cnn-lab-old-queue-")) / "checkout"
        subprocess.run(["git", "worktree", "add", "--detach", str(self.path), OLD_COMMIT], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self.path

    def __exit__(self, *exc) -> None:
        subprocess.run(["git", "worktree", "remove", "--force", str(self.path)], cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.path.parent, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def fmt(seconds: float | None, width: int = 7) -> str:
    return f"{'-':>{width}}" if seconds is None else f"{seconds:{width}.1f}"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def print_class(results: dict[str, dict | str], reference: str | None) -> None:
    print(f"\n{'configuration':<62} {'makespan':>8} {'x ref':>6} | {'wait p50':>8} {'p90':>6} {'max':>6} | "
          f"{'held p50':>8} {'train p50':>9} {'idle/run':>8} | {'ready':>5} {'done':>5} {'load':>4}")
    ref = results.get(reference) if reference else None
    ref_span = ref.get("makespan_s") if isinstance(ref, dict) else None
    for name, result in results.items():
        label = CONFIGS[name][3]
        if not isinstance(result, dict):
            print(f"{label:<62} no measurement: {result}")
            continue
        span = result["makespan_s"]
        ratio = f"{span / ref_span:6.2f}" if span and ref_span else f"{'-':>6}"
        waits, held, trained = result["wait_s"], result["held_s"], result["train_s"]
        # the workers' seconds not spent on a run: the queue's own cost, whatever the machine's load did to training
        idle = (result["workers"] * span - sum(held)) / len(held) if span and held else None
        print(f"{label:<62} {fmt(span, 8)} {ratio} | {fmt(pct(waits, .5), 8)} {fmt(pct(waits, .9), 6)} "
              f"{fmt(max(waits) if waits else None, 6)} | {fmt(pct(held, .5), 8)} "
              f"{fmt(pct(trained, .5), 9)} {fmt(idle, 8)} | "
              f"{fmt(result['ready_s'], 5)} {result['finished']:>2}/{result['runs']:<2} {result['load_end']:4.1f}")
        if result["finished"] != result["runs"]:
            print(f"{'':<62} ! ended {result['ended']} of {result['runs']}, states {result['states']}")
    print("  seconds; makespan: first submit -> last run ended; wait: submit -> first progress; held: taken -> "
          "ended;\n  train: the run's epochs' own seconds; idle/run: (workers x makespan - all runs' held) / runs, the "
          "workers' time\n  between runs (the queue's own cost, apart from how fast the busy machine trained);\n  "
          "ready: manager created -> workers ready (before the submits); load: 1-min load average at the end")


def print_start(results: dict[str, dict | str]) -> None:
    print("\nStart -> first progress on a fresh server (a new manager and worker each trial; target <= 3 s):")
    ref = results.get("old")
    ref_first = statistics.median(ref["first_s"]) if isinstance(ref, dict) and ref["first_s"] else None
    for name, label in (("old", f"today's queue ({OLD_COMMIT})"), ("sqlite-1", "Huey, embedded SQLite (default)")):
        if name not in results:
            continue
        result = results[name]
        if not isinstance(result, dict):
            print(f"  {label:<60} no measurement: {result}")
            continue
        first = statistics.median(result["first_s"])
        ratio = f"  {first / ref_first:4.2f}x today's" if ref_first and name != "old" else ""
        print(f"  {label:<60} median {first:5.2f} s  ({', '.join(f'{v:.2f}' for v in result['first_s'])}); "
              f"worker ready after {statistics.median(result['ready_s']):.1f} s{ratio}  "
              f"(target 3 s: {'met' if first <= 3 else 'NOT met'})")


def print_summary(results: dict[str, dict | str], args) -> None:
    """What a class of args.runs would wait, for args.epochs and for 10 epochs (the issue's case)."""
    print(f"\nWhat a class of {args.runs} would wait (seed-mnist, MNIST 5k, one run each; the last "
          f"student's wait for a first progress, and until every run has ended):")
    one = results.get("sqlite-1")
    lines = [(CONFIGS[n][3], results[n]) for n in ("sqlite-1", "sqlite-2", "redis-2", "old") if n in results]
    for label, result in lines:
        if isinstance(result, dict) and result["wait_s"] and result["makespan_s"]:
            held, trained = pct(result["held_s"], .5), pct(result["train_s"], .5)
            ten = result["makespan_s"] * (held - trained + trained * 10 / args.epochs) / held
            print(f"  {label:<62} last starts after {minutes(max(result['wait_s']))}, all done after "
                  f"{minutes(result['makespan_s'])} ({args.epochs} epochs); ~{minutes(ten)} at 10 epochs "
                  f"(scaled)")
    if isinstance(one, dict) and one["held_s"]:
        held, trained = pct(one["held_s"], .5), pct(one["train_s"], .5)
        per_run = (held - trained) + trained / args.cuda_ratio
        per_run_10 = (held - trained) + trained * 10 / args.epochs / args.cuda_ratio
        print(f"  {'one CUDA worker (ESTIMATE, see below)':<62} last starts after "
              f"{minutes(per_run * (args.runs - 1))}, all done after {minutes(per_run * args.runs)} "
              f"({args.epochs} epochs); ~{minutes(args.runs * per_run_10)} at 10 epochs")
        print(f"    assumption, not measured (no GPU on this machine, no GPU figures in this repo): a CUDA worker "
              f"trains the epochs\n    {args.cuda_ratio:g}x faster than one CPU worker here (measured here: "
              f"{trained:.1f} s of epochs in a {held:.1f} s run); the rest of a run ({held - trained:.1f} s: data, "
              f"checkpoints,\n    test, files) stays as measured; runs follow one another (one worker). "
              f"--cuda-ratio sets the factor.")


def machine_line() -> str:
    try:
        torch = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch = "?"
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (f"machine: {os.cpu_count()} CPUs, torch {torch}, Python {sys.version.split()[0]}, "
            f"load average {load} at start")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="runs submitted at once (one owner each)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--trials", type=int, default=3, help="fresh servers for Start -> first progress")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 4 runs, 1 epoch, 1 trial")
    parser.add_argument("--skip-old", action="store_true", help="leave out today's queue (no git worktree)")
    parser.add_argument("--skip-redis", action="store_true", help="leave out Redis even if redis-server is here")
    parser.add_argument("--cuda-ratio", type=float, default=CUDA_RATIO,
                        help="assumed speed of a CUDA worker's epochs against one CPU worker's here")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds each configuration may take")
    # the driver's own arguments (the bench runs itself once per configuration)
    parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)
    for name in ("--code", "--kind", "--what", "--storage", "--tmp", "--out"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.driver:
        driver(args)
        return
    if args.quick:
        args.runs, args.epochs, args.trials = 4, 1, 1
    redis = not args.skip_redis and shutil.which("redis-server") is not None
    print(machine_line())
    print(f"{args.runs} runs of seed-mnist on mnist-5k, {args.epochs} epoch(s), default TrainConfig, submitted at "
          f"once; {args.trials} fresh server(s) for Start -> first progress", flush=True)

    def configs(old: Path | None) -> tuple[dict, dict]:
        classes, starts = {}, {}
        for name, (kind, storage, workers, label) in CONFIGS.items():
            if (kind == "old" and old is None) or (storage == "redis" and not redis):
                continue
            code = old if kind == "old" else ROOT
            print(f"  {label} ...", flush=True)
            classes[name] = run_driver(code, kind, "class", args, storage, workers)
            if name in ("old", "sqlite-1"):
                starts[name] = run_driver(code, kind, "start", args)
        return classes, starts

    if args.skip_old:
        classes, starts = configs(None)
    else:
        with OldCheckout() as old:
            classes, starts = configs(old)
    if not redis:
        print("  (Redis left out: " + ("--skip-redis" if args.skip_redis else "redis-server is not installed") + ")")
    print_class(classes, "old" if "old" in classes else None)
    print_start(starts)
    print_summary(classes, args)


if __name__ == "__main__":
    main()
