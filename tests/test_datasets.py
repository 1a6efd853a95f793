"""cnn.datasets: one description of every data set, held to the data itself; own sets plugged in through a
source defined in the test (tests/own_source.py) reach the loader, the split sizes, the cost, the presets,
training and the command line."""

import dataclasses
import json

import numpy as np
import pytest
import torch
from own_source import CLASSES, fake_set, own_sets

from cnn import cli, cost, data, datasets, models, preprocess, runner, train

BUILTINS = ("mnist-5k", "shapes", "mnist", "fashion-mnist")


def test_the_built_ins_are_listed_offline_ones_first():
    assert datasets.builtin_names() == BUILTINS
    assert datasets.names()[:4] == BUILTINS
    assert [datasets.describe(n).offline for n in BUILTINS] == [True, True, False, False]
    assert set(data.DATASETS) == set(BUILTINS)
    assert all(not datasets.describe(n).own and datasets.describe(n).builtin for n in BUILTINS)


@pytest.mark.parametrize("name", ["mnist-5k", "shapes"])
def test_a_built_in_description_matches_its_data(name):
    """Classes, channels, side and split sizes, against the loaded splits themselves."""
    info = datasets.describe(name)
    for split in data.SPLITS:
        ds = data.load_dataset(name, split=split)
        assert ds.classes == list(info.classes)
        assert ds.input_shape == info.input_shape
        assert len(ds) == info.splits[split] == data.split_sizes(name)[split]
        assert set(np.unique(ds.labels.numpy())) == set(range(len(info.classes)))
    train_all = data.load_dataset(name, split="train", validation=False)
    assert len(train_all) == data.split_sizes(name, validation=False)["train"]


def test_built_in_facts_stay_as_they_were():
    """The values each page spelled before this description existed (network editor, preprocess, views)."""
    assert {n: datasets.describe(n).input_shape for n in BUILTINS} == {
        "mnist-5k": (1, 28, 28), "mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28), "shapes": (1, 72, 72)}
    assert datasets.describe("mnist").framing == preprocess.Framing(28, 20, "mass")
    assert datasets.describe("mnist-5k").framing == preprocess.Framing(28, 20, "mass")
    assert datasets.describe("fashion-mnist").framing == preprocess.Framing(28, 28, "box")
    assert datasets.describe("shapes").framing == preprocess.Framing(72, None, "box")
    assert preprocess.FRAMINGS["shapes"] == datasets.describe("shapes").framing
    assert {n: datasets.subject(n) for n in BUILTINS} == {"mnist-5k": "digit", "mnist": "digit",
                                                         "fashion-mnist": "clothing", "shapes": "shape"}
    assert datasets.subject(None) == datasets.subject("nothing-like-it") == "digit"
    assert data.split_sizes("mnist") == {"train": 55_000, "val": 5_000, "test": 10_000}
    assert data.split_sizes("fashion-mnist", validation=False) == {"train": 60_000, "val": 0, "test": 10_000}
    assert data.split_sizes("mnist-5k", validation=False) == {"train": 4_000, "val": 0, "test": 1_000}
    assert datasets.describe("mnist").flips is False and datasets.describe("shapes").flips is True
    assert len(datasets.describe("fashion-mnist").classes) == 10


@pytest.mark.parametrize("name", BUILTINS)
def test_a_built_in_is_offered_the_presets_made_for_its_input(name):
    info = datasets.describe(name)
    expected = [p for p, s in models.PRESETS.items() if tuple(s.input_shape) == info.input_shape]
    assert list(info.presets) == expected and expected
    for preset in info.presets:
        spec = datasets.preset_spec(name, preset)
        if models.preset(preset).classes == list(info.classes):
            assert spec.to_dict() == models.preset(preset).to_dict()     # a built-in's preset, untouched
        else:                                                            # a small preset, made for any classes
            assert spec.classes == list(info.classes) and spec.layers[-1]["units"] == len(info.classes)
            assert tuple(spec.input_shape) == info.input_shape
        assert tuple(spec.input_shape) == info.input_shape


def test_framing_of_an_unknown_set_or_another_side_is_mnists_scaled():
    assert preprocess.framing_for(None, 28) == preprocess.MNIST
    assert preprocess.framing_for("mnist", 56) == preprocess.Framing(56, 40, "mass")
    assert preprocess.framing_for("own-gone", 28) == preprocess.MNIST


def test_a_description_is_read_only():
    info = datasets.describe("shapes")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.side = 28
    with pytest.raises(TypeError):
        info.splits["train"] = 1
    assert data.SHAPES_COUNTS == {"train": 3000, "val": 600, "test": 600}


def test_an_unknown_name_is_refused_with_the_known_ones():
    assert datasets.find("own-nothing") is None and datasets.find(None) is None
    with pytest.raises(datasets.UnknownDataset, match="mnist-5k"):
        datasets.describe("own-nothing")
    with pytest.raises(ValueError, match="Unknown data set"):
        data.load_dataset("cifar", split="test")
    with pytest.raises(ValueError, match="Unknown data set"):
        data.split_sizes("cifar")


def test_a_source_cannot_take_a_built_in_prefix():
    with pytest.raises(ValueError):
        datasets.register_source("mnist", names=list, describe=lambda n: None, load=lambda *a, **k: None)


# ---------------------------------------------------------------- an own set, through a source


def test_a_registered_source_lists_describes_loads_and_sizes_its_sets():
    rgb, gray = fake_set(channels=3), fake_set(channels=1, side=32, per_class=10, classes=("a", "b"), label="AB")
    with own_sets({"own-rgb": rgb, "own-gray": gray}):
        assert datasets.names() == BUILTINS + ("own-rgb", "own-gray")
        assert datasets.own_names() == ("own-rgb", "own-gray")
        info = datasets.describe("own-rgb")
        assert info.own and not info.builtin and info.label == "My symbols" and info.subject == "sample"
        assert info.classes == CLASSES and info.input_shape == (3, 28, 28)
        for split in data.SPLITS:
            ds = data.load_dataset("own-rgb", split=split)
            pick = rgb.split(split)
            assert torch.equal(ds.images, torch.from_numpy(rgb.images[pick]))
            assert torch.equal(ds.labels, torch.from_numpy(rgb.labels[pick]))
            assert ds.classes == list(CLASSES) and ds.name == "own-rgb"
            assert len(ds) == info.splits[split] == data.split_sizes("own-rgb")[split]
        # The worker and runner.run pass the built-ins' keywords too; a source ignores what is not its own.
        ds = data.load_dataset("own-rgb", None, "train", count=None, size=72, validation=False)
        assert len(ds) == data.split_sizes("own-rgb", validation=False)["train"] == len(rgb.split("train", False))
        assert data.split_sizes("own-rgb", validation=False)["val"] == 0
        assert datasets.describe("own-gray").input_shape == (1, 32, 32)
        assert preprocess.framing_for("own-gray", 32) == preprocess.Framing(32, 23, "mass")
    assert datasets.names() == BUILTINS and datasets.find("own-rgb") is None


def test_a_source_may_give_its_own_split_sizes():
    rgb = fake_set()
    with own_sets({"own-rgb": rgb}):
        datasets.register_source("own-", names=lambda: ["own-rgb"], describe=lambda n: None,
                                 load=lambda *a, **k: None, sizes=lambda name, validation=True: {
                                     "train": 7, "val": 2 if validation else 0, "test": 3})
        assert data.split_sizes("own-rgb") == {"train": 7, "val": 2, "test": 3}
        assert data.split_sizes("own-rgb", validation=False)["val"] == 0


def test_an_rgb_set_gets_presets_adapted_to_three_channels_and_its_classes():
    with own_sets({"own-rgb": fake_set(channels=3)}):
        info = datasets.describe("own-rgb")
        # Every 28-pixel preset, once: small-gray and small-rgb become one network for colour (small-rgb).
        assert set(info.presets) == {p for p, s in models.PRESETS.items()
                                     if tuple(s.input_shape[1:]) == (28, 28)} - {"small-gray"}
        for preset in info.presets:
            spec = datasets.preset_spec("own-rgb", preset)
            assert tuple(spec.input_shape) == (3, 28, 28) and spec.classes == list(CLASSES)
            model = models.build(spec).eval()
            first = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
            assert first.weight.shape[1] == 3                  # the first convolution takes the three colours
            with torch.no_grad():
                assert model(torch.rand(2, 3, 28, 28)).shape == (2, 3)
        # The preset itself is untouched: another page still gets the gray digits' network.
        assert tuple(models.preset(info.presets[0]).input_shape) == (1, 28, 28)


def test_a_set_of_an_unusual_side_gets_the_presets_that_still_build():
    with own_sets({"own-40": fake_set(channels=1, side=40, per_class=5)}):
        info = datasets.describe("own-40")
        assert info.presets
        for preset in info.presets:
            rows = models.summary(datasets.preset_spec("own-40", preset))
            assert rows[-1].output_shape == (3,)


def test_the_cost_of_a_run_on_an_own_set_counts_its_images():
    rgb = fake_set(per_class=20)
    with own_sets({"own-rgb": rgb}):
        spec = datasets.preset_spec("own-rgb", "seed-mnist")
        found = cost.estimate(spec, "own-rgb", epochs=2)
        sizes = data.split_sizes("own-rgb")
        forward = cost.forward_macs(spec)
        assert found.total == 2 * (sizes["train"] * 3 * forward + sizes["val"] * forward) + sizes["test"] * forward
        assert found.images == len(rgb.split("train"))


def test_a_run_on_an_own_rgb_set_trains_and_is_tested(tmp_path):
    """runner.run (what the worker runs) on the fake set: a few epochs, the model has 3 input channels and
    the set's classes, and its test report counts the set's test images."""
    with own_sets({"own-rgb": fake_set(per_class=20)}):
        spec = datasets.preset_spec("own-rgb", "seed-mnist")
        config = train.TrainConfig(epochs=4, batch_size=16, lr=3e-3, device="cpu", precision="fp32")
        outcome = runner.run(tmp_path / "run", runner.RunPlan("mine", spec, config, "own-rgb"))
        assert outcome.status == "finished"
        assert outcome.report["accuracy"] >= 0.9         # the classes differ in colour and place: easy
        assert np.array(outcome.report["confusion"]).shape == (3, 3)
        saved = json.loads((tmp_path / "run" / "model.json").read_text())
        assert saved["dataset"] == "own-rgb" and saved["spec"]["classes"] == list(CLASSES)
        assert saved["spec"]["input_shape"] == [3, 28, 28]


def test_the_command_line_knows_own_sets(tmp_path, capsys):
    with own_sets({"own-rgb": fake_set(per_class=10)}):
        code = cli.main(["--dataset", "own-rgb", "--preset", "seed-mnist", "--epochs", "1", "--batch-size", "8",
                           "--precision", "fp32", "--out", str(tmp_path / "cli")])
        assert code == 0, capsys.readouterr().err
        assert json.loads((tmp_path / "cli" / "model.json").read_text())["spec"]["input_shape"] == [3, 28, 28]
    with pytest.raises(SystemExit):
        cli.main(["--dataset", "own-rgb", "--out", str(tmp_path / "gone")])


def test_a_process_of_the_server_imports_the_sources_its_environment_names(tmp_path):
    """The training worker and the filter search are processes of their own: CNN_LAB_DATASET_SOURCES makes
    each import the modules that register a server's sources, as SOURCE_MODULES does."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    env = {**os.environ, "CNN_LAB_DATASET_SOURCES": "fake_own_sets",
           "PYTHONPATH": os.pathsep.join([str(tests), str(tests.parent)])}
    script = ("from cnn import data, datasets; print(datasets.names()[-1], len(data.load_dataset('own-symbols', "
              "split='test')), datasets.describe('own-symbols').input_shape)")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["own-symbols", "12", "(3,", "28,", "28)"]
    assert "own-symbols" not in datasets.names()          # this process was not told
