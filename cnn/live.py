"""A queued run as files in its folder, so that every app server shows the same queue and the same runs:

    job.json      written by the app when the run is queued: owner, priority, estimate, the queue's task id
    takes.jsonl   one line each time a worker took the run: which worker, which device, which task, when
    live.json     written by the worker that trains it: state, last progress, which worker and device, why
                  it ended
    curve.f32     one (epoch as a fraction, loss, accuracy) float32 triple per reported batch, appended
    filters.npy   the first conv layer's kernels, replaced at most twice a second

The worker writes a few times a second at most (live.json and the curve: a tenth of a second apart), so
watching costs a run nothing: any number of pages on any number of servers read the files, never the
worker. Every file but the curve is replaced whole (cnn.runs.write_json); the curve is appended by one
writer and read only in whole triples.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from cnn import runs, train
from cnn.models import atomic_write

QUEUED, PREPARING, RUNNING, PAUSED = "queued", "preparing", "running", "paused"
FINISHED, STOPPED, FAILED = "finished", "stopped", "failed"
DONE = (FINISHED, STOPPED, FAILED)
STARTED = (PREPARING, RUNNING, PAUSED)     # a worker holds the run's lock in these states
POINT = np.dtype("<f4")
POINT_BYTES = 3 * POINT.itemsize


def read_job(folder: Path) -> dict | None:
    value = runs.read_json(Path(folder) / "job.json")
    return value if isinstance(value, dict) else None


def write_job(folder: Path, job: dict) -> None:
    runs.write_json(Path(folder) / "job.json", job)


def record_take(folder: Path, *, worker: str, device: str, task: str) -> None:
    """Which worker took the run, when: a run taken up again after its worker died has two lines."""
    line = json.dumps({"worker": worker, "device": device, "task": task, "at": time.time()})
    with open(Path(folder) / "takes.jsonl", "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def read_takes(folder: Path) -> list[dict]:
    try:
        lines = (Path(folder) / "takes.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            pass              # a line a kill cut short
    return found


def read_live(folder: Path) -> dict:
    value = runs.read_json(Path(folder) / "live.json")
    return value if isinstance(value, dict) else {"state": QUEUED}


def amend(folder: Path, **values) -> None:
    """Change some of live.json's values, keeping the rest (the app or a worker's watch, under the run's lock,
    saying what became of a run nobody trains)."""
    runs.write_json(Path(folder) / "live.json", {**read_live(folder), **values, "updated": time.time()})


def progress_of(live: dict) -> train.Progress | None:
    found = live.get("progress")
    if not isinstance(found, dict):
        return None
    try:
        return train.Progress(**found)
    except TypeError:
        return None


def curve_since(folder: Path, start: int) -> tuple[int, list[tuple[float, float, float]]]:
    """(points in all, the points from `start` on), in whole triples (a write in progress is left for later)."""
    path = Path(folder) / "curve.f32"
    try:
        with open(path, "rb") as handle:
            handle.seek(0, io.SEEK_END)
            total = handle.tell() // POINT_BYTES
            if start >= total:
                return total, []
            handle.seek(start * POINT_BYTES)
            raw = handle.read((total - start) * POINT_BYTES)
    except FileNotFoundError:
        return 0, []
    points = np.frombuffer(raw, dtype=POINT).reshape(-1, 3).astype(float)
    return total, [tuple(p) for p in points.tolist()]


def read_filters(folder: Path) -> np.ndarray | None:
    try:
        return np.load(Path(folder) / "filters.npy", allow_pickle=False)
    except (FileNotFoundError, ValueError, OSError):
        return None


def _save_array(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as handle:     # a handle: np.save would add ".npy" to a temporary file's name
        np.save(handle, array, allow_pickle=False)


class LiveWriter:
    """The worker's side: what one run shows while it trains."""

    def __init__(self, folder: Path, *, worker: str, device: str):
        self.folder = Path(folder)
        self.live = {"state": QUEUED, "worker": worker, "device": device}

    def write(self, **values) -> None:
        self.live.update(values, updated=time.time())
        runs.write_json(self.folder / "live.json", self.live)

    def progress(self, progress: train.Progress, points: list[tuple[float, float, float]],
                 filters: np.ndarray | None) -> None:
        if points:
            with open(self.folder / "curve.f32", "ab") as handle:
                handle.write(np.asarray(points, dtype=POINT).tobytes())
        if filters is not None:
            atomic_write(self.folder / "filters.npy", lambda tmp: _save_array(tmp, filters))
        if progress is not None:
            self.write(progress=asdict(progress))

    def keep_curve_to(self, epochs: int) -> None:
        """A run taken up again: drop the points of the epoch it was in when its worker died (the epoch is
        trained again from the checkpoint), so its curve goes on from the last finished epoch."""
        total, points = curve_since(self.folder, 0)
        kept = [p for p in points if p[0] <= epochs + 1e-6]
        if len(kept) < total:
            atomic_write(self.folder / "curve.f32",
                         lambda tmp: Path(tmp).write_bytes(np.asarray(kept, dtype=POINT).reshape(-1, 3).tobytes()))
