"""The Lab's kernel bank: every edit is a pure function with the rules a person expects."""

import numpy as np
import pytest

from cnn import kernel_bank, kernels, ops


def test_a_new_bank_holds_each_kernels_default_preset():
    bank = kernel_bank.start(filters=3, channels=1)
    assert bank.shape == (3, 1, 3, 3)
    for m, name in enumerate(("sobel_x", "sobel_y", "laplacian")):
        np.testing.assert_array_equal(bank[m, 0], kernels.preset(name))


def test_fit_keeps_edited_kernels_and_copies_channel_one_to_new_channels():
    bank = kernel_bank.set_slice(kernel_bank.start(2), 1, 0, np.arange(9.0).reshape(3, 3))
    grown = kernel_bank.fit(bank, 3, 3)                 # a colour input and one more kernel
    assert grown.shape == (3, 3, 3, 3)
    for c in range(3):
        np.testing.assert_array_equal(grown[1, c], np.arange(9.0).reshape(3, 3))
    np.testing.assert_array_equal(grown[2, 0], kernels.preset("laplacian"))
    shrunk = kernel_bank.fit(grown, 1, 1)
    np.testing.assert_array_equal(shrunk[0, 0], kernels.preset("sobel_x"))
    assert bank.shape == (2, 1, 3, 3)                   # the argument is never changed


def test_resize_remakes_scalable_presets_and_pads_the_rest_around_the_centre():
    bank = kernel_bank.load_preset(kernel_bank.start(2), 1, "gaussian")
    big = kernel_bank.resize(bank, 5, ["sobel_x", "gaussian"])
    np.testing.assert_array_equal(big[0, 0, 1:4, 1:4], kernels.preset("sobel_x"))
    assert big[0, 0].sum() == 0 and np.count_nonzero(big[0, 0]) == 6
    np.testing.assert_allclose(big[1, 0], kernels.preset("gaussian", 5))
    back = kernel_bank.resize(big, 3, ["sobel_x", "custom"])
    np.testing.assert_array_equal(back[0, 0], kernels.preset("sobel_x"))
    with pytest.raises(ValueError):
        kernel_bank.resize(bank, 9)


def test_load_preset_at_another_size_keeps_the_size():
    bank = kernel_bank.resize(kernel_bank.start(1), 5)
    loaded = kernel_bank.load_preset(bank, 0, "diagonal")
    assert loaded.shape == (1, 1, 5, 5)
    np.testing.assert_array_equal(loaded[0, 0, 1:4, 1:4], kernels.preset("diagonal"))
    np.testing.assert_array_equal(kernel_bank.load_preset(loaded, 0, "custom"), loaded)


def test_randomise_and_normalise_touch_only_the_chosen_kernel():
    bank = kernel_bank.start(2, 3)
    rng = np.random.default_rng(0)
    random = kernel_bank.randomise(bank, 1, rng)
    np.testing.assert_array_equal(random[0], bank[0])
    assert not np.array_equal(random[1], bank[1]) and np.abs(random[1]).max() <= np.sqrt(6 / 27) + 0.01
    blurred = kernel_bank.load_preset(bank, 0, "box_blur") * 3
    normal = kernel_bank.normalise(blurred, 0)
    assert normal[0].sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(normal[1], blurred[1])


def test_a_1x1_kernel_gets_presets_that_mean_something():
    """Sobel x cropped to 1x1 is its centre, 0: a blank map. At 1x1 the presets weigh channels instead."""
    assert kernel_bank.presets_for(1, 1) == ("identity",)
    assert set(kernel_bank.presets_for(1, 3)) == {"red", "green", "blue", "grey"}
    assert kernel_bank.fallback_preset(0, 1, 3) == "grey" and kernel_bank.fallback_preset(0, 1, 1) == "identity"
    assert kernel_bank.fallback_preset(0, 3, 3) == "sobel_x"
    rgb = np.random.default_rng(2).uniform(0, 1, (3, 5, 6))
    grey = kernel_bank.load_preset(np.zeros((1, 3, 1, 1)), 0, "grey")
    np.testing.assert_allclose(ops.conv2d(rgb, grey)[0], 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2], atol=1e-12)
    green = kernel_bank.load_preset(np.zeros((1, 3, 1, 1)), 0, "green")
    np.testing.assert_allclose(ops.conv2d(rgb, green)[0], rgb[1], atol=1e-12)
    grown = kernel_bank.resize(green, 3, ["green"])       # a larger kernel keeps it: the green channel, centred
    np.testing.assert_allclose(ops.conv2d(rgb, grown, padding="same")[0], rgb[1], atol=1e-12)
    with pytest.raises(ValueError):
        kernel_bank.load_preset(np.zeros((1, 1, 1, 1)), 0, "red")
