"""cnn.ops against torch.nn.functional (float64 where torch allows it) and against the spec's formulas."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnn import ops

SETTINGS = settings(max_examples=60, deadline=None)
PAD_MODES = ("zeros", "reflect", "replicate", "circular")
TORCH_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


# ---------------------------------------------------------------- references, written from the spec


def as_pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def reference_pads(padding, kernel_hw, dilation_hw):
    """((top, bottom), (left, right)) as the spec defines each padding form."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        sides = []
        for k, d in zip(kernel_hw, dilation_hw):
            total = d * (k - 1)
            sides.append((total // 2, total - total // 2))
        return tuple(sides)
    if padding == "full":
        return tuple((d * (k - 1), d * (k - 1)) for k, d in zip(kernel_hw, dilation_hw))
    ph, pw = as_pair(padding)
    return (ph, ph), (pw, pw)


def to_mckk(kernel, channels):
    w = np.asarray(kernel, dtype=np.float64)
    if w.ndim == 2:
        return w[None, None]
    if w.ndim == 3:
        return w[None]
    return w


def reference_conv(image, kernel, *, stride=1, padding=0, dilation=1, bias=0.0, pad_mode="zeros"):
    """torch.nn.functional in float64. Raises whatever torch raises for impossible arguments."""
    x = torch.from_numpy(np.asarray(image, dtype=np.float64))
    if x.ndim == 2:
        x = x[None]
    w = torch.from_numpy(to_mckk(kernel, x.shape[0]).copy())
    maps, _, kh, kw = w.shape
    b = torch.from_numpy(np.broadcast_to(np.asarray(bias, dtype=np.float64), (maps,)).copy())
    s, d = as_pair(stride), as_pair(dilation)
    x = x[None]
    if padding == "same" and s == (1, 1):
        if pad_mode == "zeros":
            with warnings.catch_warnings():  # torch notes that an even kernel needs a padded copy
                warnings.simplefilter("ignore", UserWarning)
                out = F.conv2d(x, w, b, stride=1, padding="same", dilation=d)
        else:  # torch's own 'same' with a fill mode: nn.Conv2d pads with F.pad, extra pixel after
            conv = torch.nn.Conv2d(w.shape[1], maps, (kh, kw), padding="same", dilation=d,
                                   padding_mode=pad_mode, dtype=torch.float64)
            with torch.no_grad():
                conv.weight.copy_(w)
                conv.bias.copy_(b)
                out = conv(x)
    else:
        (top, bottom), (left, right) = reference_pads(padding, (kh, kw), d)
        x = F.pad(x, (left, right, top, bottom), mode=TORCH_PAD_MODE[pad_mode])
        out = F.conv2d(x, w, b, stride=s, dilation=d)
    out = out[0].detach().numpy()
    return out if np.ndim(kernel) == 4 else out[0]


def scale_of(image, kernel, bias=0.0):
    """An upper bound on |any output|, to set tolerances."""
    w = to_mckk(kernel, 1)
    return float(np.abs(w).sum(axis=(1, 2, 3)).max() * np.abs(image).max() + np.abs(bias).max() + 1.0)


def valid_length(span, before, after, pad_mode):
    """Smallest input length for which torch accepts this padding and kernel span."""
    low = max(1, span - before - after)
    if pad_mode == "reflect":
        low = max(low, max(before, after) + 1)
    elif pad_mode == "circular":
        low = max(low, max(before, after))
    return low


paddings = st.one_of(
    st.integers(0, 3),
    st.tuples(st.integers(0, 3), st.integers(0, 3)),
    st.sampled_from(["valid", "same", "full"]),
)


def int_or_pair(lo, hi):
    return st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


@st.composite
def conv_cases(draw, layouts=("2d", "3d", "4d"), always_valid=True):
    """A random convolution: image, kernel in one of the accepted layouts, and every keyword."""
    layout = draw(st.sampled_from(layouts))
    channels = 1 if layout == "2d" else draw(st.integers(1, 3))
    maps = draw(st.integers(1, 3)) if layout == "4d" else 1
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(int_or_pair(1, 3))
    dilation = draw(int_or_pair(1, 3))
    padding = draw(paddings)
    pad_mode = draw(st.sampled_from(PAD_MODES))
    dh, dw = as_pair(dilation)
    pads = reference_pads(padding, (kh, kw), (dh, dw))
    if always_valid:
        low_h = valid_length(dh * (kh - 1) + 1, *pads[0], pad_mode)
        low_w = valid_length(dw * (kw - 1) + 1, *pads[1], pad_mode)
    else:
        low_h = low_w = 1
    height = draw(st.integers(low_h, low_h + 6))
    width = draw(st.integers(low_w, low_w + 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    image_2d = channels == 1 and draw(st.booleans())
    image = rng.uniform(-2, 2, (height, width) if image_2d else (channels, height, width))
    kernel_shape = {"2d": (kh, kw), "3d": (channels, kh, kw), "4d": (maps, channels, kh, kw)}[layout]
    kernel = rng.uniform(-1, 1, kernel_shape)
    if layout == "4d" and draw(st.booleans()):
        bias = rng.uniform(-1, 1, maps)
    else:
        bias = float(draw(st.floats(-3, 3)))
    kwargs = {"stride": stride, "padding": padding, "dilation": dilation, "bias": bias, "pad_mode": pad_mode}
    return image, kernel, kwargs


# ---------------------------------------------------------------- output_size


def spec_output_size(i, k, s, before, after, d):
    return math.floor((i + before + after - d * (k - 1) - 1) / s) + 1


@SETTINGS
@given(i=st.integers(1, 30), k=st.integers(1, 8), s=st.integers(1, 5), p=st.integers(0, 5), d=st.integers(1, 4))
def test_output_size_matches_formula_and_torch(i, k, s, p, d):
    expected = spec_output_size(i, k, s, p, p, d)
    if expected < 1:
        with pytest.raises(ValueError) as info:
            ops.output_size(i, k, s, p, d)
        assert len(str(info.value)) > 10
        return
    got = ops.output_size(i, k, s, p, d)
    assert got == expected
    assert isinstance(got, int)
    torch_len = F.conv1d(torch.zeros(1, 1, i), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]
    assert got == torch_len


@SETTINGS
@given(i=st.integers(1, 30), k=st.integers(1, 8), s=st.integers(1, 5),
       before=st.integers(0, 5), after=st.integers(0, 5), d=st.integers(1, 4))
def test_output_size_with_padding_pair(i, k, s, before, after, d):
    expected = spec_output_size(i, k, s, before, after, d)
    if expected < 1:
        with pytest.raises(ValueError):
            ops.output_size(i, k, s, (before, after), d)
    else:
        assert ops.output_size(i, k, s, (before, after), d) == expected


def test_output_size_examples():
    assert ops.output_size(5, 3) == 3
    assert ops.output_size(5, 3, padding=1) == 5
    assert ops.output_size(7, 3, stride=2) == 3
    assert ops.output_size(8, 3, stride=2) == 3  # floor
    assert ops.output_size(7, 3, dilation=2) == 3
    assert ops.output_size(4, 4, padding=(0, 1)) == 2
    assert ops.output_size(3, 3) == 1  # smallest non-empty output


@pytest.mark.parametrize("args", [
    (0, 1), (3, 0), (3, 1, 0), (3, 1, 1, -1), (3, 1, 1, 0, 0), (-2, 1),
    (3, 4), (3, 2, 1, 0, 3), (2.0, 1), (3, 1.5), (True, 1), (3, 1, 1, (0, -1)), (3, 1, 1, (1, 2, 3)),
])
def test_output_size_rejects_bad_arguments(args):
    with pytest.raises(ValueError) as info:
        ops.output_size(*args)
    assert str(info.value)


# ---------------------------------------------------------------- conv2d against torch


@SETTINGS
@given(conv_cases())
def test_conv2d_numpy_matches_torch_float64(case):
    image, kernel, kwargs = case
    expected = reference_conv(image, kernel, **kwargs)
    got = ops.conv2d(image, kernel, method="numpy", **kwargs)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * scale_of(image, kernel, kwargs["bias"]))


@SETTINGS
@given(conv_cases())
def test_conv2d_torch_path_matches_torch_and_numpy(case):
    image, kernel, kwargs = case
    expected = reference_conv(image, kernel, **kwargs)
    fast = ops.conv2d(image, kernel, method="torch", **kwargs)
    exact = ops.conv2d(image, kernel, method="numpy", **kwargs)
    atol = 2e-5 * scale_of(image, kernel, kwargs["bias"])
    assert fast.shape == expected.shape == exact.shape
    np.testing.assert_allclose(fast, expected, rtol=0, atol=atol)
    np.testing.assert_allclose(fast, exact, rtol=0, atol=atol)


@SETTINGS
@given(conv_cases(always_valid=False))
def test_conv2d_raises_value_error_exactly_when_torch_refuses(case):
    image, kernel, kwargs = case
    try:
        expected = reference_conv(image, kernel, **kwargs)
    except RuntimeError:
        expected = None
    for method in ("numpy", "torch"):
        if expected is None:
            with pytest.raises(ValueError):
                ops.conv2d(image, kernel, method=method, **kwargs)
        else:
            got = ops.conv2d(image, kernel, method=method, **kwargs)
            assert got.shape == expected.shape


@SETTINGS
@given(conv_cases(layouts=("2d", "3d")), st.integers(1, 3), st.integers(1, 3))
def test_same_padding_with_stride_one_keeps_size(case, dh, dw):
    image, kernel, kwargs = case
    kwargs.update(padding="same", stride=1, dilation=(dh, dw), pad_mode="zeros")
    out = ops.conv2d(image, kernel, method="numpy", **kwargs)
    assert out.shape == np.shape(image)[-2:]
    x = image if image.ndim == 3 else image[None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(to_mckk(kernel, 1).copy()),
                            padding="same", dilation=(dh, dw))[0, 0]
    np.testing.assert_allclose(out, expected.numpy() + kwargs["bias"], rtol=1e-12, atol=1e-10)


def test_conv2d_hand_computed_example():
    image = np.arange(16.0).reshape(4, 4)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]])
    # cross-correlation (not flipped): out[r, c] = x[r, c] - x[r+1, c+1] = -5 everywhere
    np.testing.assert_array_equal(ops.conv2d(image, kernel, method="numpy"), np.full((3, 3), -5.0))
    np.testing.assert_allclose(ops.conv2d(image, kernel, method="torch"), np.full((3, 3), -5.0))
    # padding 1 with zeros: top-left cell sees only x[0, 0] under the -1
    out = ops.conv2d(image, kernel, padding=1, bias=0.5)
    assert out.shape == (5, 5)
    assert out[0, 0] == -0.0 + 0.5
    assert out[4, 4] == 15.0 + 0.5


def test_conv2d_layouts_and_output_shapes():
    rng = np.random.default_rng(0)
    image2 = rng.normal(size=(6, 7))
    image3 = rng.normal(size=(3, 6, 7))
    assert ops.conv2d(image2, rng.normal(size=(3, 3))).shape == (4, 5)
    assert ops.conv2d(image2, rng.normal(size=(1, 3, 3))).shape == (4, 5)
    assert ops.conv2d(image2, rng.normal(size=(4, 1, 3, 3))).shape == (4, 4, 5)
    assert ops.conv2d(image3, rng.normal(size=(3, 3, 2))).shape == (4, 6)
    assert ops.conv2d(image3, rng.normal(size=(1, 3, 3, 3))).shape == (1, 4, 5)
    assert ops.conv2d(image3, rng.normal(size=(5, 3, 3, 3)), stride=2, padding="same").shape == (5, 3, 4)
    assert ops.conv2d(image2, rng.normal(size=(3, 3)), padding="full").shape == (8, 9)


def test_conv2d_per_map_bias():
    rng = np.random.default_rng(1)
    image = rng.normal(size=(2, 5, 5))
    kernel = rng.normal(size=(3, 2, 3, 3))
    bias = np.array([1.0, -2.0, 0.25])
    without = ops.conv2d(image, kernel)
    with_bias = ops.conv2d(image, kernel, bias=bias)
    np.testing.assert_allclose(with_bias - without, np.broadcast_to(bias[:, None, None], without.shape))
    np.testing.assert_allclose(with_bias, reference_conv(image, kernel, bias=bias), rtol=1e-12, atol=1e-12)


def test_conv2d_auto_is_exact_for_small_and_close_for_large():
    rng = np.random.default_rng(2)
    small = rng.normal(size=(7, 7)) / 3  # values float32 cannot hold exactly
    kernel = rng.normal(size=(3, 3)) / 3
    np.testing.assert_allclose(ops.conv2d(small, kernel), reference_conv(small, kernel), rtol=1e-13, atol=1e-14)
    np.testing.assert_array_equal(ops.conv2d(small, kernel), ops.conv2d(small, kernel, method="numpy"))

    large = rng.uniform(-1, 1, (3, 120, 130))
    kernel = rng.uniform(-1, 1, (2, 3, 5, 5))
    for pad_mode in PAD_MODES:
        got = ops.conv2d(large, kernel, padding="same", pad_mode=pad_mode, bias=[0.5, -0.5])
        expected = reference_conv(large, kernel, padding="same", pad_mode=pad_mode, bias=[0.5, -0.5])
        assert got.shape == (2, 120, 130)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)


def test_conv2d_does_not_modify_its_inputs():
    rng = np.random.default_rng(3)
    image, kernel = rng.normal(size=(2, 5, 5)), rng.normal(size=(2, 3, 3))
    image_copy, kernel_copy = image.copy(), kernel.copy()
    for method in ("numpy", "torch"):
        ops.conv2d(image, kernel, padding=2, pad_mode="reflect", method=method)
    np.testing.assert_array_equal(image, image_copy)
    np.testing.assert_array_equal(kernel, kernel_copy)


def test_conv2d_accepts_lists_and_integer_arrays():
    image = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    kernel = np.array([[1, 1], [1, 1]], dtype=np.int64)
    np.testing.assert_array_equal(ops.conv2d(image, kernel), [[12.0, 16.0], [24.0, 28.0]])


@pytest.mark.parametrize("pad_mode", PAD_MODES)
def test_conv2d_pad_modes_on_a_known_example(pad_mode):
    image = np.arange(9.0).reshape(3, 3)
    kernel = np.zeros((3, 3))
    kernel[0, 0] = 1.0  # output cell (0, 0) reads the padded pixel above-left of x[0, 0]
    got = ops.conv2d(image, kernel, padding=1, pad_mode=pad_mode)
    expected_corner = {"zeros": 0.0, "reflect": 4.0, "replicate": 0.0, "circular": 8.0}[pad_mode]
    assert got[0, 0] == expected_corner
    np.testing.assert_allclose(got, reference_conv(image, kernel, padding=1, pad_mode=pad_mode))


# ---------------------------------------------------------------- bad arguments


def _ones(*shape):
    return np.ones(shape)


BAD_CONV_CALLS = {
    "kernel larger than input": lambda: ops.conv2d(_ones(3, 3), _ones(4, 4)),
    "kernel larger than padded input (dilation)": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), dilation=3),
    "kernel wider than input only": lambda: ops.conv2d(_ones(5, 2), _ones(3, 3)),
    "stride 0": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), stride=0),
    "stride pair with 0": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), stride=(1, 0)),
    "negative stride": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), stride=-1),
    "fractional stride": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), stride=1.5),
    "dilation 0": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), dilation=0),
    "negative padding": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), padding=-1),
    "negative padding in pair": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), padding=(1, -1)),
    "unknown padding name": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), padding="half"),
    "unknown pad mode": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), padding=1, pad_mode="mirror"),
    "unknown pad mode without padding": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), pad_mode="constant"),
    "unknown method": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3), method="cuda"),
    "NaN in kernel": lambda: ops.conv2d(_ones(5, 5), np.array([[1.0, np.nan], [0.0, 1.0]])),
    "inf in kernel": lambda: ops.conv2d(_ones(5, 5), np.array([[1.0, np.inf], [0.0, 1.0]])),
    "NaN in image": lambda: ops.conv2d(np.where(np.eye(4) > 0, np.nan, 1.0), _ones(2, 2)),
    "-inf in image": lambda: ops.conv2d(np.where(np.eye(4) > 0, -np.inf, 1.0), _ones(2, 2)),
    "NaN in bias": lambda: ops.conv2d(_ones(4, 4), _ones(2, 2), bias=np.nan),
    "2-D kernel on 3 channels": lambda: ops.conv2d(_ones(3, 5, 5), _ones(3, 3)),
    "3-D kernel with wrong channels": lambda: ops.conv2d(_ones(3, 5, 5), _ones(2, 3, 3)),
    "4-D kernel with wrong channels": lambda: ops.conv2d(_ones(3, 5, 5), _ones(4, 1, 3, 3)),
    "3-channel kernel on 2-D image": lambda: ops.conv2d(_ones(5, 5), _ones(3, 3, 3)),
    "wrong number of biases": lambda: ops.conv2d(_ones(5, 5), _ones(2, 1, 3, 3), bias=[1.0, 2.0, 3.0]),
    "reflect padding equal to input size": lambda: ops.conv2d(_ones(3, 3), _ones(3, 3), padding=3, pad_mode="reflect"),
    "reflect padding larger than input":
        lambda: ops.conv2d(_ones(3, 6), _ones(3, 3), padding=(4, 1), pad_mode="reflect"),
    "reflect 'full' on a small input": lambda: ops.conv2d(_ones(2, 2), _ones(3, 3), padding="full", pad_mode="reflect"),
    "circular padding larger than input": lambda: ops.conv2d(_ones(3, 3), _ones(3, 3), padding=4, pad_mode="circular"),
    "1-D image": lambda: ops.conv2d(np.ones(5), _ones(1, 1)),
    "4-D image": lambda: ops.conv2d(_ones(1, 1, 5, 5), _ones(3, 3)),
    "empty image": lambda: ops.conv2d(np.ones((0, 5)), _ones(1, 1)),
    "1-D kernel": lambda: ops.conv2d(_ones(5, 5), np.ones(3)),
}


@pytest.mark.parametrize("call", BAD_CONV_CALLS.values(), ids=BAD_CONV_CALLS.keys())
def test_conv2d_rejects_bad_arguments(call):
    with pytest.raises(ValueError) as info:
        call()
    assert len(str(info.value)) > 10


@pytest.mark.parametrize("method", ["numpy", "torch"])
def test_largest_allowed_padding_works(method):
    image = np.arange(9.0).reshape(3, 3)
    kernel = np.ones((3, 3))
    for pad_mode, p in (("reflect", 2), ("circular", 3), ("replicate", 7), ("zeros", 7)):
        got = ops.conv2d(image, kernel, padding=p, pad_mode=pad_mode, method=method)
        np.testing.assert_allclose(got, reference_conv(image, kernel, padding=p, pad_mode=pad_mode), atol=1e-4)


# ---------------------------------------------------------------- window


@SETTINGS
@given(conv_cases(layouts=("2d", "3d")), st.data())
def test_window_explains_the_conv_cell(case, data):
    image, kernel, kwargs = case
    bias = kwargs["bias"]
    out = ops.conv2d(image, kernel, method="numpy", **kwargs)
    expected = reference_conv(image, kernel, **kwargs)
    row = data.draw(st.integers(0, out.shape[0] - 1), label="row")
    col = data.draw(st.integers(0, out.shape[1] - 1), label="col")
    w = ops.window(image, kernel, row, col, **kwargs)

    assert w.patch.shape == w.products.shape == np.shape(kernel)
    np.testing.assert_allclose(w.products, w.patch * kernel, rtol=1e-15, atol=0)
    assert w.total == pytest.approx(float(np.sum(w.products)), rel=1e-12, abs=1e-12)
    assert w.bias == bias
    assert w.value == pytest.approx(w.total + bias, rel=1e-12, abs=1e-12)
    assert w.value == pytest.approx(out[row, col], rel=1e-12, abs=1e-11)
    assert w.value == pytest.approx(expected[row, col], rel=1e-12, abs=1e-11)

    # rows/cols: the sampled pixels, in padded-input coordinates; the patch is what lies there
    s, d = as_pair(kwargs["stride"]), as_pair(kwargs["dilation"])
    kh, kw = np.shape(kernel)[-2:]
    np.testing.assert_array_equal(w.rows, row * s[0] + d[0] * np.arange(kh))
    np.testing.assert_array_equal(w.cols, col * s[1] + d[1] * np.arange(kw))
    (top, bottom), (left, right) = reference_pads(kwargs["padding"], (kh, kw), d)
    x = torch.from_numpy(np.asarray(image, dtype=np.float64).reshape((-1,) + np.shape(image)[-2:]))[None]
    padded = F.pad(x, (left, right, top, bottom), mode=TORCH_PAD_MODE[kwargs["pad_mode"]])[0].numpy()
    patch = padded[:, w.rows[:, None], w.cols[None, :]]
    np.testing.assert_array_equal(w.patch, patch[0] if np.ndim(kernel) == 2 else patch)


def test_window_hand_example():
    image = np.arange(1.0, 10.0).reshape(3, 3)
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = ops.window(image, kernel, 1, 0, bias=0.5)
    np.testing.assert_array_equal(w.patch, [[4.0, 5.0], [7.0, 8.0]])
    np.testing.assert_array_equal(w.products, [[4.0, 10.0], [21.0, 32.0]])
    assert w.total == 67.0
    assert w.value == 67.5
    np.testing.assert_array_equal(w.rows, [1, 2])
    np.testing.assert_array_equal(w.cols, [0, 1])


@pytest.mark.parametrize("row, col", [(-1, 0), (0, -1), (3, 0), (0, 3), (10, 10)])
def test_window_rejects_cells_outside_the_output(row, col):
    with pytest.raises(ValueError):
        ops.window(np.ones((5, 5)), np.ones((3, 3)), row, col)


def test_window_rejects_bad_arguments():
    with pytest.raises(ValueError):
        ops.window(np.ones((2, 5, 5)), np.ones((3, 3)), 0, 0)  # channel mismatch
    with pytest.raises(ValueError):
        ops.window(np.ones((5, 5)), np.ones((1, 1, 3, 3)), 0, 0)  # one map only
    with pytest.raises(ValueError):
        ops.window(np.ones((3, 3)), np.ones((3, 3)), 0, 0, padding=3, pad_mode="reflect")
    with pytest.raises(ValueError):
        ops.window(np.ones((5, 5)), np.ones((3, 3)), 0, 0, padding=1, pad_mode="bogus")
    with pytest.raises(ValueError):
        ops.window(np.ones((5, 5)), np.full((3, 3), np.nan), 0, 0)


# ---------------------------------------------------------------- pooling


@st.composite
def pool_cases(draw, always_valid=True):
    size = draw(int_or_pair(1, 4))
    stride = draw(st.one_of(st.none(), int_or_pair(1, 4)))
    mode = draw(st.sampled_from(["max", "avg"]))
    kh, kw = as_pair(size)
    low_h, low_w = (kh, kw) if always_valid else (1, 1)
    height = draw(st.integers(low_h, low_h + 7))
    width = draw(st.integers(low_w, low_w + 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (height, width) if draw(st.booleans()) else (draw(st.integers(1, 3)), height, width)
    x = rng.uniform(-5, 5, shape)
    if draw(st.booleans()):
        x = np.round(x)  # ties for max
    return x, {"size": size, "stride": stride, "mode": mode}


def reference_pool(x, *, size, stride, mode):
    t = torch.from_numpy(np.asarray(x, dtype=np.float64))
    t = t[None] if t.ndim == 2 else t
    fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    out = fn(t[None], as_pair(size), None if stride is None else as_pair(stride))[0].numpy()
    return out[0] if np.ndim(x) == 2 else out


@SETTINGS
@given(pool_cases())
def test_pool2d_matches_torch(case):
    x, kwargs = case
    expected = reference_pool(x, **kwargs)
    exact = ops.pool2d(x, method="numpy", **kwargs)
    fast = ops.pool2d(x, method="torch", **kwargs)
    auto = ops.pool2d(x, **kwargs)
    assert exact.shape == fast.shape == auto.shape == expected.shape
    np.testing.assert_allclose(exact, expected, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(auto, expected, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(fast, expected, rtol=0, atol=1e-5)


@SETTINGS
@given(pool_cases(always_valid=False))
def test_pool2d_raises_value_error_exactly_when_torch_refuses(case):
    x, kwargs = case
    try:
        expected = reference_pool(x, **kwargs)
    except RuntimeError:
        with pytest.raises(ValueError):
            ops.pool2d(x, **kwargs)
    else:
        assert ops.pool2d(x, **kwargs).shape == expected.shape


@SETTINGS
@given(pool_cases(), st.data())
def test_pool_window_matches_pool2d_cell(case, data):
    x, kwargs = case
    x2 = x if x.ndim == 2 else x[0]
    out = ops.pool2d(x2, method="numpy", **kwargs)
    row = data.draw(st.integers(0, out.shape[0] - 1), label="row")
    col = data.draw(st.integers(0, out.shape[1] - 1), label="col")
    w = ops.pool_window(x2, row, col, **kwargs)
    assert w.value == pytest.approx(out[row, col], rel=1e-13, abs=1e-13)
    assert w.value == pytest.approx(reference_pool(x2, **kwargs)[row, col], rel=1e-13, abs=1e-13)
    size = as_pair(kwargs["size"])
    stride = size if kwargs["stride"] is None else as_pair(kwargs["stride"])
    np.testing.assert_array_equal(w.rows, row * stride[0] + np.arange(size[0]))
    np.testing.assert_array_equal(w.cols, col * stride[1] + np.arange(size[1]))
    np.testing.assert_array_equal(w.patch, x2[w.rows[:, None], w.cols[None, :]])
    assert w.patch.shape == size


def test_pool2d_hand_example():
    x = np.array([[1.0, 2.0, 5.0, 6.0, 9.0],
                  [3.0, 4.0, 7.0, 8.0, 9.0],
                  [0.0, 0.0, -1.0, -3.0, 9.0]])
    np.testing.assert_array_equal(ops.pool2d(x), [[4.0, 8.0]])  # floor: last row and column dropped
    np.testing.assert_array_equal(ops.pool2d(x, mode="avg"), [[2.5, 6.5]])
    np.testing.assert_array_equal(ops.pool2d(x, size=2, stride=1)[1], [4.0, 7.0, 8.0, 9.0])
    np.testing.assert_array_equal(ops.pool2d(x, size=(3, 1), mode="max"), [[3.0, 4.0, 7.0, 8.0, 9.0]])


@pytest.mark.parametrize("kwargs", [
    {"size": 4}, {"size": (1, 6)}, {"size": 0}, {"size": 2, "stride": 0}, {"mode": "min"},
    {"size": -1}, {"method": "gpu"},
])
def test_pool2d_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        ops.pool2d(np.ones((3, 5)), **kwargs)


def test_pool2d_and_pool_window_reject_bad_shapes():
    with pytest.raises(ValueError):
        ops.pool2d(np.ones(5))
    with pytest.raises(ValueError):
        ops.pool2d(np.ones((1, 1, 4, 4)))
    with pytest.raises(ValueError):
        ops.pool_window(np.ones((1, 4, 4)), 0, 0)
    with pytest.raises(ValueError):
        ops.pool_window(np.ones((4, 4)), 2, 0)
    with pytest.raises(ValueError):
        ops.pool_window(np.ones((4, 4)), 0, -1)
    with pytest.raises(ValueError):
        ops.pool_window(np.ones((4, 4)), 0, 0, mode="median")


def test_pool2d_large_input_uses_a_correct_path():
    x = np.random.default_rng(4).uniform(-1, 1, (3, 300, 301))
    for mode in ("max", "avg"):
        got = ops.pool2d(x, size=3, stride=2, mode=mode)
        np.testing.assert_allclose(got, reference_pool(x, size=3, stride=2, mode=mode), rtol=0, atol=1e-6)


# ---------------------------------------------------------------- activations


TORCH_ACTIVATIONS = {
    "none": lambda t: t,
    "relu": torch.relu,
    "leaky_relu": F.leaky_relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
}


@SETTINGS
@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
               elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
    st.sampled_from(sorted(TORCH_ACTIVATIONS)),
)
def test_activate_matches_torch(x, name):
    got = ops.activate(x, name)
    expected = TORCH_ACTIVATIONS[name](torch.from_numpy(np.array(x, dtype=np.float64))).numpy()
    assert np.shape(got) == np.shape(x)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_activate_known_values():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(ops.activate(x, "relu"), [0.0, 0.0, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(ops.activate(x, "leaky_relu"), [-0.02, -0.005, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(ops.activate(x, "sigmoid"), 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(ops.activate([-1000.0, 1000.0], "sigmoid"), [0.0, 1.0])
    np.testing.assert_array_equal(ops.activate(x, "none"), x)
    np.testing.assert_allclose(ops.activate(x, "tanh"), np.tanh(x))


@pytest.mark.parametrize("name", ["softmax", "ReLU", "", "gelu"])
def test_activate_rejects_unknown_names(name):
    with pytest.raises(ValueError):
        ops.activate(np.zeros(3), name)


# ---------------------------------------------------------------- convolution as a matrix


@st.composite
def matrix_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(int_or_pair(1, 3))
    padding = draw(st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)),
                             st.sampled_from(["valid", "same", "full"])))
    (top, bottom), (left, right) = reference_pads(padding, (kh, kw), (1, 1))
    low_h, low_w = max(1, kh - top - bottom), max(1, kw - left - right)
    height = draw(st.integers(low_h, low_h + 5))
    width = draw(st.integers(low_w, low_w + 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.uniform(-2, 2, (height, width)), rng.uniform(-1, 1, (kh, kw)), stride, padding


@SETTINGS
@given(matrix_cases())
def test_conv_matrix_times_image_is_the_convolution(case):
    image, kernel, stride, padding = case
    W = ops.conv_matrix(image.shape, kernel, stride=stride, padding=padding)
    expected = reference_conv(image, kernel, stride=stride, padding=padding)
    assert W.shape == (expected.size, image.size)
    np.testing.assert_allclose(W @ image.ravel(), expected.ravel(), rtol=1e-12, atol=1e-12)
    conv = ops.conv2d(image, kernel, stride=stride, padding=padding, method="numpy")
    np.testing.assert_allclose(W @ image.ravel(), conv.ravel(), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(matrix_cases())
def test_conv_weight_index_is_the_shared_weight_structure(case):
    image, kernel, stride, padding = case
    kh, kw = kernel.shape
    index = ops.conv_weight_index(image.shape, kernel.shape, stride=stride, padding=padding)
    out_shape = reference_conv(image, kernel, stride=stride, padding=padding).shape
    assert index.shape == (out_shape[0] * out_shape[1], image.size)
    assert index.min() >= -1 and index.max() < kh * kw
    for row in index:
        used = row[row >= 0]
        assert len(used) == len(set(used.tolist()))  # each kernel entry at most once per output cell
    # With a kernel of distinct entries the matrix reveals the index, entry by entry.
    distinct = np.arange(1.0, kh * kw + 1).reshape(kh, kw)
    W = ops.conv_matrix(image.shape, distinct, stride=stride, padding=padding)
    np.testing.assert_array_equal(W - 1, np.where(index >= 0, index, -1))
    # Without padding every output cell sees the whole kernel.
    if padding in (0, (0, 0), "valid"):
        assert np.all((index >= 0).sum(axis=1) == kh * kw)


def test_conv_matrix_hand_example():
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = ops.conv_matrix((3, 3), kernel)
    expected_first_row = [1.0, 2.0, 0.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0]
    np.testing.assert_array_equal(W[0], expected_first_row)
    np.testing.assert_array_equal(W[3], [0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 3.0, 4.0])
    assert W.shape == (4, 9)


def test_conv_matrix_rejects_bad_kernels():
    with pytest.raises(ValueError):
        ops.conv_matrix((4, 4), np.ones((2, 2, 2)))
    with pytest.raises(ValueError):
        ops.conv_matrix((4, 4), np.array([[np.nan, 1.0], [1.0, 1.0]]))
    with pytest.raises(ValueError):
        ops.conv_matrix((2, 2), np.ones((3, 3)))


# ---------------------------------------------------------------- parameter counts


def test_connection_parameters_seed_examples():
    assert ops.connection_parameters((6, 6), (3, 3)) == {"dense": 576, "local": 144, "shared": 9}
    assert ops.connection_parameters((6, 6), (3, 3), bias=False)["shared"] == 9
    assert ops.connection_parameters((28, 28), (5, 5), in_channels=1, filters=10, bias=True)["shared"] == 260


@SETTINGS
@given(h=st.integers(5, 12), w=st.integers(5, 12), k=st.integers(1, 3), channels=st.integers(1, 3),
       filters=st.integers(1, 4), stride=st.integers(1, 2), padding=st.integers(0, 1),
       dilation=st.integers(1, 2), bias=st.booleans())
def test_connection_parameters_match_torch_layers(h, w, k, channels, filters, stride, padding, dilation, bias):
    got = ops.connection_parameters((h, w), (k, k), in_channels=channels, filters=filters, stride=stride,
                                    padding=padding, dilation=dilation, bias=bias)
    conv = torch.nn.Conv2d(channels, filters, k, stride=stride, padding=padding, dilation=dilation, bias=bias)
    assert got["shared"] == sum(p.numel() for p in conv.parameters())
    x = torch.zeros(1, channels, h, w)
    out = conv(x)
    outputs, inputs = out.numel(), x.numel()
    assert got["dense"] == inputs * outputs + (outputs if bias else 0)  # nn.Linear(inputs, outputs, bias)
    # a locally connected layer: one weight per (input column of unfold, output position, filter)
    cols = F.unfold(x, k, dilation=dilation, padding=padding, stride=stride)
    assert got["local"] == cols.shape[1] * cols.shape[2] * filters + (outputs if bias else 0)
    assert got["shared"] <= got["local"]  # sharing never needs more weights than one kernel per cell
