"""The model CNN Lab ships: safetensors + JSON, its recorded accuracy, and it reads real digits."""

from pathlib import Path

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


def test_shipped_model_reads_the_offline_digits():
    model, _ = models.load(SHIPPED)
    digits = data.load_dataset("mnist-5k", split="test")
    assert train.evaluate(model, digits)["accuracy"] > 0.98
