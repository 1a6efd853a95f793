"""A run's cost in work: multiply-adds per image against torch's own FLOP counter, the run's total from the
data set's size and epochs, and the limit that refuses a network before it can hold the queue for hours."""

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from cnn import cost, data, models

# The issue's example: five 1024-filter convolutions, 37.8M parameters (under the 50M parameter limit).
HUGE = models.ModelSpec("huge", (1, 28, 28), [models._conv(1024, 3, padding=1) for _ in range(5)]
                        + [models._pool(size=14), models._pool(size=2), models.FLATTEN, models._dense(10)])
SEED = models.preset("seed-mnist")


def _counted(spec: models.ModelSpec) -> tuple[int, int]:
    """(forward, forward + backward) multiply-adds of one image, as torch counts them (2 FLOPs each)."""
    model = models.build(spec)
    x = torch.rand(1, *spec.input_shape)
    with FlopCounterMode(display=False) as forward:
        model(x)
    with FlopCounterMode(display=False) as both:
        F.cross_entropy(model(x), torch.tensor([0])).backward()
    return forward.get_total_flops() // 2, both.get_total_flops() // 2


@pytest.mark.parametrize("name", ["seed-mnist", "lenet5", "tinyvgg", "mnist-default", "shapes"])
def test_forward_multiply_adds_match_torchs_count(name):
    spec = models.preset(name)
    forward, both = _counted(spec)
    assert cost.forward_macs(spec) == forward
    # Backward is two products per forward one, except the first layer's gradient to the image (not needed):
    # the estimate is an upper bound within 15% of torch's count.
    per_image = cost.estimate(spec, "shapes" if spec.input_shape[1] == 72 else "mnist-5k", 1).per_image
    assert 0.85 * per_image <= both <= per_image


def test_the_huge_network_is_measured_as_the_issue_found_it():
    assert round(models.total_parameters(HUGE) / 1e6, 1) == 37.8
    assert round(cost.forward_macs(HUGE) / 1e9, 1) == 29.6


def test_the_runs_total_counts_every_epoch_the_validation_and_the_test():
    sizes = data.split_sizes("mnist-5k")
    assert sizes == {"train": 3500, "val": 500, "test": 1000}
    assert data.split_sizes("mnist", validation=False) == {"train": 60000, "val": 0, "test": 10000}
    assert data.split_sizes("shapes", count=64) == {"train": 64, "val": 30, "test": 30}
    found = cost.estimate(SEED, "mnist-5k", 3, speed=1e9)
    forward = cost.forward_macs(SEED)
    assert found.total == 3 * (3500 * 3 * forward + 500 * forward) + 1000 * forward
    assert found.seconds == pytest.approx(found.total / 1e9)


def test_the_limit_refuses_the_huge_network_and_allows_the_seed():
    speed = 2e10        # generous: faster than this machine trains the seed network
    assert cost.check(cost.estimate(SEED, "mnist-5k", 3, speed=speed)).allowed
    with pytest.raises(cost.TooCostly) as refused:
        cost.check(cost.estimate(HUGE, "mnist-5k", 3, speed=speed))
    assert refused.value.code == "too_slow" and refused.value.params["macs"] == "29.6 billion"
    assert "29.6 billion multiply-adds per image" in str(refused.value) and "10 min" in str(refused.value)
    # A class may lower the limit: then even the seed's 30 epochs of full MNIST are too long.
    with pytest.raises(cost.TooCostly):
        cost.check(cost.estimate(SEED, "mnist", 30, speed=speed, max_seconds=60))


def test_durations_read_in_both_languages():
    assert [cost.duration(s) for s in (0.2, 40, 61, 600, 3600, 28080, 3e6)] == \
        ["1 s", "40 s", "1 min", "10 min", "1 h", "7 h 48 min", "35 d"]


def test_this_machines_speed_is_measured_and_puts_the_seed_run_under_the_limit():
    speed = cost.measure_speed(steps=2, tries=2)
    assert 1e7 < speed < 1e13
    assert cost.estimate(SEED, "mnist-5k", 3, speed=speed).allowed
    assert not cost.estimate(HUGE, "mnist-5k", 3, speed=speed).allowed
