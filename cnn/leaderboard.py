"""A class leaderboard: every run trained on a class data set, scored on the drawings the teacher held out.

As classroom competitions do it, the held-out drawings are split once into a public part, whose accuracy
everyone sees while the class trains, and a private part, which decides the final ranking when the teacher
reveals it: a network tuned to the public part alone does not win on the private one. The split depends only
on each drawing's own id, so a drawing keeps its part when the teacher adds more.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from cnn import data, models, runs

PUBLIC_SHARE = 0.5      # of the held-out drawings, the part whose score is shown while the class trains


def is_public(sample_id: str) -> bool:
    """Which part a held-out drawing belongs to, from its id alone (stable as drawings are added)."""
    digest = hashlib.sha256(f"leaderboard:{sample_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2 ** 32 < PUBLIC_SHARE


@dataclass(frozen=True)
class Score:
    run_id: str
    public: float | None        # accuracy on the public part; None when it is empty
    private: float | None
    n_public: int
    n_private: int
    problem: str | None = None  # why the run could not be scored (damaged files, other classes)


def parts(sample_ids: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean masks (public, private) over held-out drawings named by `sample_ids`."""
    public = torch.tensor([is_public(s) for s in sample_ids], dtype=torch.bool)
    return public, ~public


@torch.no_grad()
def score(run_id: str, model_path: Path, holdout: data.Dataset, sample_ids: list[str]) -> Score:
    """One run's accuracy on each part of the held-out drawings. A run whose files cannot be read, or that
    knows other classes than the data set's, gets a problem instead of a score (never an exception)."""
    public, private = parts(sample_ids)
    counts = int(public.sum()), int(private.sum())
    try:
        model, spec = models.load(model_path)
    except (models.ModelFileError, OSError, ValueError, KeyError) as exc:
        return Score(run_id, None, None, *counts, problem=str(exc))
    if list(spec.classes) != list(holdout.classes):
        return Score(run_id, None, None, *counts, problem="classes")
    if tuple(spec.input_shape) != tuple(holdout.input_shape):
        return Score(run_id, None, None, *counts, problem="shape")
    if len(holdout) == 0:
        return Score(run_id, None, None, 0, 0)
    x = holdout.images.float().div(255.0)
    predicted = model(x).argmax(1)
    right = predicted == holdout.labels

    def accuracy(mask: torch.Tensor) -> float | None:
        return float(right[mask].float().mean()) if mask.any() else None

    return Score(run_id, accuracy(public), accuracy(private), *counts)


def ranking(scores: list[Score], *, final: bool = False) -> list[Score]:
    """Best first: by the public score while the class trains, by the private one once the teacher reveals
    it (the public score breaks ties). Runs that could not be scored come last."""
    def key(s: Score):
        first, second = (s.private, s.public) if final else (s.public, s.private)
        return (s.problem is not None, -(first if first is not None else -1.0),
                -(second if second is not None else -1.0), s.run_id)
    return sorted(scores, key=key)


# ---------------------------------------------------------------- a class data set's leaderboard

PROBLEMS = ("damaged", "classes", "shape", "not_yet")   # why a run has no score (locale "board.problem.<code>")
_CACHE_SIZE = 2048
_scores: OrderedDict[tuple, Score] = OrderedDict()      # (run id, its files' stamps, held-out digest) -> Score
_holdouts: OrderedDict[str, tuple] = OrderedDict()      # held-out digest -> (Dataset, sample ids)
_lock = threading.Lock()
stats = {"scored": 0, "cached": 0}                      # how often a score was computed or found (for tests)


@dataclass(frozen=True)
class Entry:
    """One run on a class data set's leaderboard."""

    run_id: str
    owner: str                  # the owner's token (the page shows their nickname)
    name: str                   # the run's name, as its owner typed it
    network: str
    seconds: float | None       # training time so far
    score: Score
    problem: str | None = None  # one of PROBLEMS, or None when scored


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _remember(cache: OrderedDict, key, value) -> None:
    with _lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)


def _holdout(set_id: str, digest: str, data_root: Path | None):
    with _lock:
        found = _holdouts.get(digest)
    if found is None:
        from cnn import my_data

        found = my_data.held_out_part(set_id, root=data_root)
        _remember(_holdouts, digest, found)
    return found


def _trained_on(folder: Path) -> str | None:
    """The data set a run folder trained on: its model's (model.json), else its plan's (info.json)."""
    for name in ("model.json", "info.json"):
        value = runs.read_json(folder / name)
        if isinstance(value, dict) and isinstance(value.get("dataset"), str):
            return value["dataset"]
    return None


def class_board(set_id: str, owners: Mapping[str, object], *, final: bool = False, runs_root: Path | None = None,
                data_root: Path | None = None) -> list[Entry]:
    """Every run trained on the own data set `set_id` ("own-<id>") whose owner is one of `owners` (the class's
    students), scored on the set's held-out drawings and ranked (by the private part once `final`). Scores are
    cached by the run's files and by what the held-out part holds, so asking again costs a few file stats."""
    from cnn import my_data

    dataset_name = my_data.PREFIX + set_id
    digest = my_data.held_out_key(set_id, root=data_root)
    base = Path(runs_root or runs.default_root())
    entries = []
    folders = sorted(base.iterdir(), reverse=True) if base.is_dir() else []
    for folder in folders:
        if not runs.RUN_ID.match(folder.name) or not folder.is_dir():
            continue
        owner = runs.read_owner(folder)
        if not owner or owner not in owners or _trained_on(folder) != dataset_name:
            continue
        run = runs.read_run(folder)
        sidecar = runs.read_json(folder / "model.json")
        spec = sidecar.get("spec") if isinstance(sidecar, dict) else None
        network = run.model or (str(spec.get("name", "")) if isinstance(spec, dict) else "")
        seconds = sum(float(e.get("seconds", 0.0)) for e in run.epochs) or None
        problem = None
        if run.problem is not None:
            problem = "damaged"
        elif not (folder / "model.safetensors").exists():
            problem = "not_yet"
        if problem is not None:
            found = Score(run.id, None, None, 0, 0, problem=problem)
        else:
            key = (run.id, _stamp(folder / "model.safetensors"), _stamp(folder / "model.json"), digest)
            with _lock:
                found = _scores.get(key)
            if found is None:
                holdout, ids = _holdout(set_id, digest, data_root)
                found = score(run.id, folder / "model", holdout, ids)
                if found.problem is not None and found.problem not in PROBLEMS:
                    found = Score(run.id, None, None, found.n_public, found.n_private, problem="damaged")
                _remember(_scores, key, found)
                stats["scored"] += 1
            else:
                stats["cached"] += 1
            problem = found.problem
        entries.append(Entry(run.id, owner, run.name, network, seconds, found, problem))
    order = {s.run_id: i for i, s in enumerate(ranking([e.score for e in entries], final=final))}
    return sorted(entries, key=lambda e: order[e.run_id])


def clear_cache() -> None:
    with _lock:
        _scores.clear()
        _holdouts.clear()
