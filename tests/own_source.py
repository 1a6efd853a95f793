"""A fake source of own data sets for tests: a few dozen tensors made here, registered with cnn.datasets
under the prefix "own-" as the real own data sets are, so the engine and the pages can be tested with a
student's kind of data set without the storage that holds real ones.

    with own_sets({"own-rgb": fake_set(channels=3)}):
        ...   # cnn.data.load_dataset("own-rgb", split="test") and every page now know it
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch

from cnn import data, datasets
from cnn.preprocess import Framing

CLASSES = ("✓", "✗", "○")   # what a student might name three symbols
SPLIT_SHARES = {"train": 0.6, "val": 0.2, "test": 0.2}
SYMBOLS = dict(channels=3, per_class=20, classes=CLASSES, label="My symbols 我的符号")   # the browser tests' set


@dataclass
class FakeSet:
    label: str
    classes: tuple[str, ...]
    images: np.ndarray        # (N, C, side, side) uint8
    labels: np.ndarray        # (N,) int64

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def side(self) -> int:
        return int(self.images.shape[-1])

    def split(self, split: str, validation: bool = True) -> np.ndarray:
        """Indices of a split: per class, the first 60% train, the next 20% val, the last 20% test (with
        validation=False the val part trains too)."""
        picked = []
        for c in range(len(self.classes)):
            members = np.flatnonzero(self.labels == c)
            n_train = int(round(len(members) * SPLIT_SHARES["train"]))
            n_val = int(round(len(members) * SPLIT_SHARES["val"]))
            parts = {"train": members[:n_train], "val": members[n_train:n_train + n_val],
                     "test": members[n_train + n_val:]}
            if not validation:
                parts["train"] = np.concatenate([parts["train"], parts["val"]])
            picked.append(parts[split])
        return np.concatenate(picked)


def fake_set(*, channels: int = 3, side: int = 28, per_class: int = 15, classes=CLASSES, label: str = "My symbols",
             seed: int = 0) -> FakeSet:
    """`per_class` images of each class, easy to tell apart: class k is a bright square in a corner of its
    own and, in colour, in a colour channel of its own; a little noise and a random shift make them differ."""
    rng = np.random.default_rng(seed)
    n = per_class * len(classes)
    images = np.zeros((n, channels, side, side), dtype=np.uint8)
    labels = np.repeat(np.arange(len(classes)), per_class)
    box = side // 3
    for i, k in enumerate(labels):
        top = (k % 2) * (side - box - 4) + rng.integers(0, 4)
        left = ((k // 2) % 2) * (side - box - 4) + rng.integers(0, 4)
        channel = k % channels
        images[i, channel, top:top + box, left:left + box] = rng.integers(180, 256)
        images[i] = np.clip(images[i] + rng.integers(0, 30, images[i].shape), 0, 255)
    return FakeSet(label, tuple(classes), images, labels.astype(np.int64))


def register(sets: dict[str, FakeSet], prefix: str = "own-"):
    """Register `sets` (name -> FakeSet) as the source of `prefix` names, as an own data sets' adapter does."""

    def describe(name: str):
        found = sets.get(name)
        if found is None:
            return None
        splits = {s: len(found.split(s)) for s in data.SPLITS}
        return datasets.DatasetInfo(name, found.label, found.classes, found.channels, found.side,
                                    Framing(found.side, round(found.side * 20 / 28), "mass"), "sample", splits,
                                    flips=False, offline=True, own=True)

    def load(name: str, split: str, *, validation: bool = True) -> data.Dataset:
        found = sets.get(name)
        if found is None:
            raise data.DatasetUnavailable(f"There is no data set {name}.", "missing", name=name, folder="")
        pick = found.split(split, validation)
        return data.Dataset(name, split, torch.from_numpy(found.images[pick].copy()),
                            torch.from_numpy(found.labels[pick].copy()), list(found.classes))

    return datasets.register_source(prefix, names=lambda: list(sets), describe=describe, load=load)


@contextlib.contextmanager
def own_sets(sets: dict[str, FakeSet], prefix: str = "own-"):
    """Register `sets` (name -> FakeSet) as the source of `prefix` names for the duration."""
    previous = register(sets, prefix)   # the real own sets' source, which comes back afterwards
    try:
        yield sets
    finally:
        datasets.unregister_source(prefix, restore=previous)
