"""A class leaderboard: every run trained on a class data set, scored on the drawings the teacher held out.

As classroom competitions do it, the held-out drawings are split once into a public part, whose accuracy
everyone sees while the class trains, and a private part, which decides the final ranking when the teacher
reveals it: a network tuned to the public part alone does not win on the private one. The split depends only
on each drawing's own id, so a drawing keeps its part when the teacher adds more.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch

from cnn import data, models

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
