"""Translation invariance: shifting, the maps that shift with the digit, and the prediction that stays."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnn import images, inspect, invariance, models, ops

SHIPPED = "assets/models/mnist-default"


@pytest.mark.parametrize("down,right", [(0, 0), (2, 3), (-1, 4), (3, -2), (-5, -5), (28, 0)])
def test_shift_matches_torch_roll_with_zeros_coming_in(down, right):
    image = np.arange(1, 28 * 28 + 1, dtype=np.float64).reshape(28, 28)
    want = torch.zeros(28 + 2 * 28, 28 + 2 * 28, dtype=torch.float64)
    want[28:56, 28:56] = torch.tensor(image)
    want = torch.roll(want, (down, right), (0, 1))[28:56, 28:56].numpy()
    np.testing.assert_array_equal(invariance.shift(image, down, right), want)
    assert invariance.shift(image[None], down, right).shape == (1, 28, 28)


def test_the_first_layers_map_shifts_with_the_digit():
    model, spec = models.load(SHIPPED)
    digit, _ = images.mnist_digit(0)
    shifted = invariance.shift(digit, 2, 3)
    before = inspect.trace(model, spec, digit).layers[0].values     # (32, 24, 24) conv maps
    after = inspect.trace(model, spec, shifted).layers[0].values
    # Away from the edges (and the digit stays inside the frame), the map is the same map moved.
    np.testing.assert_allclose(after[:, 2:, 3:], before[:, :-2, :-3], atol=1e-5)
    weight = model[0].weight.detach().double()
    reference = F.conv2d(torch.tensor(shifted)[None, None], weight, model[0].bias.detach().double())[0].numpy()
    np.testing.assert_allclose(after, reference, atol=1e-4)


def test_the_prediction_stays_for_small_shifts():
    model, spec = models.load(SHIPPED)
    digit, label = images.mnist_digit(0)
    found = invariance.sweep(model, spec, digit, range(0, 4))
    assert list(found.answers) == [label] * 4
    for k, s in enumerate(found.shifts):
        want = inspect.predict(model, spec, invariance.shift(digit, s, s))
        np.testing.assert_allclose(found.probabilities[k], want, atol=1e-5)
    assert invariance.sweep(model, spec, digit, [2], down=False).probabilities == pytest.approx(
        inspect.predict(model, spec, invariance.shift(digit, 0, 2))[None], abs=1e-5)


def test_a_one_pixel_shift_inside_a_pool_window_leaves_the_pooled_cell():
    feature = np.zeros((4, 4))
    feature[2, 0] = 9.0
    moved = invariance.shift(feature, 0, 1)
    pooled, pooled_moved = (ops.pool2d(m, size=2, stride=2, mode="max") for m in (feature, moved))
    assert invariance.pooled_cell(2, 0) == invariance.pooled_cell(2, 1) == (1, 0)
    np.testing.assert_array_equal(pooled, pooled_moved)
    assert not invariance.changed_cells(pooled, pooled_moved).any()
    assert invariance.changed_cells(feature, moved).sum() == 2
    twice = ops.pool2d(invariance.shift(feature, 0, 2), size=2, stride=2, mode="max")
    assert np.argwhere(twice == 9.0).tolist() == [[1, 1]] == [list(invariance.pooled_cell(2, 2))]
    with pytest.raises(ValueError):
        invariance.pooled_cell(1, 1, size=3, stride=2)


def test_relative_change():
    assert invariance.relative_change(np.ones(4), np.ones(4)) == 0.0
    assert invariance.relative_change(np.array([1.0, 1.0]), np.array([2.0, 0.0])) == pytest.approx(1.0)
    assert invariance.relative_change(np.zeros(3), np.zeros(3)) == 0.0
