"""Own data sets (cnn.my_data) as cnn.datasets knows data sets: "own-<id>" for every set in the data folder.

Imported through cnn.datasets.SOURCE_MODULES in every process that meets such a name (the app, its training
worker, a filter search), so the engine and every page read a student's set like a built-in one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cnn import data, datasets, my_data
from cnn.preprocess import Framing

_cache: dict[Path, tuple[tuple, dict[str, tuple[my_data.SetSummary, str]]]] = {}
_described: dict[tuple[str, str], datasets.DatasetInfo] = {}   # (name, version) -> its description
_lock = threading.Lock()


def _signature(root: Path) -> tuple:
    """What changes when a set is made, changed or deleted: each set folder's manifest's size and time."""
    found = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return ()
    for entry in entries:
        try:
            stat = os.stat(os.path.join(entry.path, my_data.MANIFEST))
        except OSError:
            continue
        found.append((entry.name, stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(found))


def _sets() -> dict[str, tuple[my_data.SetSummary, str]]:
    """name -> (summary, version) for the sets in the data folder; read again only when a manifest changed
    (the pages ask on every rerun)."""
    root = Path(my_data.default_root())
    signature = _signature(root)
    with _lock:
        cached = _cache.get(root)
        if cached is not None and cached[0] == signature:
            return cached[1]
    versions = {name: f"{mtime}-{size}" for name, mtime, size in signature}
    sets = {s.dataset: (s, versions.get(s.id, "")) for s in my_data.list_sets(root)}
    with _lock:
        _cache[root] = (signature, sets)
    return sets


def names() -> list[str]:
    return list(_sets())


def describe(name: str) -> datasets.DatasetInfo | None:
    """A set's description, made once per version of it: the Train page asks for every set's on each rerun."""
    found = _sets().get(name)
    if found is None:
        return None
    summary, version = found
    with _lock:
        made = _described.get((name, version))
    if made is not None:
        return made
    try:
        splits = my_data.split_sizes(summary.id)
    except data.DatasetUnavailable:
        return None
    side = summary.side
    # Drawings are framed as Draw & Predict frames them (MNIST's way, scaled to the set's side).
    made = datasets.DatasetInfo(name, summary.name, tuple(summary.classes), summary.channels, side,
                                Framing(side, round(side * 20 / 28), "mass"), "sample", splits,
                                flips=False, offline=True, own=True, version=version)
    with _lock:
        for old in [k for k in _described if k[0] == name]:   # an older version of this set
            del _described[old]
        _described[(name, version)] = made
    return made


def load(name: str, split: str, *, validation: bool = True) -> data.Dataset:
    return my_data.load_split(name, split, validation=validation)


def sizes(name: str, *, validation: bool = True) -> dict[str, int]:
    return my_data.split_sizes(name, validation=validation)


def register() -> None:
    """Answer for "own-" names, unless another source already does (a test server's fake own sets, named in
    CNN_LAB_DATASET_SOURCES, may be imported while this module is: whichever order, theirs stays)."""
    datasets._import_sources()
    if not datasets.has_source(my_data.PREFIX):
        datasets.register_source(my_data.PREFIX, names=names, describe=describe, load=load, sizes=sizes)


register()


def summaries() -> dict[str, my_data.SetSummary]:
    """"own-<id>" -> the set behind it (its owner, its class), for every set in the data folder."""
    return {name: found[0] for name, found in _sets().items()}
