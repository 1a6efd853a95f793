"""Training runs on disk: runs/<id>/ with spec, config, per-epoch metrics, weights and test results.

Ids are made here and checked on the way in, so an id can never name a path outside the runs folder.
Every file is written atomically: a kill mid-save leaves the previous version intact.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

from cnn.models import atomic_write

RUN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
DEFAULT_ROOT = Path(os.environ.get("CNN_LAB_RUNS", "runs"))


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


def run_dir(run_id: str, root: Path | None = None) -> Path:
    """The folder of a run; ValueError for anything that is not a plain run id."""
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise ValueError(f"Not a run id: {run_id!r}.")
    base = (root or DEFAULT_ROOT).resolve()
    path = (base / run_id).resolve()
    if path.parent != base:  # belt and braces: the pattern already forbids / and ..
        raise ValueError(f"Not a run id: {run_id!r}.")
    return path


def read_json(path: Path, default=None):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return default


def list_runs(root: Path | None = None) -> list[dict]:
    """Every run with its info.json (name, data set, status, test accuracy...), newest first."""
    base = root or DEFAULT_ROOT
    if not base.is_dir():
        return []
    runs = []
    for path in base.iterdir():
        if path.is_dir() and RUN_ID.match(path.name):
            info = read_json(path / "info.json", {}) or {}
            runs.append({"id": path.name, **info, "metrics": read_json(path / "metrics.json", {})})
    return sorted(runs, key=lambda r: r["id"], reverse=True)


def rename(run_id: str, name: str, root: Path | None = None) -> None:
    """Change a run's display name (the folder keeps its id)."""
    path = run_dir(run_id, root)
    info = read_json(path / "info.json", {}) or {}
    info["name"] = str(name)[:80]
    write_json(path / "info.json", info)


def delete(run_id: str, root: Path | None = None) -> None:
    path = run_dir(run_id, root)
    if path.is_dir():
        shutil.rmtree(path)


def save_run(path: Path, *, model, spec, config, name: str, dataset: str, epochs: list[dict], report: dict,
             status: str) -> None:
    """Everything a run leaves behind, each file written atomically."""
    from dataclasses import asdict

    from cnn import models

    path.mkdir(parents=True, exist_ok=True)
    write_json(path / "config.json", asdict(config))
    write_json(path / "metrics.json", {"status": status, "epochs": epochs, "test_accuracy": report["accuracy"],
                                       "test_loss": report["loss"]})
    write_json(path / "test.json", {k: report[k] for k in ("accuracy", "loss", "confusion", "mistakes")})
    models.save(model, spec, path / "model", dataset=dataset, metrics={"test_accuracy": report["accuracy"]})
    info = read_json(path / "info.json", {}) or {}
    write_json(path / "info.json", {"name": info.get("name", name), "dataset": dataset, "model": spec.name,
                                    "status": status, "created": info.get("created", path.name[:15])})
