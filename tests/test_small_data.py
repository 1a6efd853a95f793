"""Networks and settings for a few dozen samples: the small presets build for gray and colour input, a colour
network learns an RGB convolution (a task only colour can solve), and small data gets settings that suit it."""

import numpy as np
import pytest
import torch

from cnn import cost, data, models, runner, train


@pytest.mark.parametrize("name, channels", [("small-gray", 1), ("small-rgb", 3)])
def test_the_small_presets_build_for_their_channels_and_fit_any_class_count(name, channels):
    spec = models.preset(name)
    assert spec.input_shape == (channels, 28, 28)
    assert models.total_parameters(spec) < 60_000 < models.total_parameters(models.preset("mnist-default"))
    for classes in (["✓", "✗"], ["猫", "狗", "鸟", "鱼"], [f"c{i}" for i in range(10)]):
        fitted = models.for_data(spec, (channels, 28, 28), classes)
        out = models.build(fitted)(torch.rand(2, channels, 28, 28))
        assert out.shape == (2, len(classes)) and fitted.classes == classes
    assert models.preset(name).classes == spec.classes            # the preset itself is unchanged


def colour_task(n: int, seed: int) -> data.Dataset:
    """Blobs whose class is their colour alone: red, green or blue, at random brightness, size and place, so
    a gray picture of one is the same as a gray picture of the others (only the colour tells them apart)."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 3, 12, 12), dtype=np.uint8)
    labels = np.arange(n) % 3
    for i, label in enumerate(labels):
        side = rng.integers(3, 7)
        top, left = rng.integers(0, 12 - side, 2)
        images[i, label, top:top + side, left:left + side] = rng.integers(120, 256)
    return data._dataset("colour", "train", images, labels, ["red", "green", "blue"])


def test_a_colour_network_learns_an_rgb_convolution_on_a_task_only_colour_solves():
    spec = models.ModelSpec("rgb", (3, 12, 12), [{"type": "conv", "filters": 4, "kernel": 3},
                                                 {"type": "activation", "name": "relu"},
                                                 {"type": "pool", "mode": "max", "size": 10},
                                                 {"type": "flatten"}, {"type": "dense", "units": 3}],
                            ["red", "green", "blue"])
    torch.manual_seed(0)
    model = models.build(spec)
    config = train.TrainConfig(epochs=30, batch_size=16, lr=1e-2, validation=False, precision="fp32")
    train.train(model, colour_task(60, 0), None, config)
    test = colour_task(60, 1)
    assert train.evaluate(model, test)["accuracy"] >= 0.9
    # It reads colour: the same pictures in gray (each channel the mean) leave it at chance or below.
    gray = test.images.float().mean(1, keepdim=True).expand(-1, 3, -1, -1).round().to(torch.uint8)
    assert train.evaluate(model, data.Dataset("gray", "test", gray, test.labels, test.classes))["accuracy"] < 0.6
    kernels = model[0].weight.detach()                               # (4, 3, 3, 3): the channels differ
    assert (kernels.std(1).mean() > 0.1 * kernels.abs().mean())


def test_small_data_gets_more_epochs_small_batches_and_augmentation():
    few = train.defaults_for(60)
    assert few.augment and few.batch_size <= 16 and few.epochs > train.TrainConfig().epochs
    assert train.max_epochs(60) > train.max_epochs(4000) == 30
    assert train.defaults_for(4000) == train.TrainConfig()


def test_the_cost_of_small_data_counts_its_many_short_steps():
    spec = models.preset("small-gray")
    mnist = cost.estimate(models.preset("seed-mnist"), "mnist-5k", 3, speed=1e9)
    with_steps = cost.estimate(models.preset("seed-mnist"), "mnist-5k", 3, speed=1e9, batch_size=64)
    assert with_steps.seconds > mnist.seconds
    assert with_steps.seconds - mnist.seconds == pytest.approx(
        3 * (55 * cost.STEP_SECONDS + cost.EPOCH_SECONDS), rel=1e-6)
    plan = runner.RunPlan("x", models.for_data(spec, (1, 28, 28), list("abc")), train.defaults_for(60), "mnist-5k")
    assert cost.for_plan(plan, speed=1e9).overhead > 0


def test_only_epochs_big_enough_teach_the_server_its_speed():
    spec = models.preset("small-gray")
    forward = cost.forward_macs(spec)
    assert cost.epoch_speed(spec, {"images_per_s": 500.0, "seconds": 7.0}) == 3 * forward * 500.0
    assert cost.epoch_speed(spec, {"images_per_s": 200.0, "seconds": 0.3}) is None     # 60 drawings
    assert cost.epoch_speed(spec, {"images_per_s": 0, "seconds": 1.0}) is None
    assert cost.epoch_speed(spec, {}) is None
