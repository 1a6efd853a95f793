"""Training runs on disk: one folder a run, written so that nothing is ever lost or left half-written.

    runs/<id>/
      info.json             name, data set, model, status, planned and finished epochs, format
      config.json           the network (spec), the training settings and the data, enough to resume
      metrics.json          one record per finished epoch; test accuracy once the run has ended
      model.safetensors     the weights after the last finished epoch (+ model.json, their description)
      checkpoint.safetensors  weights, optimiser state and random-number state after the last epoch
      test.json             confusion matrix and mistakes, once the run has ended
      .lock                 held (flock) by the process that trains the run, for as long as it lives

Every file is written beside its final name and renamed over it, so a kill mid-save leaves the previous
version. A process that trains a run holds its lock; a run that says it is running while nobody holds
the lock was interrupted (the server was killed, the machine went down) and is listed as such: it keeps
every finished epoch, can be used as a model and can be resumed.

Ids are made here and checked on the way in, so an id can never name a path outside the runs folder.
The checkpoint's format is here too (save_checkpoint, load_checkpoint): one safetensors file, never pickle.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from cnn.models import atomic_write

if TYPE_CHECKING:   # torch is imported where a checkpoint is written or read: listing runs does not need it
    import torch

RUN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
APP_ROOT = Path(__file__).resolve().parents[1]
FORMAT = 2                  # version of the folder layout; runs without one were written by CNN Lab before it
LIVE = ("queued", "preparing", "running", "paused")   # statuses that need a living process behind them
INTERRUPTED = "interrupted"


def default_root() -> Path:
    """Where runs live: $CNN_LAB_RUNS, else runs/ beside the app (never the folder the server started in)."""
    env = os.environ.get("CNN_LAB_RUNS")
    return Path(env) if env else APP_ROOT / "runs"


def atomic_write_text(path: Path, text: str) -> None:
    """Write beside `path`, then rename over it (rename is atomic on one file system)."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json(path: Path, value) -> None:
    atomic_write_text(path, json.dumps(value, indent=1))


def new_id(name: str = "run") -> str:
    """A fresh id: a time stamp plus a slug of `name` (lower-case letters, digits and dashes)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:24] or "run"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
    return f"{stamp}-{slug}"


def short_id(run_id: str) -> str:
    """The id as lists show it: its time to the second and a short tag of the whole id
    ("20261205-122924 #3f2a"), so runs started in the same second (by a class pressing Start at once) are
    still told apart."""
    import hashlib

    return f"{run_id[:15]} #{hashlib.blake2s(run_id.encode(), digest_size=2).hexdigest()}"


def run_dir(run_id: str, root: Path | None = None) -> Path:
    """The folder of a run; ValueError for anything that is not a plain run id."""
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise ValueError(f"Not a run id: {run_id!r}.")
    base = (root or default_root()).resolve()
    path = (base / run_id).resolve()
    if path.parent != base:  # belt and braces: the pattern already forbids / and ..
        raise ValueError(f"Not a run id: {run_id!r}.")
    return path


def read_json(path: Path, default=None):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError, UnicodeDecodeError):
        return default


# ---------------------------------------------------------------- who is training a run


class RunLock:
    """An exclusive lock on a run folder, held for as long as this process trains it.

    flock: the kernel drops it when the process dies, however it dies, which is what lets a restarted
    server tell an interrupted run from one that is still going. Where flock does not exist (Windows),
    a run is taken to be alive only while this process holds it.
    """

    def __init__(self, path: Path):
        self.path = Path(path) / ".lock"
        self._file = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:
            pass
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()   # closing the file drops the flock
            self._file = None


def is_alive(path: Path) -> bool:
    """Whether some process holds the run's lock (is training it right now)."""
    lock = Path(path) / ".lock"
    if not lock.exists():
        return False
    try:
        import fcntl
    except ImportError:
        return False
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


# ---------------------------------------------------------------- reading runs


@dataclass
class RunInfo:
    """What the Train page and the model menu need to know about one run folder."""

    id: str
    path: Path
    name: str = ""
    dataset: str | None = None
    model: str | None = None
    status: str = "unknown"
    epochs_planned: int | None = None
    epochs: list[dict] = field(default_factory=list)     # finished epochs' records
    test_accuracy: float | None = None
    created: str = ""
    problem: str | None = None       # why the folder cannot be used as it stands (corrupt, older version...)
    problem_code: str | None = None  # the same as a code: locale key "run_problem.<code>"

    @property
    def has_model(self) -> bool:
        return (self.path / "model.safetensors").exists() and (self.path / "model.json").exists()

    @property
    def resumable(self) -> bool:
        return (self.status == INTERRUPTED and self.problem is None
                and (self.epochs_planned or 0) > len(self.epochs))


def read_run(path: Path) -> RunInfo:
    """One run folder as a RunInfo; never raises for a damaged folder (its `problem` says what is wrong)."""
    path = Path(path)
    run = RunInfo(path.name, path)
    info = read_json(path / "info.json")
    if not isinstance(info, dict):
        run.problem, run.problem_code = "info.json is missing or unreadable", "info"
        return run
    metrics = read_json(path / "metrics.json", {})
    if not isinstance(metrics, dict):
        metrics = {}
        run.problem, run.problem_code = "metrics.json is unreadable", "metrics"
    run.name = str(info.get("name") or path.name)
    run.dataset = info.get("dataset") if isinstance(info.get("dataset"), str) else None
    run.model = info.get("model") if isinstance(info.get("model"), str) else None
    run.created = str(info.get("created", path.name[:15]))
    run.status = str(info.get("status") or metrics.get("status") or "unknown")
    planned = info.get("epochs_planned")
    run.epochs_planned = planned if isinstance(planned, int) else None
    epochs = metrics.get("epochs", [])
    run.epochs = [e for e in epochs if isinstance(e, dict)] if isinstance(epochs, list) else []
    accuracy = metrics.get("test_accuracy")
    run.test_accuracy = float(accuracy) if isinstance(accuracy, (int, float)) else None
    alive = is_alive(path)
    if run.status in LIVE and not alive:
        # Waiting in the training queue (cnn.job_queue: job.json, and live.json has not said it ended), or to
        # be taken up again after its worker died; else nobody will train it on: interrupted.
        live = read_json(path / "live.json", {})
        state = live.get("state") if isinstance(live, dict) else None
        queued = (path / "job.json").exists() and state not in ("finished", "stopped", "failed")
        run.status = "queued" if queued else INTERRUPTED
    if not alive:
        _tidy(path)
    version = info.get("format")
    if version is None and run.problem is None:
        if run.status == INTERRUPTED:
            run.problem, run.problem_code = "made by an older version of CNN Lab, which cannot resume it", "older"
    elif isinstance(version, int) and version > FORMAT:
        run.problem, run.problem_code = "made by a newer version of CNN Lab", "newer"
    weights = (path / "model.safetensors").exists()
    if run.problem is None and (weights or (path / "model.json").exists()):
        # Truncated weights, a pickle under the .safetensors name, a damaged model.json: the run is damaged,
        # whatever its status says, and every list says so instead of "finished · 92.50%".
        from cnn import models

        found = models.files_problem(path / "model")
        if found is not None and (weights or found.code != "no_weights" or run.status in ("finished", "stopped")):
            run.problem, run.problem_code = str(found), found.code
    if run.problem is None and run.status in ("finished", "stopped") and not run.has_model:
        run.problem, run.problem_code = "its weights (model.safetensors) are missing", "no_weights"
    return run


def _tidy(path: Path) -> None:
    """Remove what a killed save left behind: hidden temporary files (ours are ".<name>.<random>",
    safetensors' own ".tmp<random>"); real files are never hidden, and the lock stays."""
    for leftover in path.glob(".*"):
        if leftover.is_file() and leftover.name != ".lock":
            leftover.unlink(missing_ok=True)


def list_runs(root: Path | None = None) -> list[RunInfo]:
    """Every run folder, newest first, damaged ones included (with their problem)."""
    base = root or default_root()
    if not base.is_dir():
        return []
    found = [read_run(path) for path in base.iterdir() if path.is_dir() and RUN_ID.match(path.name)]
    return sorted(found, key=lambda r: r.id, reverse=True)


def rename(run_id: str, name: str, root: Path | None = None) -> None:
    """Change a run's display name (the folder keeps its id)."""
    path = run_dir(run_id, root)
    info = read_json(path / "info.json", {})
    info = info if isinstance(info, dict) else {}
    info["name"] = str(name).strip()[:80] or run_id
    write_json(path / "info.json", info)


def delete(run_id: str, root: Path | None = None) -> None:
    """Remove a run folder; refused while a process trains it."""
    path = run_dir(run_id, root)
    if is_alive(path):
        raise RuntimeError("This run is still training: stop it first.")
    if path.is_dir():
        shutil.rmtree(path)


# ---------------------------------------------------------------- checkpoints (safetensors, never pickle)


@dataclass
class Checkpoint:
    """Everything needed to continue a run after its last finished epoch."""

    epoch: int                        # epochs finished
    epochs: list[dict]                # their records
    weights: dict[str, torch.Tensor]
    optimizer: dict                   # an optimizer state_dict
    generator: torch.Tensor           # the data order's random state
    torch_rng: torch.Tensor           # torch's global random state (dropout, augmentation's noise)
    scheduler_steps: int


CHECKPOINT_FORMAT = "cnn-lab-checkpoint/1"


def save_checkpoint(path: Path, *, model, optimizer, generator: torch.Generator, epochs: list[dict],
                    scheduler_steps: int, epoch: int) -> None:
    """One safetensors file, written atomically: weights, optimiser tensors and random states as tensors,
    the rest (epoch records, optimiser settings) as JSON in its metadata. No pickle anywhere."""
    import torch
    from safetensors.torch import save_file

    tensors = {f"model.{k}": v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    state = optimizer.state_dict()
    plain: dict[str, dict] = {}
    for pid, values in state["state"].items():
        for name, value in values.items():
            if torch.is_tensor(value):
                tensors[f"optimizer.{pid}.{name}"] = value.detach().cpu().contiguous().clone()
            else:
                plain.setdefault(str(pid), {})[name] = value
    tensors["rng.generator"] = generator.get_state()
    tensors["rng.torch"] = torch.get_rng_state()
    metadata = {"format": CHECKPOINT_FORMAT, "epoch": str(epoch), "scheduler_steps": str(scheduler_steps),
                "epochs": json.dumps(epochs), "optimizer": json.dumps({"param_groups": state["param_groups"],
                                                                       "state": plain})}
    atomic_write(Path(path), lambda tmp: save_file(tensors, tmp, metadata=metadata))


def load_checkpoint(path: Path) -> Checkpoint:
    """A checkpoint written by save_checkpoint; ValueError says what is wrong with a damaged one."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {key: f.get_tensor(key) for key in f.keys()}
    except (FileNotFoundError, SafetensorError, OSError) as exc:
        raise ValueError(f"The checkpoint cannot be read ({exc}).") from exc
    if metadata.get("format") != CHECKPOINT_FORMAT:
        raise ValueError("The checkpoint is not from this version of CNN Lab.")
    try:
        optimizer_meta = json.loads(metadata["optimizer"])
        state: dict[int, dict] = {int(pid): dict(values) for pid, values in optimizer_meta["state"].items()}
        for key, tensor in tensors.items():
            if key.startswith("optimizer."):
                _, pid, name = key.split(".", 2)
                state.setdefault(int(pid), {})[name] = tensor
        return Checkpoint(
            epoch=int(metadata["epoch"]), epochs=json.loads(metadata["epochs"]),
            weights={k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")},
            optimizer={"state": state, "param_groups": optimizer_meta["param_groups"]},
            generator=tensors["rng.generator"], torch_rng=tensors["rng.torch"],
            scheduler_steps=int(metadata["scheduler_steps"]))
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"The checkpoint is damaged ({exc}).") from exc


# ---------------------------------------------------------------- writing a run as it trains


class RunWriter:
    """Writes one run's folder from its start to its end; used by the app's jobs and the command line."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def start(self, *, name: str, spec, config, dataset: str, data: dict | None = None,
              transfer: dict | None = None) -> None:
        """A new run: its description, settings and status, before any training. `transfer`: what it starts
        from besides random weights ({"start_from", "freeze"}, cnn.transfer), kept to resume it."""
        from dataclasses import asdict

        self.path.mkdir(parents=True, exist_ok=True)
        described = {"spec": spec.to_dict(), "train": asdict(config), "dataset": dataset, "data": data or {}}
        if transfer:
            described["transfer"] = transfer
        write_json(self.path / "config.json", described)
        write_json(self.path / "metrics.json", {"status": "queued", "epochs": []})
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        write_json(self.path / "info.json", {"format": FORMAT, "name": name, "dataset": dataset, "model": spec.name,
                                             "status": "queued", "epochs_planned": config.epochs, "created": now})

    def set_status(self, status: str, **extra) -> None:
        info = read_json(self.path / "info.json", {})
        info = info if isinstance(info, dict) else {}
        info.update(status=status, **extra)
        write_json(self.path / "info.json", info)

    def epoch_done(self, *, model, spec, dataset: str, state: dict) -> None:
        """After each epoch: the checkpoint first, then the weights as a model, then the metrics.

        Each file is atomic on its own; the checkpoint carries its own epoch records, so resuming never
        depends on two files agreeing. `state` is what cnn.train.train's on_checkpoint hands over.
        """
        from cnn import models

        save_checkpoint(self.path / "checkpoint.safetensors", model=model, **state)
        epochs = state["epochs"]
        last = epochs[-1] if epochs else {}
        models.save(model, spec, self.path / "model", dataset=dataset,
                    metrics={k: last[k] for k in ("val_accuracy", "train_accuracy") if k in last})
        write_json(self.path / "metrics.json", {"status": "running", "epochs": epochs})

    def finish(self, *, status: str, model, spec, dataset: str, epochs: list[dict], report: dict | None,
               message: str = "") -> None:
        """The end of a run: finished, stopped, failed (diverged). The test results when there are some."""
        from cnn import models

        metrics = {"status": status, "epochs": epochs}
        if report is not None:
            write_json(self.path / "test.json", {k: report[k] for k in ("accuracy", "loss", "confusion", "mistakes",
                                                                       "predicted")})
            metrics.update(test_accuracy=report["accuracy"], test_loss=report["loss"])
            if model is not None:
                models.save(model, spec, self.path / "model", dataset=dataset,
                            metrics={"test_accuracy": report["accuracy"]})
        write_json(self.path / "metrics.json", metrics)
        self.set_status(status, **({"message": message} if message else {}))


def read_config(path: Path) -> dict:
    """A run's config.json (spec, train settings, data set), checked enough to resume from it."""
    config = read_json(Path(path) / "config.json")
    if not isinstance(config, dict) or not {"spec", "train", "dataset"} <= set(config):
        raise ValueError("config.json is missing or from an older version of CNN Lab")
    return config


# ---------------------------------------------------------------- who started a run


def write_owner(run_id: str, owner: str, root: Path | None = None) -> None:
    """Keep the browser token of whoever started a run in its folder (owner.json), so it stays theirs after
    a server restart. A file of its own: the worker rewrites info.json while the run trains."""
    write_json(run_dir(run_id, root) / "owner.json", {"owner": str(owner)})


def read_owner(path: Path) -> str:
    """The token of the run's owner, "" for a run made on the command line or before owners were kept."""
    value = read_json(Path(path) / "owner.json")
    owner = value.get("owner") if isinstance(value, dict) else None
    return owner if isinstance(owner, str) else ""
