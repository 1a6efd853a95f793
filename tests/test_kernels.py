"""cnn.kernels: the presets, and the editor's normalise / resize / random_kernel."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnn import kernels, ops

SETTINGS = settings(max_examples=60, deadline=None)
SIZES = range(kernels.MIN_SIZE, kernels.MAX_SIZE + 1)
NAMED = ("identity", "box_blur", "gaussian", "sharpen", "laplacian", "sobel_x", "sobel_y",
         "prewitt_x", "prewitt_y", "emboss", "outline", "diagonal")
EDGE_DETECTORS = ("laplacian", "sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "outline")


# ---------------------------------------------------------------- presets


@pytest.mark.parametrize("name", NAMED)
def test_every_named_preset_exists_as_a_3x3_float_array(name):
    assert name in kernels.PRESETS
    k = kernels.preset(name)
    assert isinstance(k, np.ndarray)
    assert k.dtype == np.float64
    assert k.shape == (3, 3)
    assert np.all(np.isfinite(k))
    assert np.any(k != 0)


def test_diagonal_preset_values():
    np.testing.assert_array_equal(kernels.preset("diagonal"), [[1, -1, -1], [-1, 1, -1], [-1, -1, 1]])


def test_gradient_presets_are_transposes_and_antisymmetric():
    for x_name, y_name in (("sobel_x", "sobel_y"), ("prewitt_x", "prewitt_y")):
        kx, ky = kernels.preset(x_name), kernels.preset(y_name)
        np.testing.assert_array_equal(ky, kx.T)
        np.testing.assert_array_equal(kx[:, ::-1], -kx)  # flipping left-right negates an x gradient
        np.testing.assert_array_equal(kx[:, 1], 0)
    np.testing.assert_array_equal(kernels.preset("sobel_x")[:, 2], [1, 2, 1])  # Sobel weights the centre row
    np.testing.assert_array_equal(kernels.preset("prewitt_x")[:, 2], [1, 1, 1])


@pytest.mark.parametrize("name", EDGE_DETECTORS)
def test_edge_detectors_ignore_flat_regions(name):
    k = kernels.preset(name)
    assert k.sum() == 0
    flat = np.full((6, 6), 3.7)
    np.testing.assert_allclose(ops.conv2d(flat, k), 0.0, atol=1e-12)


@pytest.mark.parametrize("name", ["identity", "sharpen", "emboss", "box_blur", "gaussian"])
def test_brightness_keeping_presets_leave_flat_regions_alone(name):
    k = kernels.preset(name)
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    flat = np.full((5, 5), 2.5)
    np.testing.assert_allclose(ops.conv2d(flat, k), 2.5, rtol=1e-12)


def test_gradient_presets_respond_to_their_direction():
    ramp = np.tile(np.arange(6.0), (6, 1))  # brightens left to right
    assert np.all(ops.conv2d(ramp, kernels.preset("sobel_x")) > 0)
    np.testing.assert_allclose(ops.conv2d(ramp, kernels.preset("sobel_y")), 0.0, atol=1e-12)
    assert np.all(ops.conv2d(ramp.T, kernels.preset("prewitt_y")) > 0)
    np.testing.assert_allclose(ops.conv2d(ramp.T, kernels.preset("prewitt_x")), 0.0, atol=1e-12)


def test_laplacian_and_outline_light_up_an_isolated_dot():
    dot = np.zeros((5, 5))
    dot[2, 2] = 1.0
    for name in ("laplacian", "outline"):
        out = ops.conv2d(dot, kernels.preset(name), padding="same")
        assert abs(out[2, 2]) == np.abs(out).max() > 0  # strongest response on the dot itself
        assert out[2, 1] * out[2, 2] < 0  # and the opposite sign beside it
        assert out[0, 0] == 0  # nothing far away


def test_diagonal_prefers_the_main_diagonal_stroke():
    main = np.eye(5)
    anti = np.fliplr(main)
    k = kernels.preset("diagonal")
    assert k.sum() == -3.0
    assert ops.conv2d(main, k).max() == 3.0
    assert ops.conv2d(main, k).max() > ops.conv2d(anti, k).max()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("pad_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("method", ["numpy", "torch"])
def test_identity_with_same_padding_returns_the_input(size, pad_mode, method):
    k = kernels.preset("identity", size)
    assert k.shape == (size, size) and k.sum() == 1.0 and np.count_nonzero(k) == 1
    image = np.random.default_rng(size).uniform(-1, 1, (size + 3, size + 5))
    got = ops.conv2d(image, k, padding="same", pad_mode=pad_mode, method=method)
    np.testing.assert_allclose(got, image, rtol=0, atol=1e-6 if method == "torch" else 0)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", ["gaussian", "box_blur"])
def test_blurs_sum_to_one_and_are_symmetric(name, size):
    k = kernels.preset(name, size)
    assert k.shape == (size, size)
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(k > 0)
    np.testing.assert_allclose(k, k.T, rtol=1e-15)
    np.testing.assert_allclose(k, k[::-1, ::-1], rtol=1e-15)
    assert np.linalg.matrix_rank(k) == 1  # separable


def test_box_blur_is_uniform_and_gaussian_peaks_in_the_middle():
    np.testing.assert_allclose(kernels.preset("box_blur", 5), np.full((5, 5), 1 / 25))
    for size in (3, 5, 7):
        g = kernels.preset("gaussian", size)
        c = size // 2
        assert g[c, c] == g.max()
        assert g[0, 0] == g.min() < g[c, c]
        assert np.all(np.diff(g[c, : c + 1]) > 0)  # rises towards the centre


@pytest.mark.parametrize("name", ["identity", "box_blur", "gaussian"])
@pytest.mark.parametrize("size", [0, -1, kernels.MAX_SIZE + 1, 100])
def test_scalable_presets_reject_sizes_out_of_range(name, size):
    with pytest.raises(ValueError):
        kernels.preset(name, size)


@pytest.mark.parametrize("name", ["blur", "Sobel_x", "", "identity "])
def test_unknown_preset_raises(name):
    with pytest.raises(ValueError):
        kernels.preset(name)


def test_preset_returns_a_fresh_array():
    k = kernels.preset("sharpen")
    k[:] = 0
    assert kernels.preset("sharpen")[1, 1] == 5
    g = kernels.preset("gaussian", 5)
    g[:] = 0
    assert kernels.preset("gaussian", 5).sum() == pytest.approx(1.0)


# ---------------------------------------------------------------- normalise


kernel_arrays = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 7), st.integers(1, 7)).map(lambda s: (s[0], s[0])),
    elements=st.floats(-10, 10, allow_nan=False, allow_infinity=False),
)


@SETTINGS
@given(kernel_arrays)
def test_normalise_makes_weights_sum_to_one(k):
    assume(abs(k.sum()) > 1e-6)
    before = k.copy()
    n = kernels.normalise(k)
    assert n.sum() == pytest.approx(1.0, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(n * k.sum(), k, rtol=1e-9, atol=1e-9)  # only scaled
    np.testing.assert_array_equal(k, before)


@SETTINGS
@given(kernel_arrays)
def test_normalise_zero_sum_kernel_gets_unit_absolute_sum(k):
    k = k - k.mean()
    assume(abs(k.sum()) <= 1e-12 and np.abs(k).sum() > 1e-6)
    n = kernels.normalise(k)
    assert np.abs(n).sum() == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(n * np.abs(k).sum(), k, rtol=1e-9, atol=1e-12)


def test_normalise_examples():
    np.testing.assert_allclose(kernels.normalise(np.ones((3, 3))), np.full((3, 3), 1 / 9))
    np.testing.assert_allclose(kernels.normalise([[2.0, 0.0], [0.0, 2.0]]), [[0.5, 0.0], [0.0, 0.5]])
    sobel = kernels.normalise(kernels.preset("sobel_x"))
    np.testing.assert_allclose(sobel, kernels.preset("sobel_x") / 8)
    np.testing.assert_allclose(kernels.normalise(-np.ones((2, 2))), np.full((2, 2), 0.25))  # sign flips
    zeros = np.zeros((3, 3))
    out = kernels.normalise(zeros)
    np.testing.assert_array_equal(out, zeros)
    assert out is not zeros
    np.testing.assert_allclose(kernels.normalise(kernels.preset("gaussian", 5)), kernels.preset("gaussian", 5))


# ---------------------------------------------------------------- resize


odd_sizes = st.sampled_from([1, 3, 5, 7])


@SETTINGS
@given(kernel_arrays, st.integers(1, 7))
def test_resize_grow_then_shrink_round_trips(k, extra):
    size = k.shape[0] + extra
    grown = kernels.resize(k, size)
    assert grown.shape == (size, size)
    assert np.count_nonzero(grown) == np.count_nonzero(k)  # only zeros added
    assert grown.sum() == pytest.approx(k.sum(), abs=1e-9)
    np.testing.assert_array_equal(kernels.resize(grown, k.shape[0]), k)


@SETTINGS
@given(odd_sizes.flatmap(lambda n: hnp.arrays(np.float64, (n, n), elements=st.floats(-5, 5))), odd_sizes)
def test_resize_keeps_the_centre_for_odd_sizes(k, size):
    out = kernels.resize(k, size)
    old_c, new_c = k.shape[0] // 2, size // 2
    assert out.shape == (size, size)
    assert out[new_c, new_c] == k[old_c, old_c]
    r = min(old_c, new_c)  # the shared centred block is kept, the rest is zero
    np.testing.assert_array_equal(out[new_c - r:new_c + r + 1, new_c - r:new_c + r + 1],
                                  k[old_c - r:old_c + r + 1, old_c - r:old_c + r + 1])
    assert np.count_nonzero(out) == np.count_nonzero(k[old_c - r:old_c + r + 1, old_c - r:old_c + r + 1])


def test_resize_examples():
    k = np.arange(1.0, 10.0).reshape(3, 3)
    np.testing.assert_array_equal(kernels.resize(k, 1), [[5.0]])
    grown = kernels.resize(k, 5)
    np.testing.assert_array_equal(grown[1:4, 1:4], k)
    assert grown.sum() == k.sum()
    np.testing.assert_array_equal(kernels.resize(k, 3), k)


def test_resize_moves_the_identity_centre_to_the_new_centre():
    """The centre of a k x k kernel is where preset('identity', k) puts its 1: index (k-1)//2, the pixel
    torch's 'same' padding lines up with each output. Resizing should carry the centre there, so an
    identity kernel stays an identity (and an edited kernel does not shift the image) at every size."""
    wrong = []
    for old in SIZES:
        for new in SIZES:
            resized = kernels.resize(kernels.preset("identity", old), new)
            if not np.array_equal(resized, kernels.preset("identity", new)):
                wrong.append(f"{old}->{new}: 1 at {tuple(int(i) for i in np.argwhere(resized)[0])}, "
                             f"identity has it at {((new - 1) // 2,) * 2}")
    assert not wrong, "resize(preset('identity', old), new) != preset('identity', new) for " + "; ".join(wrong)


# ---------------------------------------------------------------- random_kernel


@SETTINGS
@given(st.integers(1, 7), st.one_of(st.none(), st.integers(1, 4)), st.integers(0, 2**32 - 1))
def test_random_kernel_shape_bound_rounding_and_seed(size, channels, seed):
    k = kernels.random_kernel(size, np.random.default_rng(seed), channels)
    assert k.shape == ((size, size) if channels is None else (channels, size, size))
    bound = np.sqrt(6.0 / (size * size * (channels or 1)))
    assert np.all(np.abs(k) <= bound + 0.005)
    np.testing.assert_allclose(k, np.round(k, 2), atol=1e-12)
    np.testing.assert_array_equal(k, kernels.random_kernel(size, np.random.default_rng(seed), channels))


def test_random_kernel_varies():
    rng = np.random.default_rng(7)
    k = kernels.random_kernel(5, rng)
    assert len(np.unique(k)) > 5
    assert np.any(k < 0) and np.any(k > 0)
    assert not np.array_equal(k, kernels.random_kernel(5, rng))
