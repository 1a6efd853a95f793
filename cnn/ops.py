"""Convolution, pooling and activations as a CNN computes them, and the arithmetic behind each number.

Two paths give the same answers: an exact float64 numpy path for small inputs (the ones the Lab
explains cell by cell) and a torch float32 path for image-sized inputs. Both follow
torch.nn.functional: cross-correlation, floor division in the output size, PyTorch's padding modes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Padding = int | tuple[int, int] | str
Pair = int | tuple[int, int]

PAD_MODES = ("zeros", "reflect", "replicate", "circular")
PADDING_NAMES = ("valid", "same", "full")
ACTIVATIONS = ("none", "relu", "leaky_relu", "sigmoid", "tanh")
POOL_MODES = ("max", "avg")
LEAKY_SLOPE = 0.01  # torch.nn.LeakyReLU's default

# Multiply-adds below which the float64 numpy path is fast enough (about 1 ms) and exact.
_NUMPY_WORK_LIMIT = 300_000


# ---------------------------------------------------------------- argument checks


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _pair(value: Pair, name: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints -> (for rows, for columns), each at least `minimum`."""
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{name} must be an integer or a pair of integers, got {value!r}.")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}.")
    return pair


def _finite(array: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(array)):
        raise ValueError(f"The {what} contains NaN or infinity: every value must be a finite number.")


# ---------------------------------------------------------------- output size


def output_size(size: int, kernel: int, stride: int = 1, padding: Pair = 0, dilation: int = 1) -> int:
    """o = ⌊(i + 2p − d(k−1) − 1) / s⌋ + 1, the length of a convolution or pooling output.

    `padding` is the amount added on each side, or a pair (before, after) when the two sides differ
    (PyTorch's "same" padding of an even kernel puts the extra pixel after).
    """
    for name, value, minimum in (("input size", size, 1), ("kernel size", kernel, 1),
                                 ("stride", stride, 1), ("dilation", dilation, 1)):
        if not _is_int(value) or value < minimum:
            raise ValueError(f"The {name} must be a whole number of at least {minimum}, got {value!r}.")
    before, after = _pair(padding, "padding", 0)
    span = dilation * (kernel - 1) + 1  # pixels the (dilated) kernel covers
    padded = size + before + after
    if span > padded:
        raise ValueError(
            f"The kernel covers {span} pixels (dilation {dilation} × (kernel {kernel} − 1) + 1) but the "
            f"padded input is only {padded} pixels ({size} + {before} + {after}): the output would be "
            f"empty. Use a smaller kernel or dilation, or more padding."
        )
    return (padded - span) // stride + 1


def resolve_padding(padding: Padding, kernel_hw: tuple[int, int],
                    dilation_hw: tuple[int, int] = (1, 1)) -> tuple[tuple[int, int], tuple[int, int]]:
    """Padding as ((top, bottom), (left, right)) from an int, a pair or "valid" / "same" / "full"."""
    if isinstance(padding, str):
        if padding not in PADDING_NAMES:
            raise ValueError(f"padding must be a number or one of {', '.join(PADDING_NAMES)}; got {padding!r}.")
        sides = []
        for k, d in zip(kernel_hw, dilation_hw):
            total = d * (k - 1)
            if padding == "valid":
                sides.append((0, 0))
            elif padding == "same":  # as torch: the odd pixel goes after
                sides.append((total // 2, total - total // 2))
            else:  # full: every partial overlap of kernel and input
                sides.append((total, total))
        return sides[0], sides[1]
    ph, pw = _pair(padding, "padding", 0)
    return (ph, ph), (pw, pw)


def conv_output_shape(input_hw: tuple[int, int], kernel_hw: tuple[int, int], *, stride: Pair = 1,
                      padding: Padding = 0, dilation: Pair = 1) -> tuple[int, int]:
    """(H', W') of a convolution; raises ValueError with the reason when it would be empty."""
    sh, sw = _pair(stride, "stride", 1)
    dh, dw = _pair(dilation, "dilation", 1)
    pad_h, pad_w = resolve_padding(padding, kernel_hw, (dh, dw))
    return (output_size(input_hw[0], kernel_hw[0], sh, pad_h, dh),
            output_size(input_hw[1], kernel_hw[1], sw, pad_w, dw))


# ---------------------------------------------------------------- padding


def pad(image: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]], mode: str = "zeros") -> np.ndarray:
    """Pad the last two axes as torch.nn.functional.pad does for each of PAD_MODES."""
    if mode not in PAD_MODES:
        raise ValueError(f"pad_mode must be one of {', '.join(PAD_MODES)}; got {mode!r}.")
    (top, bottom), (left, right) = pads
    height, width = image.shape[-2:]
    if mode == "reflect" and (max(top, bottom) >= height or max(left, right) >= width):
        raise ValueError(f"Reflect padding must be smaller than the input ({height}x{width}); "
                         f"use less padding or another fill mode.")
    if mode == "circular" and (max(top, bottom) > height or max(left, right) > width):
        raise ValueError(f"Circular padding cannot exceed the input ({height}x{width}); "
                         f"use less padding or another fill mode.")
    widths = [(0, 0)] * (image.ndim - 2) + [(top, bottom), (left, right)]
    numpy_mode = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    return np.pad(image, widths, mode=numpy_mode)


# ---------------------------------------------------------------- convolution


def _as_chw(image) -> np.ndarray:
    x = np.asarray(image, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or min(x.shape) < 1:
        raise ValueError(f"The image must be (H, W) or (C, H, W); got shape {np.shape(image)}.")
    _finite(x, "input image")
    return x


def _as_mckk(kernel, channels: int) -> np.ndarray:
    """Any accepted kernel layout -> (M, C, kh, kw)."""
    w = np.asarray(kernel, dtype=np.float64)
    if w.ndim == 2:
        if channels != 1:
            raise ValueError(f"The image has {channels} channels: give one kernel per channel, "
                             f"shape ({channels}, kh, kw).")
        w = w[None, None]
    elif w.ndim == 3:
        w = w[None]
    if w.ndim != 4 or min(w.shape) < 1:
        raise ValueError(f"The kernel must be (kh, kw), (C, kh, kw) or (M, C, kh, kw); got shape {np.shape(kernel)}.")
    if w.shape[1] != channels:
        raise ValueError(f"The kernel has {w.shape[1]} channels but the image has {channels}.")
    _finite(w, "kernel")
    return w


def conv2d(image, kernel, *, stride: Pair = 1, padding: Padding = 0, dilation: Pair = 1,
           bias=0.0, pad_mode: str = "zeros",
           method: Literal["auto", "numpy", "torch"] = "auto") -> np.ndarray:
    """Cross-correlation as torch.nn.functional.conv2d computes it.

    image (H, W) or (C, H, W); kernel (kh, kw) or (C, kh, kw) -> (H', W'); kernel (M, C, kh, kw) ->
    (M, H', W'). `bias` is a number or M numbers. `method` picks the exact float64 numpy path or the
    fast float32 torch path; "auto" takes numpy for small work.
    """
    x = _as_chw(image)
    w = _as_mckk(kernel, x.shape[0])
    maps, channels, kh, kw = w.shape
    b = np.asarray(bias, dtype=np.float64).ravel()
    if b.size == 1:
        b = np.full(maps, b[0])
    if b.shape != (maps,):
        raise ValueError(f"Give one bias per output map ({maps}); got {np.size(bias)}.")
    _finite(b, "bias")
    strides = _pair(stride, "stride", 1)
    dilations = _pair(dilation, "dilation", 1)
    pads = resolve_padding(padding, (kh, kw), dilations)
    out_h = output_size(x.shape[1], kh, strides[0], pads[0], dilations[0])
    out_w = output_size(x.shape[2], kw, strides[1], pads[1], dilations[1])
    padded = pad(x, pads, pad_mode)  # validates the mode against the input size on both paths

    if method == "auto":
        method = "numpy" if maps * channels * kh * kw * out_h * out_w <= _NUMPY_WORK_LIMIT else "torch"
    if method == "numpy":
        out = _conv_numpy(padded, w, strides, dilations)
    elif method == "torch":
        out = _conv_torch(x, w, strides, dilations, pads, pad_mode)
    else:
        raise ValueError(f"method must be auto, numpy or torch; got {method!r}.")
    out = out + b[:, None, None]
    return out if np.ndim(kernel) == 4 else out[0]


def _conv_numpy(padded: np.ndarray, w: np.ndarray, strides, dilations) -> np.ndarray:
    _, _, kh, kw = w.shape
    span_h, span_w = dilations[0] * (kh - 1) + 1, dilations[1] * (kw - 1) + 1
    # (C, rows, cols, span_h, span_w) -> every stride-th window, every dilation-th pixel in it
    windows = sliding_window_view(padded, (span_h, span_w), axis=(1, 2))
    windows = windows[:, :: strides[0], :: strides[1], :: dilations[0], :: dilations[1]]
    return np.einsum("chwij,mcij->mhw", windows, w, optimize=True)


def _conv_torch(x: np.ndarray, w: np.ndarray, strides, dilations, pads, pad_mode: str) -> np.ndarray:
    import torch  # lazily: importing torch costs seconds
    import torch.nn.functional as F

    xt = torch.from_numpy(x.astype(np.float32))[None]  # (1, C, H, W)
    (top, bottom), (left, right) = pads
    if top or bottom or left or right:
        mode = "constant" if pad_mode == "zeros" else pad_mode
        xt = F.pad(xt, (left, right, top, bottom), mode=mode)
    with torch.inference_mode():
        out = F.conv2d(xt, torch.from_numpy(w.astype(np.float32)), stride=strides, dilation=dilations)
    return out[0].numpy().astype(np.float64)


# ---------------------------------------------------------------- one output cell, explained


@dataclass(frozen=True)
class Window:
    """The arithmetic of one output cell: what the kernel (or pooling window) sees and makes of it."""

    patch: np.ndarray       # the input values under the window, shaped like the kernel
    products: np.ndarray    # patch ⊙ kernel (for pooling: the patch itself)
    total: float            # Σ products (for pooling: max or mean of the patch)
    bias: float
    value: float            # total + bias: the output cell
    rows: np.ndarray        # row of each sampled pixel, in padded-input coordinates
    cols: np.ndarray        # column of each sampled pixel, in padded-input coordinates


def window(image, kernel, row: int, col: int, *, stride: Pair = 1, padding: Padding = 0,
           dilation: Pair = 1, bias: float = 0.0, pad_mode: str = "zeros") -> Window:
    """The patch, products and sum behind output cell (row, col) of conv2d(image, kernel, ...).

    kernel (kh, kw) or (C, kh, kw): one output map. Coordinates are in the padded input, so a
    page can light up the receptive field, padding included.
    """
    x = _as_chw(image)
    w = np.asarray(kernel, dtype=np.float64)
    if w.ndim == 4:
        raise ValueError("window explains one output map: pass that map's kernel, (C, kh, kw).")
    w4 = _as_mckk(w, x.shape[0])
    _, _, kh, kw = w4.shape
    strides = _pair(stride, "stride", 1)
    dilations = _pair(dilation, "dilation", 1)
    pads = resolve_padding(padding, (kh, kw), dilations)
    out_h = output_size(x.shape[1], kh, strides[0], pads[0], dilations[0])
    out_w = output_size(x.shape[2], kw, strides[1], pads[1], dilations[1])
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(f"Cell ({row}, {col}) is outside the {out_h}x{out_w} output.")
    rows = row * strides[0] + dilations[0] * np.arange(kh)
    cols = col * strides[1] + dilations[1] * np.arange(kw)
    patch = pad(x, pads, pad_mode)[:, rows[:, None], cols[None, :]]  # (C, kh, kw)
    products = patch * w4[0]
    if w.ndim == 2:
        patch, products = patch[0], products[0]
    total = float(products.sum())
    return Window(patch, products, total, float(bias), total + float(bias), rows, cols)


# ---------------------------------------------------------------- pooling


def pool2d(x, *, size: Pair = 2, stride: Pair | None = None, mode: str = "max",
           method: Literal["auto", "numpy", "torch"] = "auto") -> np.ndarray:
    """Max or average pooling as torch.nn.functional.max_pool2d / avg_pool2d (no padding, floor)."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim not in (2, 3):
        raise ValueError(f"Pooling takes (H, W) or (C, H, W); got shape {arr.shape}.")
    if mode not in POOL_MODES:
        raise ValueError(f"Pooling mode must be max or avg; got {mode!r}.")
    sizes = _pair(size, "pool size", 1)
    strides = sizes if stride is None else _pair(stride, "pool stride", 1)
    out_h = output_size(arr.shape[-2], sizes[0], strides[0])
    out_w = output_size(arr.shape[-1], sizes[1], strides[1])
    if method == "auto":
        method = "numpy" if arr.size * sizes[0] * sizes[1] <= _NUMPY_WORK_LIMIT else "torch"
    if method == "numpy":
        windows = sliding_window_view(arr, sizes, axis=(-2, -1))[..., :: strides[0], :: strides[1], :, :]
        reduce = np.max if mode == "max" else np.mean
        out = reduce(windows, axis=(-2, -1))
    elif method == "torch":
        import torch
        import torch.nn.functional as F

        t = torch.from_numpy(arr.astype(np.float32))[None]
        fn = F.max_pool2d if mode == "max" else F.avg_pool2d
        with torch.inference_mode():
            out = fn(t, sizes, strides)[0].numpy().astype(np.float64)
    else:
        raise ValueError(f"method must be auto, numpy or torch; got {method!r}.")
    assert out.shape[-2:] == (out_h, out_w)
    return out


def pool_window(x, row: int, col: int, *, size: Pair = 2, stride: Pair | None = None,
                mode: str = "max") -> Window:
    """The window behind pooled cell (row, col) of a 2-D map: its values and the max or mean."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError("pool_window explains one map: pass it as (H, W).")
    if mode not in POOL_MODES:
        raise ValueError(f"Pooling mode must be max or avg; got {mode!r}.")
    sizes = _pair(size, "pool size", 1)
    strides = sizes if stride is None else _pair(stride, "pool stride", 1)
    out_h = output_size(arr.shape[0], sizes[0], strides[0])
    out_w = output_size(arr.shape[1], sizes[1], strides[1])
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(f"Cell ({row}, {col}) is outside the {out_h}x{out_w} pooled map.")
    rows = row * strides[0] + np.arange(sizes[0])
    cols = col * strides[1] + np.arange(sizes[1])
    patch = arr[rows[:, None], cols[None, :]]
    total = float(patch.max() if mode == "max" else patch.mean())
    return Window(patch, patch, total, 0.0, total, rows, cols)


def pooled_cell_for(row: int, col: int, *, size: int, stride: int, pooled_hw: tuple[int, int]
                    ) -> tuple[tuple[int, int], bool]:
    """The pooled cell whose window holds map cell (row, col), and True; where no window holds it (a stride
    longer than the window skips it, or the last rows and columns that no whole window reaches), the nearest
    window before it, and False. Of overlapping windows, the last one that holds it."""
    def axis(i: int, n: int) -> tuple[int, bool]:
        r = min(i // stride, n - 1)
        return r, r * stride <= i <= r * stride + size - 1

    (r, row_in), (c, col_in) = axis(row, pooled_hw[0]), axis(col, pooled_hw[1])
    return (r, c), row_in and col_in


# ---------------------------------------------------------------- activations


def activate(x, name: str) -> np.ndarray:
    """none, relu, leaky_relu (slope 0.01 as torch), sigmoid or tanh, element-wise."""
    arr = np.asarray(x, dtype=np.float64)
    if name == "none":
        return arr.copy()
    if name == "relu":
        return np.maximum(arr, 0.0)
    if name == "leaky_relu":
        return np.where(arr > 0, arr, LEAKY_SLOPE * arr)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * arr))  # the same function, without exp overflow
    if name == "tanh":
        return np.tanh(arr)
    raise ValueError(f"Activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}.")


# ---------------------------------------------------------------- convolution as a matrix


def conv_weight_index(input_hw: tuple[int, int], kernel_hw: tuple[int, int], *, stride: Pair = 1,
                      padding: Padding = 0) -> np.ndarray:
    """Which kernel entry (row-major index, or -1 for none) links each output cell to each input pixel.

    Shape (H'·W', H·W). Zero padding only: a padded pixel is always 0, so it drops out of the matrix.
    """
    kh, kw = kernel_hw
    (top, _), (left, _) = resolve_padding(padding, kernel_hw)
    out_h, out_w = conv_output_shape(input_hw, kernel_hw, stride=stride, padding=padding)
    sh, sw = _pair(stride, "stride", 1)
    height, width = input_hw
    index = np.full((out_h * out_w, height * width), -1, dtype=np.int64)
    for r in range(out_h):
        for c in range(out_w):
            for i in range(kh):
                for j in range(kw):
                    y, x = r * sh + i - top, c * sw + j - left
                    if 0 <= y < height and 0 <= x < width:
                        index[r * out_w + c, y * width + x] = i * kw + j
    return index


def conv_matrix(input_shape: tuple[int, int], kernel, *, stride: Pair = 1, padding: Padding = 0) -> np.ndarray:
    """W such that W @ image.ravel() == conv2d(image, kernel, stride, padding).ravel().

    The view of a convolution as a dense layer whose weights are mostly zero and shared.
    """
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 2:
        raise ValueError("conv_matrix takes one 2-D kernel.")
    _finite(k, "kernel")
    index = conv_weight_index(tuple(input_shape), k.shape, stride=stride, padding=padding)
    return np.where(index >= 0, k.ravel()[np.maximum(index, 0)], 0.0)


# ---------------------------------------------------------------- parameters


def dense_parameters(inputs: int, units: int, *, bias: bool = True) -> int:
    """A dense layer's parameters: every input to every unit, plus one bias per unit (not one in all)."""
    return inputs * units + (units if bias else 0)


def connection_parameters(input_hw: tuple[int, int], kernel_hw: tuple[int, int], *, in_channels: int = 1,
                          filters: int = 1, stride: Pair = 1, padding: Padding = 0, dilation: Pair = 1,
                          bias: bool = False) -> dict[str, int]:
    """Weights needed to map the input to the same output three ways.

    dense: every input value to every output value; locally connected: each output cell has its own
    kernel; shared: one kernel per filter slid over the input (a convolution).
    """
    out_h, out_w = conv_output_shape(input_hw, kernel_hw, stride=stride, padding=padding, dilation=dilation)
    inputs = input_hw[0] * input_hw[1] * in_channels
    outputs = out_h * out_w * filters
    kernel_size = kernel_hw[0] * kernel_hw[1] * in_channels
    return {
        "dense": inputs * outputs + (outputs if bias else 0),
        "local": out_h * out_w * filters * kernel_size + (outputs if bias else 0),
        "shared": filters * kernel_size + (filters if bias else 0),
    }
