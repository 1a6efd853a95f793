"""Data sets of your own (cnn.my_data): made, filled, framed, split, exported and imported; every bad input
refused with its reason; two writers at once lose nothing."""

import io
import json
import os
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from bad_uploads import BAD_UPLOADS
from PIL import Image

from cnn import data, images, my_data, preprocess

ROOT = Path(__file__).resolve().parent.parent
MARKUP = "![x](http://127.0.0.1:9/x) [CLICK](http://x) <b>b</b> **bold**"


@pytest.fixture
def root(tmp_path):
    return tmp_path / "my-data"


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _stroke(shape: str = "bar", side: int = 280) -> np.ndarray:
    """A pad drawing (RGBA, white ink on black) of a bar or a ring."""
    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[..., 3] = 255
    if shape == "bar":
        rgba[40:240, 120:150, :3] = 255
    else:
        rows, cols = np.indices((side, side))
        ring = np.abs(np.hypot(rows - 140, cols - 140) - 80) < 12
        rgba[ring, :3] = 255
    return rgba


def _set(root, classes=("cat", "dog"), **kwargs):
    return my_data.create_set("pets", list(classes), owner="tok-a", root=root, **kwargs)


def _zip(files: dict[str, bytes], *, links=(), mode=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", mode) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
        for name, target in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def _noise(seed: int, colour: bool = False, side: int = 40) -> bytes:
    rng = np.random.default_rng(seed)
    return _png(rng.integers(0, 256, (side, side, 3) if colour else (side, side), dtype=np.uint8))


# ---------------------------------------------------------------- names and sets


def test_a_set_is_made_listed_renamed_and_deleted(root):
    made = my_data.create_set("  动物   ", ["猫", "狗", "鸟"], owner="tok-a", root=root)
    assert made.name == "动物" and made.classes == ["猫", "狗", "鸟"] and made.counts == [0, 0, 0]
    assert my_data.runs.RUN_ID.match(made.id) and made.dataset == f"own-{made.id}"
    assert (root / made.id / "manifest.json").is_file()
    [listed] = my_data.list_sets(root)
    assert (listed.id, listed.owner, listed.side, listed.class_code) == (made.id, "tok-a", 28, None)
    my_data.rename_set(made.id, "Tiere", root)
    my_data.rename_class(made.id, 0, "Katze", root)
    my_data.add_class(made.id, "✓", root)
    again = my_data.summary(f"own-{made.id}", root)          # the data set name finds it too
    assert again.name == "Tiere" and again.classes == ["Katze", "狗", "鸟", "✓"]
    my_data.delete_set(made.id, root)
    assert my_data.list_sets(root) == [] and not any(root.iterdir())


@pytest.mark.parametrize("classes, code", [
    (["only one"], "too_few_classes"),
    ([f"c{i}" for i in range(100)], "too_many_classes"),
    (["x" * 500, "y"], "class_name_long"),
    (["Cat", " cat "], "class_duplicate"),
    (["cat", "  "], "class_name_empty"),
])
def test_bad_class_lists_are_refused_with_their_reason(root, classes, code):
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.create_set("pets", classes, owner="a", root=root)
    assert caught.value.code == code
    assert my_data.list_sets(root) == []


def test_a_long_or_empty_set_name_and_a_bad_side_are_refused(root):
    for name, code in (("x" * 500, "set_name_long"), ("   ", "set_name_empty")):
        with pytest.raises(my_data.MyDataError) as caught:
            my_data.create_set(name, ["a", "b"], owner="a", root=root)
        assert caught.value.code == code
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.create_set("s", ["a", "b"], owner="a", side=29, root=root)
    assert caught.value.code == "bad_side"
    made = _set(root)
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.rename_class(made.id, 1, "CAT", root)            # the same as class 0, ignoring case
    assert caught.value.code == "class_duplicate"
    assert my_data.summary(made.id, root).classes == ["cat", "dog"]


def test_markup_in_names_is_kept_as_typed(root):
    made = my_data.create_set(MARKUP, [MARKUP, "plain"], owner="a", root=root)
    assert made.name == MARKUP and made.classes[0] == MARKUP


def test_ids_that_leave_the_folder_are_refused(root):
    for bad in ("../x", "/etc", "A", "", None, "own-../x"):
        with pytest.raises(my_data.MyDataError):
            my_data.summary(bad, root)


# ---------------------------------------------------------------- samples


def test_a_drawing_is_framed_as_the_draw_page_frames_it(root):
    made = _set(root)
    drawing = _stroke("bar")
    sample_id = my_data.add_drawing(made.id, 1, drawing, by="tok-b", root=root)
    stored = my_data.read_sample(made.id, sample_id, root)
    expected = preprocess.to_model_input(drawing, preprocess.framing_for(None, 28))
    assert stored.shape == (28, 28) and stored.dtype == np.uint8
    assert np.abs(stored / 255.0 - expected).max() <= 0.5 / 255 + 1e-6
    [sample] = my_data.samples(made.id, root)
    assert (sample.label, sample.by, sample.source, sample.held_out) == (1, "tok-b", "drawing", False)
    again = my_data.summary(made.id, root)
    assert again.counts == [0, 1] and again.channels == 1 and again.channels_chosen


def test_a_drawing_at_another_side_is_framed_at_that_side(root):
    made = _set(root, side=64, channels=3)
    stored = my_data.read_sample(made.id, my_data.add_drawing(made.id, 0, _stroke("ring"), root=root), root)
    expected = preprocess.to_model_input(_stroke("ring"), preprocess.framing_for(None, 64))
    assert stored.shape == (64, 64, 3)
    assert np.abs(stored[..., 1] / 255.0 - expected).max() <= 0.5 / 255 + 1e-6


def test_an_empty_drawing_and_a_dot_are_refused(root):
    made = _set(root)
    empty = np.zeros((280, 280, 4), np.uint8)
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.add_drawing(made.id, 0, empty, root=root)
    assert caught.value.code == "drawing_empty"
    dot = _stroke("bar")
    dot[...] = 0
    dot[140:146, 140:146] = 255
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.add_drawing(made.id, 0, dot, root=root)
    assert caught.value.code == "drawing_dot"
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.add_drawing(made.id, 5, _stroke(), root=root)
    assert caught.value.code == "no_class"
    assert my_data.summary(made.id, root).counts == [0, 0]


@pytest.mark.parametrize("name, make, expected", BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
def test_pictures_are_checked_like_every_upload(root, name, make, expected):
    made = _set(root)
    body = make()
    if expected == "ok":
        sample_id = my_data.add_picture(made.id, 0, body, root=root)
        assert my_data.read_sample(made.id, sample_id, root).shape == (28, 28)
    else:
        with pytest.raises(images.ImageError) as caught:
            my_data.add_picture(made.id, 0, body, root=root)
        assert caught.value.code == expected
        assert my_data.summary(made.id, root).counts == [0, 0]


def test_a_picture_is_its_centre_square_shrunk_and_colour_stays_colour(root):
    made = _set(root)                                      # channels from the pictures
    rgb = np.zeros((60, 90, 3), np.uint8)
    rgb[:, :15] = (0, 255, 0)                               # cropped away: outside the centre square
    rgb[:, 15:75] = (200, 30, 30)
    sample_id = my_data.add_picture(made.id, 0, _png(rgb), root=root)
    stored = my_data.read_sample(made.id, sample_id, root)
    assert my_data.summary(made.id, root).channels == 3 and stored.shape == (28, 28, 3)
    assert np.all(np.abs(stored.astype(int) - (200, 30, 30)) <= 1)
    gray_set = _set(root, channels=1)
    stored = my_data.read_sample(gray_set.id, my_data.add_picture(gray_set.id, 0, _png(rgb), root=root), root)
    assert stored.shape == (28, 28) and abs(int(stored.mean()) - round(0.299 * 200 + 0.587 * 30 + 0.114 * 30)) <= 1


def test_a_drawing_on_paper_can_be_framed_as_a_drawing(root):
    made = _set(root)
    paper = np.full((120, 120), 255, np.uint8)         # below upload's shrink: framed from these pixels
    paper[20:100, 50:62] = 10                              # dark ink on white
    stored = my_data.read_sample(made.id, my_data.add_picture(made.id, 0, _png(paper), as_drawing=True,
                                                              root=root), root)
    expected = preprocess.to_model_input(255 - paper, preprocess.framing_for(None, 28))
    assert np.abs(stored / 255.0 - expected).max() < 0.02
    with pytest.raises(images.ImageError) as caught:
        my_data.add_picture(made.id, 0, _png(np.full((50, 50), 255, np.uint8)), as_drawing=True, root=root)
    assert caught.value.code == "blank"


def test_several_pictures_at_once_count_what_was_refused(root):
    made = _set(root)
    files = [("a.png", _noise(1)), ("b.png", b"not a picture"), ("c.png", b""), ("d.png", _noise(2))]
    report = my_data.add_pictures(made.id, 1, files, by="tok-c", root=root)
    assert report.added == 2 and report.skipped == {"not_image": 1, "empty": 1}
    assert my_data.summary(made.id, root).counts == [0, 2]


def test_deleting_a_sample_removes_its_file_and_a_second_delete_says_so(root):
    made = _set(root)
    sample_id = my_data.add_drawing(made.id, 0, _stroke(), root=root)
    my_data.delete_sample(made.id, sample_id, root)
    assert not (root / made.id / f"{sample_id}.png").exists() and my_data.summary(made.id, root).counts == [0, 0]
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.delete_sample(made.id, sample_id, root)
    assert caught.value.code == "no_sample"


def test_warnings_for_few_samples_and_an_unbalanced_set():
    base = dict(id="x", name="n", channels=1, side=28, owner="o")
    few = my_data.SetSummary(classes=["a", "b"], counts=[12, 3], **base)
    assert [c for c, _ in my_data.warnings(few)] == ["few", "unbalanced"]
    assert my_data.warnings(few)[0][1] == {"name": "b", "count": 3, "min": 10}
    assert my_data.warnings(my_data.SetSummary(classes=["a", "b"], counts=[12, 10], **base)) == []
    unbalanced = my_data.warnings(my_data.SetSummary(classes=["a", "b"], counts=[60, 20], **base))
    assert unbalanced == [("unbalanced", {"largest": "a", "most": 60, "smallest": "b", "least": 20})]


# ---------------------------------------------------------------- splits


def _filled(root, counts, held=0):
    made = _set(root, classes=[f"k{i}" for i in range(len(counts))], channels=1)
    ids = []
    for label, count in enumerate(counts):
        files = [(f"{label}-{i}.png", _noise(label * 1000 + i)) for i in range(count)]
        my_data.add_pictures(made.id, label, files, root=root)
    ids = [s.id for s in my_data.samples(made.id, root)]
    if held:
        my_data.set_held_out(made.id, ids[:held], True, root)
    return made


def test_splits_are_stratified_disjoint_deterministic_and_complete(root):
    made = _filled(root, [20, 10, 1, 3])
    sizes = my_data.split_sizes(made.id, root=root)
    parts = {s: my_data.load_split(made.id, s, root=root) for s in data.SPLITS}
    assert {s: len(d) for s, d in parts.items()} == sizes == {"train": 25, "val": 3, "test": 6}
    for split, ds in parts.items():
        assert ds.name == f"own-{made.id}" and ds.split == split and ds.input_shape == (1, 28, 28)
        assert ds.classes == ["k0", "k1", "k2", "k3"]
    per_class = {s: np.bincount(d.labels.numpy(), minlength=4).tolist() for s, d in parts.items()}
    # 20% test and 10% validation of each class, rounded down; a class of one or three samples only trains.
    assert per_class == {"train": [14, 7, 1, 3], "val": [2, 1, 0, 0], "test": [4, 2, 0, 0]}
    # Disjoint and complete: every stored picture is in exactly one split.
    stored = sorted(my_data.read_sample(made.id, s.id, root).tobytes() for s in my_data.samples(made.id, root))
    seen = sorted(img.numpy()[0].tobytes() for d in parts.values() for img in d.images)
    assert seen == stored
    again = my_data.load_split(made.id, "test", root=root)
    assert np.array_equal(again.images.numpy(), parts["test"].images.numpy())
    no_val = my_data.split_sizes(made.id, validation=False, root=root)
    assert no_val == {"train": 28, "val": 0, "test": 6}
    assert len(my_data.load_split(made.id, "train", validation=False, root=root)) == 28
    assert np.array_equal(my_data.load_split(made.id, "test", validation=False, root=root).images.numpy(),
                          parts["test"].images.numpy())
    with pytest.raises(ValueError):
        my_data.load_split(made.id, "val", validation=False, root=root)


def test_held_out_samples_are_in_no_split(root):
    made = _filled(root, [10, 10], held=4)
    assert my_data.summary(made.id, root).held_out == 4
    assert sum(my_data.split_sizes(made.id, root=root).values()) == 16
    held = my_data.load_held_out(made.id, root=root)
    assert len(held) == 4 and held.classes == ["k0", "k1"]


def test_a_deleted_set_says_so_to_a_run(root):
    made = _filled(root, [3, 3])
    my_data.delete_set(made.id, root)
    for call in (lambda: my_data.load_split(made.id, "train", root=root),
                 lambda: my_data.split_sizes(made.id, root=root)):
        with pytest.raises(data.DatasetUnavailable) as caught:
            call()
        assert caught.value.code == "own_missing" and caught.value.params["name"] == f"own-{made.id}"


def test_a_colour_set_loads_as_three_channels(root):
    made = _set(root)
    for i in range(3):
        my_data.add_picture(made.id, i % 2, _noise(i, colour=True), root=root)
    train = my_data.load_split(made.id, "train", root=root)
    assert train.input_shape == (3, 28, 28) and train.images.dtype.is_floating_point is False


# ---------------------------------------------------------------- zips


def test_export_then_import_gives_the_same_set_back(root):
    made = my_data.create_set(MARKUP, ["猫", "a/b", MARKUP], owner="tok-a", root=root)
    my_data.add_drawing(made.id, 0, _stroke("bar"), by="tok-b", root=root)
    my_data.add_drawing(made.id, 1, _stroke("ring"), by="tok-c", root=root)
    my_data.add_drawing(made.id, 2, _stroke("ring"), root=root)
    my_data.set_held_out(made.id, [my_data.samples(made.id, root)[1].id], True, root)
    blob = my_data.export_zip(made.id, root)
    names = zipfile.ZipFile(io.BytesIO(blob)).namelist()
    assert "cnn-lab.json" in names and all(".." not in n for n in names)
    copy, report = my_data.import_zip(blob, name="copy", owner="tok-z", root=root)
    assert report.added == 3 and not report.skipped
    assert copy.classes == made.classes and copy.counts == [1, 1, 1] and copy.held_out == 1
    assert sorted(s.by for s in my_data.samples(copy.id, root)) == ["", "tok-b", "tok-c"]  # who drew each, kept
    for a, b in zip(my_data.load_split(made.id, "train", root=root).images,
                    my_data.load_split(copy.id, "train", root=root).images):
        assert np.array_equal(a.numpy(), b.numpy())


def test_an_image_folder_zip_inside_one_top_folder_imports(root):
    files = {f"pets/{c}/{i}.png": _noise(hash((c, i)) % 1000, colour=(c == "cat")) for c in ("dog", "cat")
             for i in range(3)}
    files["pets/readme.txt"] = b"hello"
    files["__MACOSX/pets/cat/._0.png"] = b"junk"
    files["pets/cat/notes.txt"] = b"not a picture"
    files["pets/cat/broken.png"] = b"broken"
    made, report = my_data.import_zip(_zip(files), name="pets", owner="t", root=root)
    assert made.classes == ["cat", "dog"] and made.counts == [3, 3] and made.channels == 3
    assert report.added == 6 and report.skipped == {"not_image": 1} and report.ignored == 2


@pytest.mark.parametrize("files, links, code", [
    ({"../evil/a.png": b"x", "ok/b.png": b"y"}, (), "zip_unsafe_path"),
    ({"/etc/a.png": b"x"}, (), "zip_unsafe_path"),
    ({"c:\\win\\a.png": b"x"}, (), "zip_unsafe_path"),
    ({"a/..\\..\\b.png": b"x"}, (), "zip_unsafe_path"),
    ({"cat/a.png": b"x"}, [("dog/b.png", "/etc/passwd")], "zip_link"),
    ({"cat/a.txt": b"x", "dog/b.txt": b"y"}, (), "zip_no_pictures"),
    ({"a.png": b"x"}, (), "zip_no_pictures"),
    ({}, (), "zip_no_pictures"),
])
def test_unsafe_or_empty_zips_are_refused_with_their_reason(root, files, links, code):
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.import_zip(_zip(files, links=links), name="x", owner="t", root=root)
    assert caught.value.code == code
    assert my_data.list_sets(root) == []


def test_not_a_zip_and_too_much_are_refused(root, monkeypatch):
    for body in (b"PK\x03\x04 broken", b"", _noise(1)):
        with pytest.raises(my_data.MyDataError) as caught:
            my_data.import_zip(body, name="x", owner="t", root=root)
        assert caught.value.code == "zip_not_zip"
    many = _zip({f"c{i % 2}/{i}.png": b"x" for i in range(30)})
    monkeypatch.setattr(my_data, "MAX_ZIP_FILES", 20)
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.import_zip(many, name="x", owner="t", root=root)
    assert caught.value.code == "zip_too_many_files" and caught.value.params["count"] == "30"
    monkeypatch.setattr(my_data, "MAX_ZIP_FILES", 20_000)
    # A zip bomb: small packed, huge unpacked (as its directory declares it).
    bomb = _zip({"a/x.png": b"\0" * 3_000_000, "b/y.png": b"\0" * 3_000_000})
    monkeypatch.setattr(my_data, "MAX_ZIP_UNPACKED", 5_000_000)
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.import_zip(bomb, name="x", owner="t", root=root)
    assert caught.value.code == "zip_too_many_bytes" and len(bomb) < 100_000
    monkeypatch.setattr(my_data, "MAX_ZIP_BYTES", 1000)
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.import_zip(bomb, name="x", owner="t", root=root)
    assert caught.value.code == "zip_too_big"


def test_an_encrypted_entry_is_refused(root):
    blob = bytearray(_zip({"a/x.png": _noise(1), "b/y.png": _noise(2)}, mode=zipfile.ZIP_STORED))
    # Set the "encrypted" bit of the first entry in both its local header and the central directory.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = blob.find(signature)
        blob[at + offset] |= 1
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.import_zip(bytes(blob), name="x", owner="t", root=root)
    assert caught.value.code == "zip_encrypted"


def test_a_zip_with_one_folder_or_too_many_is_refused(root):
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.import_zip(_zip({"cat/a.png": _noise(1)}), name="x", owner="t", root=root)
    assert caught.value.code == "too_few_classes"
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.import_zip(_zip({f"c{i}/a.png": _noise(i) for i in range(11)}), name="x", owner="t", root=root)
    assert caught.value.code == "too_many_classes"


def test_a_zip_adds_to_the_classes_of_the_same_name(root):
    made = _set(root, classes=("Cat", "dog"))
    report = my_data.add_zip(made.id, _zip({"cat/a.png": _noise(1), "DOG/b.png": _noise(2), "bird/c.png": _noise(3)}),
                             by="tok-q", root=root)
    assert report.added == 2 and report.unknown_folders == ["bird"]
    assert my_data.summary(made.id, root).counts == [1, 1]
    with pytest.raises(my_data.MyDataError) as caught:
        my_data.add_zip(made.id, _zip({"fish/a.png": _noise(1)}), root=root)
    assert caught.value.code == "zip_no_matching_classes"


def test_ten_thousand_pictures_import_with_progress(root):
    rng = np.random.default_rng(0)
    files = {f"c{i % 3}/{i}.png": _png(rng.integers(0, 256, (16, 16), dtype=np.uint8)) for i in range(10_000)}
    blob = _zip(files, mode=zipfile.ZIP_STORED)
    seen = []
    start = time.perf_counter()
    made, report = my_data.import_zip(blob, name="big", owner="t", root=root,
                                      progress=lambda done, total: seen.append((done, total)))
    took = time.perf_counter() - start
    assert report.added == 10_000 and made.counts == [3334, 3333, 3333]
    assert seen[-1] == (20_000, 20_000) and len(seen) >= 100
    assert all(b[0] >= a[0] for a, b in zip(seen, seen[1:]))
    print(f"10,000 pictures imported in {took:.1f} s")
    start = time.perf_counter()
    assert len(my_data.load_split(made.id, "train", root=root)) == my_data.split_sizes(made.id, root=root)["train"]
    print(f"train split loaded in {time.perf_counter() - start:.1f} s")


# ---------------------------------------------------------------- two writers at once


def test_two_threads_adding_at_once_lose_nothing(root):
    made = _set(root)
    errors = []

    def writer(label: int):
        try:
            for _ in range(25):
                my_data.add_drawing(made.id, label, _stroke("bar" if label else "ring"), by=f"t{label}", root=root)
        except Exception as exc:      # pragma: no cover - shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(label,)) for label in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert my_data.summary(made.id, root).counts == [25, 25]
    assert len(list((root / made.id).glob("*.png"))) == 50


WRITER = """
import sys
import numpy as np
from pathlib import Path
from cnn import my_data
root, set_id, label, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rgba = np.zeros((280, 280, 4), np.uint8); rgba[..., 3] = 255; rgba[40:240, 100 + 20 * label:140 + 20 * label, :3] = 255
for _ in range(count):
    my_data.add_drawing(set_id, label, rgba, by=f"student{label}", root=root)
"""


def test_two_processes_adding_to_one_set_at_once_lose_nothing(root):
    made = _set(root)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(root), made.id, str(label), "40"], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}) for label in (0, 1)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    after = my_data.summary(made.id, root)
    assert after.counts == [40, 40]
    assert sorted({s.by for s in my_data.samples(made.id, root)}) == ["student0", "student1"]
    manifest = json.loads((root / made.id / "manifest.json").read_text())
    assert len({s["id"] for s in manifest["samples"]}) == 80


def test_an_import_stopped_midway_leaves_nothing_behind(root):
    """The page's progress bar raises when the student leaves mid-import (Streamlit stops the script there)."""
    made = _set(root)
    files = {f"{c}/{i}.png": _noise(i) for c in ("cat", "dog") for i in range(150)}

    def leave(done, total):
        if done > total // 2 + 100:        # in the writing half
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        my_data.add_zip(made.id, _zip(files), root=root, progress=leave)
    assert my_data.summary(made.id, root).counts == [0, 0]
    assert not list((root / made.id).glob("*.png"))
    with pytest.raises(KeyboardInterrupt):
        my_data.import_zip(_zip(files), name="new", owner="t", root=root, progress=leave)
    assert [s.id for s in my_data.list_sets(root)] == [made.id]
