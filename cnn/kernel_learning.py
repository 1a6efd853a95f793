"""How a kernel learns: gradient descent on one kernel, with every number a page can explain.

The problem: an input grid x, a target map t, and a kernel k (+ bias b) to find such that
y = conv2d(x, k) + b matches t. The loss is the mean squared error L = mean((y - t)²), the mean over the
map's n cells. Its gradient with respect to the map is g = 2 (y - t) / n, and the gradient with respect
to the kernel is itself a convolution: dL/dk[i, j] = Σ_r,c g[r, c] · x_padded[r·s + i·d, c·s + j·d], the
padded input correlated with g as the kernel, g's cells spread s apart (the forward stride) and stepping d
(the forward dilation). `weight_arithmetic` writes that sum out for any one weight. Everything is float64
numpy, exact enough to compare with torch.autograd to 1e-10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn import images, kernels, ops

EXPLODED = 1e12    # a loss this large means the steps overshoot: a smaller learning rate is needed


class LearningError(ValueError):
    """Gradient descent cannot go on (code: diverged, bad_target)."""

    def __init__(self, message: str, code: str, **params):
        super().__init__(message)
        self.code, self.params = code, params


@dataclass(frozen=True)
class Problem:
    image: np.ndarray             # (H, W) float64
    target: np.ndarray            # (H', W'): the map the kernel should produce
    size: int = 3                 # the kernel is size x size
    stride: int = 1
    padding: int = 0              # zeros on each side
    dilation: int = 1
    with_bias: bool = True

    def output_shape(self) -> tuple[int, int]:
        return ops.conv_output_shape(self.image.shape, (self.size, self.size), stride=self.stride,
                                     padding=self.padding, dilation=self.dilation)


def default_problem(teacher: str = "sobel_x") -> Problem:
    """The lecture's 6x6 grid; the target is what a known kernel (a vertical-edge one) makes of it."""
    grid = images.SEED_GRID.astype(np.float64)
    return Problem(grid, ops.conv2d(grid, kernels.preset(teacher)), with_bias=False)   # the teacher has none


def check(problem: Problem) -> None:
    if problem.target.shape != problem.output_shape():
        raise LearningError(f"The target map must be {problem.output_shape()}, not {problem.target.shape}.",
                            "bad_target", want="×".join(map(str, problem.output_shape())),
                            got="×".join(map(str, problem.target.shape)))


def start(problem: Problem, seed: int = 0) -> tuple[np.ndarray, float]:
    """A random kernel (small, as networks start) and a zero bias."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 0.5, (problem.size, problem.size)), 0.0


def forward(problem: Problem, kernel: np.ndarray, bias: float) -> np.ndarray:
    """The output map y = conv2d(x, k) + b (the bias is ignored without with_bias)."""
    return ops.conv2d(problem.image, kernel, stride=problem.stride, padding=problem.padding,
                      dilation=problem.dilation, bias=np.array([bias if problem.with_bias else 0.0]),
                      method="numpy")   # float64 whatever the size: the page compares numbers exactly


def loss(problem: Problem, kernel: np.ndarray, bias: float) -> float:
    """Mean squared error, the mean over the output map's cells."""
    check(problem)
    return float(np.mean((forward(problem, kernel, bias) - problem.target) ** 2))


@dataclass(frozen=True)
class Gradients:
    output: np.ndarray            # dL/dy, the map's gradient
    kernel: np.ndarray            # dL/dk, (size, size)
    bias: float                   # dL/db (0 without a bias)
    loss: float


def _padded(problem: Problem) -> np.ndarray:
    p = problem.padding
    return np.pad(problem.image, p) if p else problem.image


def _met(problem: Problem, i: int, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pixels, rows, cols): the padded-input pixels weight (i, j) met, one per output cell, and where."""
    out_h, out_w = problem.output_shape()
    s, d = problem.stride, problem.dilation
    rows, cols = i * d + s * np.arange(out_h), j * d + s * np.arange(out_w)
    return _padded(problem)[rows[:, None], cols[None, :]], rows, cols


def gradients(problem: Problem, kernel: np.ndarray, bias: float) -> Gradients:
    """dL/dy, dL/dk and dL/db, with dL/dk computed as a convolution of the padded input with dL/dy."""
    check(problem)
    y = forward(problem, kernel, bias)
    g = 2.0 * (y - problem.target) / y.size
    # Roles swap: g is the kernel, dilated by the forward stride; it steps by the forward dilation. The
    # floor in the forward output size may leave pixels no weight met: they make extra cells past k x k.
    k = problem.size
    grad = ops.conv2d(_padded(problem), g, stride=problem.dilation, dilation=problem.stride, method="numpy")[:k, :k]
    return Gradients(g, grad, float(g.sum()) if problem.with_bias else 0.0, float(np.mean((y - problem.target) ** 2)))


@dataclass(frozen=True)
class WeightArithmetic:
    inputs: np.ndarray            # the input pixels weight (i, j) touched, one per output cell, (H', W')
    output_gradients: np.ndarray  # dL/dy at those cells
    products: np.ndarray          # inputs ⊙ output_gradients
    total: float                  # Σ products = dL/dk[i, j]
    rows: np.ndarray              # row of each input pixel met, in padded-input coordinates (as ops.Window)
    cols: np.ndarray              # its column


def weight_arithmetic(problem: Problem, kernel: np.ndarray, bias: float, i: int, j: int) -> WeightArithmetic:
    """The sum behind dL/dk[i, j], written out: at output cell (r, c) weight (i, j) met pixel
    x_padded[r·s + i·d, c·s + j·d], and that pixel times dL/dy[r, c] is its share of the gradient."""
    if not (0 <= i < problem.size and 0 <= j < problem.size):
        raise ValueError(f"Weight ({i}, {j}) is outside the {problem.size}x{problem.size} kernel.")
    g = gradients(problem, kernel, bias).output
    inputs, rows, cols = _met(problem, i, j)
    products = inputs * g
    return WeightArithmetic(inputs, g, products, float(products.sum()), rows, cols)


def _step(problem: Problem, kernel: np.ndarray, bias: float, lr: float) -> tuple[np.ndarray, float, float]:
    grads = gradients(problem, kernel, bias)
    with np.errstate(over="ignore", invalid="ignore"):      # an absurd rate overflows: reported below
        new_kernel, new_bias = kernel - lr * grads.kernel, bias - lr * grads.bias
        finite = np.all(np.isfinite(new_kernel)) and np.isfinite(new_bias)   # conv2d refuses NaN: check first
        after = loss(problem, new_kernel, new_bias) if finite else np.inf
    if not np.isfinite(after) or after > EXPLODED:
        raise LearningError(f"The loss diverged at learning rate {lr:g}: take a smaller one.", "diverged",
                            lr=f"{lr:g}")
    return new_kernel, new_bias, after


def step(problem: Problem, kernel: np.ndarray, bias: float, lr: float) -> tuple[np.ndarray, float]:
    """One gradient-descent step: k − lr·dL/dk, b − lr·dL/db. LearningError(diverged) once the loss blows up."""
    return _step(problem, kernel, bias, lr)[:2]


@dataclass(frozen=True)
class Trajectory:
    kernels: np.ndarray           # (steps + 1, size, size): the start, then the kernel after each step
    biases: np.ndarray            # (steps + 1,)
    losses: np.ndarray            # (steps + 1,)


def trajectory(problem: Problem, kernel: np.ndarray, bias: float, lr: float, steps: int) -> Trajectory:
    """`steps` steps of gradient descent, keeping every kernel, bias and loss on the way."""
    ks, biases, losses = [np.asarray(kernel, dtype=np.float64)], [float(bias)], [loss(problem, kernel, bias)]
    for _ in range(steps):
        kernel, bias, after = _step(problem, ks[-1], biases[-1], lr)
        ks.append(kernel)
        biases.append(bias)
        losses.append(after)
    return Trajectory(np.stack(ks), np.array(biases), np.array(losses))


def descend(problem: Problem, kernel: np.ndarray, bias: float, lr: float, steps: int
            ) -> tuple[np.ndarray, float, list[float]]:
    """`steps` steps; the last kernel, the last bias and the loss before each step and after the last."""
    walked = trajectory(problem, kernel, bias, lr, steps)
    return walked.kernels[-1], float(walked.biases[-1]), walked.losses.tolist()


def default_lr(problem: Problem) -> float:
    """A learning rate that converges fast: 0.9 of the stable limit 2/λmax of this quadratic loss.

    (Pages offer multiples of it: above about 1.1x the steps overshoot and the loss grows.) How fast the
    slowest direction converges is set by the conditioning of the grid, not by the rate.
    """
    rows, cols = problem.output_shape()
    # Each weight's column of the least-squares problem: the pixels it meets; the loss's curvature is
    # 2/n · AᵀA, whose largest eigenvalue bounds the step (lr < 2 / λmax).
    columns = [_met(problem, i, j)[0].ravel() for i in range(problem.size) for j in range(problem.size)]
    if problem.with_bias:
        columns.append(np.ones(rows * cols))
    a = np.stack(columns, axis=1)
    curvature = 2.0 / (rows * cols) * np.linalg.eigvalsh(a.T @ a).max()
    return float(1.8 / curvature) if curvature > 0 else 0.1


# ---------------------------------------------------------------- the loss as a landscape


@dataclass(frozen=True)
class Landscape:
    weights: tuple[tuple[int, int], tuple[int, int]]   # the two weights varied: (i, j) of each
    a: np.ndarray                 # (n,) values of the first weight (the x axis)
    b: np.ndarray                 # (m,) values of the second weight (the y axis)
    losses: np.ndarray            # (m, n): the loss with the first weight at a[c] and the second at b[r]


def landscape(problem: Problem, kernel: np.ndarray, bias: float, weights: tuple[tuple[int, int], tuple[int, int]],
              a: np.ndarray, b: np.ndarray) -> Landscape:
    """The loss over two weights of the kernel, every other weight (and the bias) kept as it is now.

    The output map is linear in each weight: moving weight (i, j) by δ adds δ times the pixels that weight
    met (one per output cell) to every cell. So the whole grid of losses comes from three maps at once:
    L(a, b) = mean((r + (a − k₁)·X₁ + (b − k₂)·X₂)²), r = y − t at the current kernel.
    """
    (i1, j1), (i2, j2) = weights
    if (i1, j1) == (i2, j2):
        raise ValueError("Pick two different weights.")
    for i, j in weights:
        if not (0 <= i < problem.size and 0 <= j < problem.size):
            raise ValueError(f"Weight ({i}, {j}) is outside the {problem.size}x{problem.size} kernel.")
    check(problem)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    residual = forward(problem, kernel, bias) - problem.target                       # (H', W')
    x1, x2 = _met(problem, i1, j1)[0], _met(problem, i2, j2)[0]                      # (H', W') each
    da, db = a - kernel[i1, j1], b - kernel[i2, j2]
    shifted = residual + da[None, :, None, None] * x1 + db[:, None, None, None] * x2  # (m, n, H', W')
    return Landscape(((i1, j1), (i2, j2)), a, b, np.mean(shifted ** 2, axis=(2, 3)))


def landscape_around(problem: Problem, kernel: np.ndarray, bias: float,
                     weights: tuple[tuple[int, int], tuple[int, int]], path: np.ndarray | None = None,
                     points: int = 41) -> Landscape:
    """landscape() on a square window centred on the current kernel, wide enough for the path so far
    (kernels (steps + 1, size, size)) and at least ±1 around it."""
    (i1, j1), (i2, j2) = weights
    centre = np.array([kernel[i1, j1], kernel[i2, j2]])
    half = 1.0
    if path is not None and len(path):
        walked = np.stack([path[:, i1, j1], path[:, i2, j2]], axis=1)
        half = max(half, 1.15 * float(np.max(np.abs(walked - centre))))
    a = np.linspace(centre[0] - half, centre[0] + half, points)
    b = np.linspace(centre[1] - half, centre[1] + half, points)
    return landscape(problem, kernel, bias, weights, a, b)


# ---------------------------------------------------------------- max pooling's backward pass


@dataclass(frozen=True)
class PoolGradient:
    pooled: np.ndarray            # (H', W'): each window's max
    winners: np.ndarray           # (H', W', 2): (row, col) in the input of each window's max
    upstream: np.ndarray          # (H', W'): dL/dy, the gradient that arrives from the layer above
    input_gradient: np.ndarray    # (H, W): dL/dx, each window's dL/dy at its max, 0 elsewhere (summed where
                                  # overlapping windows share a max)


def max_pool_gradient(x: np.ndarray, upstream: np.ndarray, size: int = 2, stride: int | None = None
                      ) -> PoolGradient:
    """Max pooling forward, then its backward pass: y = max of each window, so dy/dx is 1 at the window's
    max and 0 at the others; the upstream gradient flows back only to each window's max. Ties go to the
    first max in reading order, as PyTorch's max_pool2d does."""
    x, upstream = np.asarray(x, dtype=np.float64), np.asarray(upstream, dtype=np.float64)
    stride = stride or size
    out_h, out_w = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(f"A {size}x{size} window does not fit in a {x.shape[0]}x{x.shape[1]} map.")
    if upstream.shape != (out_h, out_w):
        raise ValueError(f"The upstream gradient must be {out_h}x{out_w}, not {upstream.shape[0]}x{upstream.shape[1]}.")
    pooled, winners = np.zeros((out_h, out_w)), np.zeros((out_h, out_w, 2), dtype=int)
    grad = np.zeros_like(x)
    for r in range(out_h):
        for c in range(out_w):
            window = x[r * stride:r * stride + size, c * stride:c * stride + size]
            wr, wc = divmod(int(np.argmax(window)), size)       # argmax: the first max in reading order
            winners[r, c] = (r * stride + wr, c * stride + wc)
            pooled[r, c] = window[wr, wc]
            grad[r * stride + wr, c * stride + wc] += upstream[r, c]
    return PoolGradient(pooled, winners, upstream, grad)


def pool_example(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 4x4 map of small whole numbers with no ties inside a 2x2 window, and a 2x2 upstream gradient."""
    rng = np.random.default_rng(seed)
    x = rng.permutation(16).reshape(4, 4).astype(np.float64) - 4.0      # 16 different values, some negative
    upstream = np.round(rng.uniform(-1.0, 1.0, (2, 2)), 1)
    upstream[upstream == 0] = 0.5
    return x, upstream
