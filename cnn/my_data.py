"""Data sets of your own: classes you name, samples you draw or upload, kept as plain files.

    runs-data/<id>/                  (beside the runs folder, or $CNN_LAB_MY_DATA)
      manifest.json                  name, classes, channels, side, owner, class code, one record per sample
      <sample id>.png                each sample already framed at side x side (mode L gray, RGB colour)
      .lock                          held (flock) while the manifest is read, changed and written back

A drawing is framed as the Draw page frames it (cnn.preprocess: cropped, scaled, centred on its centre of
mass, scaled to the set's side), so a drawing read later matches what the network trained on. A picture
is checked as every upload is (cnn.images.load_upload), cropped to its centre square and shrunk.

Two people adding to one set at once lose nothing: each writes its PNGs under fresh names first, then
takes the set's lock and adds its records to the manifest it reads under that lock; the manifest is
written beside itself and renamed over. A picture file nobody lists (a kill between the two steps) is
simply not part of the set.

Everything refused raises MyDataError with a `code` and `params`, so a page can say it in the user's
language (locale keys "my_data.error.<code>"); pictures refused inside a zip are counted by their
cnn.images.ImageError code. A set used as a data set is named "own-<id>" (load_split, split_sizes).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
import threading
import unicodedata
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import numpy as np

from cnn import images, preprocess, runs

FORMAT = 1
PREFIX = "own-"
MIN_CLASSES, MAX_CLASSES = 2, 10
CLASS_NAME_MAX = 64            # characters: a label, not a sentence (the big label and the bars show it)
SET_NAME_MAX = 80
SIDES = (28, 32, 48, 64, 72)   # sides a set may have (28 like MNIST; 72 like the shapes)
DEFAULT_SIDE = 28
FEW = 10                       # a class with fewer samples than this gets a warning
UNBALANCED = 3.0               # ... and so does a set whose largest class is this many times its smallest
MAX_SAMPLES = 20_000           # per set
MAX_ZIP_BYTES = 200 * 2**20    # the zip as uploaded (Streamlit's own upload limit)
MAX_ZIP_FILES = 20_000         # entries in it
MAX_ZIP_UNPACKED = 1 * 2**30   # bytes once unpacked, as its directory declares them (and as read)
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")
SHARES = {"test": 0.2, "val": 0.1}   # of each class; whatever is left (at least one sample) trains
MANIFEST = "manifest.json"
EXPORT_NOTE = "cnn-lab.json"   # in an exported zip: names, flags and sizes the folders cannot carry
BY_MAX = 200


class MyDataError(ValueError):
    """Something refused. `code` names the problem and `params` its details (locale keys "my_data.error.<code>");
    the message is plain English."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Sample:
    id: str
    label: int
    by: str = ""                # who added it (the identity the page passes in)
    held_out: bool = False      # kept out of every split: the class leaderboard's hidden part
    source: str = "picture"     # "drawing" or "picture"
    added: str = ""


@dataclass(frozen=True)
class SetSummary:
    id: str
    name: str
    classes: list[str]
    channels: int               # 1 or 3 (a set still waiting for its first picture says 1)
    side: int
    counts: list[int]           # samples per class, held-out ones included
    owner: str
    class_code: str | None = None
    held_out: int = 0
    created: str = ""
    channels_chosen: bool = True   # False while "from the pictures" waits for the first one

    @property
    def dataset(self) -> str:
        return PREFIX + self.id

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class ImportReport:
    """What a zip or a batch of pictures gave: how many were added, and the rest by reason."""

    added: int = 0
    skipped: Counter = field(default_factory=Counter)   # ImageError code -> how many pictures
    ignored: int = 0                                    # files that are not pictures (by their name)
    unknown_folders: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- where sets live


def default_root() -> Path:
    """$CNN_LAB_MY_DATA, else beside the runs folder (runs/ -> runs-data/)."""
    env = os.environ.get("CNN_LAB_MY_DATA")
    if env:
        return Path(env)
    root = runs.default_root()
    return root.parent / (root.name + "-data")


def set_dir(set_id: str, root: Path | None = None) -> Path:
    """The folder of a set; MyDataError "missing" for anything that is not a plain set id."""
    if isinstance(set_id, str) and set_id.startswith(PREFIX):   # "own-<id>", as data set names spell it
        set_id = set_id[len(PREFIX):]                            # (our ids begin with a date: never "own-")
    if not isinstance(set_id, str) or not runs.RUN_ID.match(set_id):
        raise MyDataError("missing", f"There is no data set {set_id!r}.", id=str(set_id)[:80])
    base = Path(root or default_root()).resolve()
    path = (base / set_id).resolve()
    if path.parent != base:
        raise MyDataError("missing", f"There is no data set {set_id!r}.", id=set_id)
    return path


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _new_set_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:24] or "set"
    return f"{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S-%f')}-{slug}"


_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@contextmanager
def _locked(folder: Path):
    """The set's lock: flock on .lock (between processes and between open files of one process), plus a
    thread lock where flock does not exist."""
    with _thread_locks_guard:
        local = _thread_locks.setdefault(str(folder), threading.Lock())
    with local:
        handle = open(folder / ".lock", "a+")
        try:
            try:
                import fcntl

                fcntl.flock(handle, fcntl.LOCK_EX)
            except ImportError:
                pass
            yield
        finally:
            handle.close()


def _read_manifest(folder: Path) -> dict:
    value = runs.read_json(folder / MANIFEST)
    if not isinstance(value, dict) or not isinstance(value.get("classes"), list):
        raise MyDataError("missing", f"There is no data set in {folder.name}.", id=folder.name)
    return value


def _write_manifest(folder: Path, manifest: dict) -> None:
    runs.atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))


@contextmanager
def _changing(set_id: str, root: Path | None):
    """The manifest, read under the set's lock; written back when the block ends without an error."""
    folder = set_dir(set_id, root)
    if not (folder / MANIFEST).exists():
        raise MyDataError("missing", f"There is no data set {set_id!r}.", id=set_id)
    with _locked(folder):
        manifest = _read_manifest(folder)
        yield folder, manifest
        _write_manifest(folder, manifest)


# ---------------------------------------------------------------- names


def clean_name(name: object, *, limit: int, what: str) -> str:
    """A name as kept: Unicode NFC, runs of white space as one space, trimmed; refused when empty or long."""
    text = " ".join(unicodedata.normalize("NFC", str(name if name is not None else "")).split())
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch == "\u200d")
    if not text:
        raise MyDataError(f"{what}_empty", f"The {what.replace('_', ' ')} is empty.")
    if len(text) > limit:
        raise MyDataError(f"{what}_long", f"The {what.replace('_', ' ')} has {len(text)} characters; at most {limit}.",
                          length=len(text), max=limit, start=text[:24])
    return text


def clean_classes(names) -> list[str]:
    """2 to 10 class names, each cleaned, no two the same (ignoring case)."""
    names = [clean_name(n, limit=CLASS_NAME_MAX, what="class_name") for n in list(names)]
    if len(names) < MIN_CLASSES:
        raise MyDataError("too_few_classes", f"A data set needs at least {MIN_CLASSES} classes.",
                          count=len(names), min=MIN_CLASSES)
    if len(names) > MAX_CLASSES:
        raise MyDataError("too_many_classes", f"A data set has at most {MAX_CLASSES} classes; got {len(names)}.",
                          count=len(names), max=MAX_CLASSES)
    seen: dict[str, str] = {}
    for n in names:
        if n.casefold() in seen:
            raise MyDataError("class_duplicate", f"Two classes are both called {n!r}.", name=n)
        seen[n.casefold()] = n
    return names


# ---------------------------------------------------------------- sets


def create_set(name: str, classes, *, owner: str, channels: int | None = None, side: int = DEFAULT_SIDE,
               class_code: str | None = None, root: Path | None = None) -> SetSummary:
    """A new, empty set. `channels` 1 (gray) or 3 (colour), or None: chosen from the first pictures added
    (a drawing makes it gray; a colour picture, colour)."""
    name = clean_name(name, limit=SET_NAME_MAX, what="set_name")
    classes = clean_classes(classes)
    if channels not in (None, 1, 3):
        raise MyDataError("bad_channels", "Channels must be 1 (gray) or 3 (colour).", channels=str(channels))
    if side not in SIDES:
        raise MyDataError("bad_side", f"The side must be one of {SIDES}.", side=str(side),
                          sides=", ".join(map(str, SIDES)))
    manifest = {"format": FORMAT, "name": name, "classes": classes, "channels": channels, "side": int(side),
                "owner": str(owner or ""), "class_code": class_code or None, "created": _now(), "samples": []}
    base = Path(root or default_root())
    base.mkdir(parents=True, exist_ok=True)
    while True:
        set_id = _new_set_id(name)
        try:
            (base / set_id).mkdir()
            break
        except FileExistsError:
            continue
    _write_manifest(base / set_id, manifest)
    return _summary(set_id, manifest)


def _summary(set_id: str, manifest: dict) -> SetSummary:
    classes = [str(c) for c in manifest["classes"]]
    counts = [0] * len(classes)
    held = 0
    for record in manifest.get("samples", []):
        label = record.get("label")
        if isinstance(label, int) and 0 <= label < len(classes):
            counts[label] += 1
            held += bool(record.get("held_out"))
    channels = manifest.get("channels")
    return SetSummary(set_id, str(manifest.get("name", set_id)), classes, channels if channels in (1, 3) else 1,
                      int(manifest.get("side", DEFAULT_SIDE)), counts, str(manifest.get("owner") or ""),
                      manifest.get("class_code") or None, held, str(manifest.get("created", "")),
                      channels in (1, 3))


def summary(set_id: str, root: Path | None = None) -> SetSummary:
    folder = set_dir(set_id, root)
    return _summary(folder.name, _read_manifest(folder))


def list_sets(root: Path | None = None) -> list[SetSummary]:
    """Every set in the data folder, newest first; a folder without a readable manifest is skipped."""
    base = Path(root or default_root())
    if not base.is_dir():
        return []
    found = []
    for folder in base.iterdir():
        if not runs.RUN_ID.match(folder.name) or not folder.is_dir():
            continue
        try:
            found.append(_summary(folder.name, _read_manifest(folder)))
        except (MyDataError, TypeError, ValueError, AttributeError):
            continue
    return sorted(found, key=lambda s: (s.created, s.id), reverse=True)


def rename_set(set_id: str, name: str, root: Path | None = None) -> None:
    name = clean_name(name, limit=SET_NAME_MAX, what="set_name")
    with _changing(set_id, root) as (_folder, manifest):
        manifest["name"] = name


def rename_class(set_id: str, index: int, name: str, root: Path | None = None) -> None:
    with _changing(set_id, root) as (_folder, manifest):
        classes = list(manifest["classes"])
        if not 0 <= index < len(classes):
            raise MyDataError("no_class", f"There is no class {index}.", index=index)
        classes[index] = name
        manifest["classes"] = clean_classes(classes)


def add_class(set_id: str, name: str, root: Path | None = None) -> None:
    with _changing(set_id, root) as (_folder, manifest):
        manifest["classes"] = clean_classes([*manifest["classes"], name])


def delete_set(set_id: str, root: Path | None = None) -> None:
    """Gone at once (renamed aside, then removed): a run that trained on it keeps its weights and class names."""
    folder = set_dir(set_id, root)
    if not folder.is_dir():
        raise MyDataError("missing", f"There is no data set {set_id!r}.", id=set_id)
    aside = folder.with_name(f".deleted-{folder.name}-{uuid.uuid4().hex[:8]}")
    os.replace(folder, aside)
    shutil.rmtree(aside, ignore_errors=True)


def samples(set_id: str, root: Path | None = None) -> list[Sample]:
    manifest = _read_manifest(set_dir(set_id, root))
    return [_sample(r) for r in manifest.get("samples", [])]


def _sample(record: dict) -> Sample:
    return Sample(str(record["id"]), int(record["label"]), str(record.get("by", "")), bool(record.get("held_out")),
                  str(record.get("source", "picture")), str(record.get("added", "")))


def read_sample(set_id: str, sample_id: str, root: Path | None = None) -> np.ndarray:
    """One sample as stored: uint8 (side, side) gray or (side, side, 3) colour."""
    from PIL import Image

    if not re.fullmatch(r"[a-f0-9]{16}", str(sample_id)):
        raise MyDataError("no_sample", "There is no such sample.")
    with Image.open(set_dir(set_id, root) / f"{sample_id}.png") as img:
        return np.asarray(img).copy()


def delete_sample(set_id: str, sample_id: str, root: Path | None = None) -> None:
    with _changing(set_id, root) as (folder, manifest):
        kept = [r for r in manifest["samples"] if r.get("id") != sample_id]
        if len(kept) == len(manifest["samples"]):
            raise MyDataError("no_sample", "There is no such sample (perhaps someone deleted it already).")
        manifest["samples"] = kept
    (folder / f"{sample_id}.png").unlink(missing_ok=True)


def set_held_out(set_id: str, sample_ids, held_out: bool = True, root: Path | None = None) -> None:
    """Mark samples as the held-out part (kept out of train, validation and test) or give them back."""
    wanted = set(sample_ids)
    with _changing(set_id, root) as (_folder, manifest):
        for record in manifest["samples"]:
            if record.get("id") in wanted:
                record["held_out"] = bool(held_out)


# ---------------------------------------------------------------- warnings


def warnings(summary: SetSummary) -> list[tuple[str, dict]]:
    """(code, params) for each thing worth a warning (locale keys "my_data.warn.<code>"): a class with fewer
    than FEW samples; a set whose largest class is UNBALANCED times its smallest (or more)."""
    found = [("few", {"name": name, "count": count, "min": FEW})
             for name, count in zip(summary.classes, summary.counts) if count < FEW]
    if summary.counts and min(summary.counts) > 0:
        most, least = max(summary.counts), min(summary.counts)
        if most >= UNBALANCED * least:
            found.append(("unbalanced", {"largest": summary.classes[summary.counts.index(most)], "most": most,
                                         "smallest": summary.classes[summary.counts.index(least)], "least": least}))
    return found


# ---------------------------------------------------------------- adding samples


def _is_colour(rgb: np.ndarray) -> bool:
    """(3, H, W) in [0, 1]: do the channels differ anywhere by more than a JPEG's rounding?"""
    return bool(np.abs(rgb - rgb.mean(axis=0, keepdims=True)).max() > 6 / 255)


def _to_field(picture: np.ndarray, side: int) -> np.ndarray:
    """(3, H, W) or (H, W) in [0, 1] -> the centre square shrunk to side x side, same channel layout."""
    planes = picture if picture.ndim == 3 else picture[None]
    h, w = planes.shape[-2:]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    square = planes[:, top:top + s, left:left + s]
    out = np.stack([preprocess.shrink(p, side) for p in square])
    return out if picture.ndim == 3 else out[0]


def _gray(rgb: np.ndarray) -> np.ndarray:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def _png_bytes(field01: np.ndarray) -> bytes:
    """(side, side) gray or (3, side, side) colour in [0, 1] -> PNG bytes (mode L or RGB)."""
    from PIL import Image

    pixels = np.clip(np.round(np.asarray(field01) * 255.0), 0, 255).astype(np.uint8)
    img = Image.fromarray(pixels, "L") if pixels.ndim == 2 else Image.fromarray(pixels.transpose(1, 2, 0), "RGB")
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@dataclass
class _Prepared:
    label: int
    picture: np.ndarray         # (3, H, W) colour or (H, W) gray in [0, 1], not yet framed
    source: str                 # "drawing" or "picture"
    colour: bool
    by: str = ""
    held_out: bool = False


def _frame(item: _Prepared, channels: int, side: int) -> np.ndarray:
    if item.source == "drawing":
        gray = preprocess.to_model_input(item.picture, preprocess.framing_for(None, side)).astype(np.float64)
        return np.repeat(gray[None], 3, axis=0) if channels == 3 else gray
    picture = item.picture
    if channels == 1 and picture.ndim == 3:
        picture = _gray(picture)
    elif channels == 3 and picture.ndim == 2:
        picture = np.repeat(picture[None], 3, axis=0)
    return _to_field(picture, side)


def _commit(set_id: str, items: list[_Prepared], root: Path | None,
            progress: Callable[[int, int], None] | None = None) -> list[str]:
    """Write the PNGs under fresh names, then add their records to the manifest under the lock."""
    folder = set_dir(set_id, root)
    manifest = _read_manifest(folder)
    channels = manifest.get("channels")
    if channels not in (1, 3):   # chosen from the pictures: colour if any of them is
        channels = 3 if any(i.colour for i in items) else 1
    side = int(manifest.get("side", DEFAULT_SIDE))
    records = []
    try:   # a progress callback may raise (the page was left mid-way): nothing half-added stays behind
        for n, item in enumerate(items, 1):
            sample_id = uuid.uuid4().hex[:16]
            records.append({"id": sample_id, "label": item.label, "by": str(item.by)[:BY_MAX],
                            "held_out": item.held_out, "source": item.source, "added": _now()})
            (folder / f"{sample_id}.png").write_bytes(_png_bytes(_frame(item, channels, side)))
            if progress is not None and (n % 100 == 0 or n == len(items)):
                progress(n, len(items))
        with _changing(set_id, root) as (_folder, current):
            if current.get("channels") not in (1, 3):
                current["channels"] = channels
            elif current["channels"] != channels:   # someone chose first, between our read and now: redo ours
                raise _Redo(current["channels"])
            if len(current["samples"]) + len(records) > MAX_SAMPLES:
                raise MyDataError("set_full", f"A data set holds at most {MAX_SAMPLES:,} samples.",
                                  max=f"{MAX_SAMPLES:,}", count=len(current["samples"]))
            for record in records:
                if not 0 <= record["label"] < len(current["classes"]):
                    raise MyDataError("no_class", "There is no such class.", index=record["label"])
            current["samples"].extend(records)
    except _Redo:
        for record in records:
            (folder / f"{record['id']}.png").unlink(missing_ok=True)
        return _commit(set_id, items, root, progress)
    except BaseException:
        for record in records:
            (folder / f"{record['id']}.png").unlink(missing_ok=True)
        raise
    return [r["id"] for r in records]


class _Redo(Exception):
    pass


def _check_label(set_id: str, label: int, root: Path | None) -> None:
    manifest = _read_manifest(set_dir(set_id, root))
    if not isinstance(label, (int, np.integer)) or not 0 <= int(label) < len(manifest["classes"]):
        raise MyDataError("no_class", "There is no such class.", index=str(label))


def add_drawing(set_id: str, label: int, drawing, *, by: str = "", held_out: bool = False,
                root: Path | None = None) -> str:
    """A drawing as the draw pad gives it ((H, W, 4) RGBA, or any image preprocess reads), framed as the Draw
    page frames drawings. MyDataError "drawing_empty" / "drawing_dot" for an empty pad or a lone dot."""
    _check_label(set_id, label, root)
    try:
        gray = preprocess.to_gray(drawing)
        preprocess.steps(gray, preprocess.framing_for(None, summary(set_id, root).side))
    except preprocess.EmptyDrawing as exc:
        raise MyDataError(f"drawing_{exc.code}", str(exc)) from exc
    item = _Prepared(int(label), gray, "drawing", False, by, held_out)
    return _commit(set_id, [item], root)[0]


def _load_picture(data: bytes, as_drawing: bool, side: int) -> _Prepared:
    """Checked as every upload is (ImageError otherwise); a drawing that frames to nothing is "empty"."""
    rgb = images.load_upload(data, rgb=True, max_side=max(4 * side, 128))
    colour = _is_colour(rgb)
    if as_drawing:
        gray = _gray(rgb)
        try:
            preprocess.steps(gray, preprocess.framing_for(None, side))
        except preprocess.EmptyDrawing as exc:
            raise images.ImageError("blank", "The picture is blank: nothing drawn on it.") from exc
        return _Prepared(0, gray, "drawing", False)
    return _Prepared(0, rgb if colour else _gray(rgb), "picture", colour)


def add_picture(set_id: str, label: int, data: bytes, *, by: str = "", held_out: bool = False,
                as_drawing: bool = False, root: Path | None = None) -> str:
    """A PNG or JPEG (checked like every upload: cnn.images.ImageError when refused), cropped to its centre
    square and shrunk to the set's side; `as_drawing` frames it as a drawing instead (ink on paper or on
    black: cropped to its ink, scaled, centred)."""
    _check_label(set_id, label, root)
    item = _load_picture(data, as_drawing, summary(set_id, root).side)
    item.label, item.by, item.held_out = int(label), by, held_out
    return _commit(set_id, [item], root)[0]


def add_pictures(set_id: str, label: int, files, *, by: str = "", as_drawing: bool = False,
                 root: Path | None = None, progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Several pictures into one class: [(name, bytes)]; each refused one is counted by its reason."""
    _check_label(set_id, label, root)
    side = summary(set_id, root).side
    report, items = ImportReport(), []
    for _name, data in files:
        try:
            item = _load_picture(data, as_drawing, side)
        except images.ImageError as exc:
            report.skipped[exc.code] += 1
            continue
        item.label, item.by = int(label), by
        items.append(item)
    if items:
        report.added = len(_commit(set_id, items, root, progress))
    return report


# ---------------------------------------------------------------- zips


def _refuse(code: str, message: str, **params):
    raise MyDataError(code, message, **params)


@dataclass
class _ZipPlan:
    archive: zipfile.ZipFile
    pictures: list[tuple[str, zipfile.ZipInfo]]     # (class folder, entry)
    folders: list[str]                              # class folders, sorted (ImageFolder's order)
    ignored: int
    note: dict | None


def _open_zip(data: bytes) -> _ZipPlan:
    """Check a zip before reading any picture in it: refused (MyDataError "zip_*") when it is not a zip, too
    big, holds too many entries or bytes, a path that leaves its folder, a link, an encrypted entry, or no
    picture. Its layout: one folder per class (ImageFolder), maybe inside one top folder."""
    if len(data) > MAX_ZIP_BYTES:
        _refuse("zip_too_big", "The zip is too big.", size=f"{len(data) / 2**20:.0f}", limit=MAX_ZIP_BYTES // 2**20)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise MyDataError("zip_not_zip", f"This file is not a zip archive ({exc}).") from exc
    if len(entries) > MAX_ZIP_FILES:
        _refuse("zip_too_many_files", "The zip holds too many files.", count=f"{len(entries):,}",
                limit=f"{MAX_ZIP_FILES:,}")
    total = sum(e.file_size for e in entries)
    if total > MAX_ZIP_UNPACKED:
        _refuse("zip_too_many_bytes", "Unpacked, the zip would be too big.", size=f"{total / 2**20:,.0f}",
                limit=f"{MAX_ZIP_UNPACKED // 2**20:,}")
    files = []
    for entry in entries:
        name = entry.filename
        shown = name[:120]
        path = name.replace("\\", "/")
        parts = PurePosixPath(path).parts
        if (path.startswith("/") or re.match(r"^[A-Za-z]:", path) or ".." in parts or "\x00" in path):
            _refuse("zip_unsafe_path", f"The zip holds a path that leaves its folder: {shown}", path=shown)
        kind = (entry.external_attr >> 16) & 0o170000
        if kind == stat.S_IFLNK:
            _refuse("zip_link", f"The zip holds a link: {shown}", path=shown)
        if entry.flag_bits & 0x1:
            _refuse("zip_encrypted", f"The zip holds an encrypted file: {shown}", path=shown)
        if entry.is_dir() or (kind and kind not in (stat.S_IFREG,)):
            continue
        parts = [p for p in parts if p not in ("", ".")]
        if not parts or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
            continue
        files.append((parts, entry))
    note = None
    for parts, entry in files:
        if len(parts) == 1 and parts[0] == EXPORT_NOTE and entry.file_size < 16 * 2**20:
            note = _read_note(archive, entry)
    pictures = [(p, e) for p, e in files if p[-1].lower().endswith(PICTURE_SUFFIXES)]
    ignored = len(files) - len(pictures) - (note is not None)
    # One folder around everything (the zip of a folder): look inside it.
    while pictures and all(len(p) >= 3 for p, _ in pictures) and len({p[0] for p, _ in pictures}) == 1:
        pictures = [(p[1:], e) for p, e in pictures]
    loose = [e for p, e in pictures if len(p) < 2]
    pictures = [(p[0], e) for p, e in pictures if len(p) >= 2]
    ignored += len(loose)
    if not pictures:
        _refuse("zip_no_pictures", "The zip holds no PNG or JPEG picture inside a class folder.",
                files=len(files))
    folders = sorted({f for f, _ in pictures})
    return _ZipPlan(archive, pictures, folders, ignored, note)


def _read_note(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> dict | None:
    """An exported set's note (plain JSON; anything unexpected in it is ignored)."""
    try:
        value = json.loads(archive.read(entry).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError, EOFError):
        return None
    return value if isinstance(value, dict) else None


def _note_classes(note: dict | None, folders: list[str]) -> dict[str, str]:
    """folder -> class name from an exported set's note, for the folders the note names."""
    names = {}
    if note and isinstance(note.get("classes"), list):
        for entry in note["classes"]:
            if isinstance(entry, dict) and isinstance(entry.get("folder"), str) and entry["folder"] in folders:
                names[entry["folder"]] = str(entry.get("name", entry["folder"]))
    return names


def _read_pictures(plan: _ZipPlan, labels: dict[str, int], side: int, report: ImportReport,
                   progress: Callable[[int, int], None] | None, by: str) -> list[_Prepared]:
    flags = plan.note.get("samples") if plan.note and isinstance(plan.note.get("samples"), dict) else {}
    wanted = [(f, e) for f, e in plan.pictures if f in labels]
    items = []
    for n, (folder, entry) in enumerate(wanted, 1):
        try:
            if entry.file_size > images.MAX_UPLOAD_BYTES:
                raise images.ImageError("too_big", "too big")
            with plan.archive.open(entry) as handle:
                data = handle.read(images.MAX_UPLOAD_BYTES + 1)
            item = _load_picture(data, False, side)
        except images.ImageError as exc:
            report.skipped[exc.code] += 1
            continue
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError):
            report.skipped["damaged"] += 1
            continue
        flag = flags.get(entry.filename) if isinstance(flags, dict) else None
        flag = flag if isinstance(flag, dict) else {}
        item.label = labels[folder]
        item.by = str(flag.get("by", by))[:BY_MAX] if isinstance(flag.get("by", by), str) else by
        item.held_out = flag.get("held_out") is True
        items.append(item)
        if progress is not None and (n % 100 == 0 or n == len(wanted)):
            progress(n, 2 * len(wanted))   # reading is the first half of the work, writing the second
    return items


def import_zip(data: bytes, *, name: str, owner: str, channels: int | None = None, side: int | None = None,
               class_code: str | None = None, root: Path | None = None,
               progress: Callable[[int, int], None] | None = None) -> tuple[SetSummary, ImportReport]:
    """A new set from a zip laid out as one folder per class (torchvision's ImageFolder: the classes are the
    folders, in sorted order; an exported set's note gives back its names, order, flags, channels and side).
    Channels None: colour if any picture is. Nothing is kept unless the set is made whole."""
    plan = _open_zip(data)
    note = plan.note or {}
    named = _note_classes(plan.note, plan.folders)
    if named:    # an exported set: its classes in its own order
        order = [e["folder"] for e in note["classes"] if isinstance(e, dict) and e.get("folder") in named]
        folders = order + [f for f in plan.folders if f not in order]
    else:
        folders = plan.folders
    classes = clean_classes([named.get(f, f) for f in folders])
    if side is None:
        side = note.get("side") if note.get("side") in SIDES else DEFAULT_SIDE
    if channels is None and note.get("channels") in (1, 3):
        channels = note["channels"]
    report = ImportReport(ignored=plan.ignored)
    items = _read_pictures(plan, {f: i for i, f in enumerate(folders)}, side, report, progress, owner)
    if not items:
        _refuse("zip_no_pictures", "No picture in the zip could be read.", files=len(plan.pictures))
    made = create_set(name, classes, owner=owner, channels=channels, side=side, class_code=class_code, root=root)
    total = len(items)
    try:
        report.added = len(_commit(made.id, items, root,
                                   None if progress is None else lambda n, _t: progress(total + n, 2 * total)))
    except BaseException:
        delete_set(made.id, root)
        raise
    return summary(made.id, root), report


def add_zip(set_id: str, data: bytes, *, by: str = "", root: Path | None = None,
            progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Samples from a zip into an existing set: each folder goes into the class of the same name (ignoring
    case); folders that name no class are listed in the report and skipped."""
    current = summary(set_id, root)
    plan = _open_zip(data)
    named = _note_classes(plan.note, plan.folders)
    by_name = {c.casefold(): i for i, c in enumerate(current.classes)}
    labels, unknown = {}, []
    for folder in plan.folders:
        shown = " ".join(unicodedata.normalize("NFC", named.get(folder, folder)).split())
        if shown.casefold() in by_name:
            labels[folder] = by_name[shown.casefold()]
        else:
            unknown.append(folder)
    if not labels:
        _refuse("zip_no_matching_classes", "No folder of the zip is named like a class of this set.",
                folders=", ".join(plan.folders[:5]), classes=", ".join(current.classes))
    report = ImportReport(ignored=plan.ignored, unknown_folders=unknown)
    items = _read_pictures(plan, labels, current.side, report, progress, by)
    if items:
        total = len(items)
        report.added = len(_commit(set_id, items, root,
                                   None if progress is None else lambda n, _t: progress(total + n, 2 * total)))
    return report


def _folder_name(name: str, taken: set[str], index: int) -> str:
    safe = re.sub(r'[\x00-\x1f/\\:*?"<>|]', "_", name).strip().lstrip(".").strip()[:60]
    if not safe or safe.casefold() in taken:
        safe = f"class-{index + 1}"
    taken.add(safe.casefold())
    return safe


def export_zip(set_id: str, root: Path | None = None) -> bytes:
    """The set as a zip: one folder per class (ImageFolder) of its PNGs, and a note (cnn-lab.json) with the
    class names, channels, side and each sample's flags, so importing it gives the same set back."""
    folder = set_dir(set_id, root)
    manifest = _read_manifest(folder)
    current = _summary(folder.name, manifest)
    taken: set[str] = set()
    folders = [_folder_name(c, taken, i) for i, c in enumerate(current.classes)]
    flags = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:   # PNGs are compressed already
        for record in manifest["samples"]:
            sample = _sample(record)
            path = folder / f"{sample.id}.png"
            if not path.exists() or not 0 <= sample.label < len(folders):
                continue
            inside = f"{folders[sample.label]}/{sample.id}.png"
            archive.writestr(inside, path.read_bytes())
            flags[inside] = {"by": sample.by, "held_out": sample.held_out}
        note = {"format": FORMAT, "name": current.name, "channels": current.channels, "side": current.side,
                "classes": [{"name": c, "folder": f} for c, f in zip(current.classes, folders)], "samples": flags}
        archive.writestr(EXPORT_NOTE, json.dumps(note, indent=1, ensure_ascii=False))
    return buffer.getvalue()


# ---------------------------------------------------------------- as a data set for training


def _order_key(set_id: str, sample_id: str) -> str:
    return hashlib.blake2s(f"{set_id}/{sample_id}".encode(), digest_size=8).hexdigest()


def _split_of(manifest: dict, set_id: str, validation: bool) -> dict[str, list[dict]]:
    """Stratified and deterministic: each class's samples in a fixed order (a hash of their ids), the first
    20% to test, the next 10% to validation, the rest (at least one, however small the class) to train.
    Without validation the validation share trains. Held-out samples are in no split."""
    parts: dict[str, list[dict]] = {"train": [], "val": [], "test": []}
    by_class: dict[int, list[dict]] = {}
    for record in manifest.get("samples", []):
        if not record.get("held_out"):
            by_class.setdefault(int(record["label"]), []).append(record)
    for label in sorted(by_class):
        group = sorted(by_class[label], key=lambda r: _order_key(set_id, r["id"]))
        n = len(group)
        n_test = int(n * SHARES["test"])
        n_val = int(n * SHARES["val"])
        n_test = min(n_test, n - 1)
        n_val = min(n_val, n - 1 - n_test)
        parts["test"] += group[:n_test]
        if validation:
            parts["val"] += group[n_test:n_test + n_val]
            parts["train"] += group[n_test + n_val:]
        else:
            parts["train"] += group[n_test:]
    return parts


def _unavailable(set_id: str):
    from cnn.data import DatasetUnavailable

    set_id = set_id[len(PREFIX):] if set_id.startswith(PREFIX) else set_id   # named once: "own-<id>"

    return DatasetUnavailable(f"The data set {PREFIX}{set_id} no longer exists (it was deleted).", "own_missing",
                              name=f"{PREFIX}{set_id}")


def _manifest_for_data(set_id: str, root: Path | None) -> tuple[Path, dict]:
    try:
        folder = set_dir(set_id, root)
        return folder, _read_manifest(folder)
    except MyDataError:
        raise _unavailable(set_id) from None


def split_sizes(set_id: str, *, validation: bool = True, root: Path | None = None) -> dict[str, int]:
    """How many samples each split holds, without reading a picture (like cnn.data.split_sizes)."""
    folder, manifest = _manifest_for_data(set_id, root)
    return {k: len(v) for k, v in _split_of(manifest, folder.name, validation).items()}


def load_split(set_id: str, split: str, *, validation: bool = True, root: Path | None = None):
    """One split as a cnn.data.Dataset named "own-<id>": uint8 (N, C, side, side) images, int64 labels."""
    from cnn import data

    if split not in data.SPLITS:
        raise ValueError(f"split must be one of {', '.join(data.SPLITS)}; got {split!r}.")
    if split == "val" and not validation:
        raise ValueError("There is no validation split with validation=False.")
    folder, manifest = _manifest_for_data(set_id, root)
    records = _split_of(manifest, folder.name, validation)[split]
    return _as_dataset(folder, manifest, records, split)


def load_held_out(set_id: str, *, root: Path | None = None):
    """The held-out samples (the class leaderboard's part) as a cnn.data.Dataset, split "test"."""
    return held_out_part(set_id, root=root)[0]


def held_out_part(set_id: str, *, root: Path | None = None):
    """(the held-out samples as a cnn.data.Dataset, their sample ids in the same order): the leaderboard splits
    them into its public and private parts by id."""
    folder, manifest = _manifest_for_data(set_id, root)
    records = [r for r in manifest.get("samples", []) if r.get("held_out")]
    return _as_dataset(folder, manifest, records, "test", with_ids=True)


def held_out_key(set_id: str, *, root: Path | None = None) -> str:
    """A digest of what the held-out part holds (its samples' ids and labels, the class names, the shape):
    it changes whenever a score on it could. Cheap: the manifest only, no picture is read."""
    folder = set_dir(set_id, root)
    manifest = _read_manifest(folder)
    part = sorted((str(r.get("id")), r.get("label")) for r in manifest.get("samples", []) if r.get("held_out"))
    current = _summary(folder.name, manifest)
    token = json.dumps([part, current.classes, current.channels, current.side], ensure_ascii=False)
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _as_dataset(folder: Path, manifest: dict, records: list[dict], split: str, with_ids: bool = False):
    from PIL import Image

    from cnn import data

    current = _summary(folder.name, manifest)
    c, s = current.channels, current.side
    pixels = np.zeros((len(records), c, s, s), dtype=np.uint8)
    labels = np.zeros(len(records), dtype=np.int64)
    keep = np.ones(len(records), dtype=bool)
    for i, record in enumerate(records):
        try:
            with Image.open(folder / f"{record['id']}.png") as img:
                arr = np.asarray(img.convert("RGB" if c == 3 else "L").resize((s, s)))
        except (OSError, ValueError):
            keep[i] = False        # a sample deleted while we read: not part of the split any more
            continue
        pixels[i] = arr.transpose(2, 0, 1) if c == 3 else arr[None]
        labels[i] = int(record["label"])
    dataset = data._dataset(PREFIX + folder.name, split, pixels[keep], labels[keep], current.classes)
    if with_ids:
        return dataset, [str(r["id"]) for r, kept in zip(records, keep) if kept]
    return dataset


def thumbnail(set_id: str, sample_id: str, side: int = 84, root: Path | None = None) -> np.ndarray:
    """A sample enlarged with hard pixel edges to about `side` pixels (uint8, gray or colour as stored)."""
    pixels = read_sample(set_id, sample_id, root)
    scale = max(1, side // pixels.shape[0])
    return np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
