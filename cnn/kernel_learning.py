"""How a kernel learns: gradient descent on one kernel, with every number a page can explain.

The problem: an input grid x, a target map t, and a kernel k (+ bias b) to find such that
conv2d(x, k) + b matches t. The loss is the mean squared error L = mean((y - t)²) over the map's cells.
Its gradient with respect to the map is g = 2 (y - t) / n, and the gradient with respect to each kernel
weight is itself a convolution: dL/dk[i, j] = Σ_r,c g[r, c] · x_padded[r·s + i·d, c·s + j·d], the input
correlated with the map's gradient. `weight_arithmetic` writes that sum out for any one weight.
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
    padding: int = 0
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
    return ops.conv2d(problem.image, kernel, stride=problem.stride, padding=problem.padding,
                      dilation=problem.dilation, bias=np.array([bias if problem.with_bias else 0.0]))


def loss(problem: Problem, kernel: np.ndarray, bias: float) -> float:
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


def gradients(problem: Problem, kernel: np.ndarray, bias: float) -> Gradients:
    check(problem)
    y = forward(problem, kernel, bias)
    g = 2.0 * (y - problem.target) / y.size
    x, s, d = _padded(problem), problem.stride, problem.dilation
    rows, cols = g.shape
    grad = np.empty((problem.size, problem.size))
    for i in range(problem.size):
        for j in range(problem.size):
            # The input pixels weight (i, j) met at every output cell, strided: a correlation with g.
            patch = x[i * d: i * d + s * (rows - 1) + 1: s, j * d: j * d + s * (cols - 1) + 1: s]
            grad[i, j] = float(np.sum(patch * g))
    return Gradients(g, grad, float(g.sum()) if problem.with_bias else 0.0, float(np.mean((y - problem.target) ** 2)))


@dataclass(frozen=True)
class WeightArithmetic:
    inputs: np.ndarray            # the input pixels weight (i, j) touched, one per output cell
    output_gradients: np.ndarray  # dL/dy at those cells
    products: np.ndarray
    total: float                  # = dL/dk[i, j]


def weight_arithmetic(problem: Problem, kernel: np.ndarray, bias: float, i: int, j: int) -> WeightArithmetic:
    g = gradients(problem, kernel, bias).output
    x, s, d = _padded(problem), problem.stride, problem.dilation
    rows, cols = g.shape
    inputs = x[i * d: i * d + s * (rows - 1) + 1: s, j * d: j * d + s * (cols - 1) + 1: s]
    products = inputs * g
    return WeightArithmetic(inputs, g, products, float(products.sum()))


def step(problem: Problem, kernel: np.ndarray, bias: float, lr: float) -> tuple[np.ndarray, float]:
    """One gradient-descent step. LearningError(diverged) once the loss blows up."""
    grads = gradients(problem, kernel, bias)
    new_kernel, new_bias = kernel - lr * grads.kernel, bias - lr * grads.bias
    after = loss(problem, new_kernel, new_bias)
    if not np.isfinite(after) or after > EXPLODED:
        raise LearningError(f"The loss exploded at learning rate {lr:g}: take a smaller one.", "diverged",
                            lr=f"{lr:g}")
    return new_kernel, new_bias


def descend(problem: Problem, kernel: np.ndarray, bias: float, lr: float, steps: int
            ) -> tuple[np.ndarray, float, list[float]]:
    """`steps` steps; the kernel, the bias and the loss before each step and after the last."""
    history = [loss(problem, kernel, bias)]
    for _ in range(steps):
        kernel, bias = step(problem, kernel, bias, lr)
        history.append(loss(problem, kernel, bias))
    return kernel, bias, history


def default_lr(problem: Problem) -> float:
    """A learning rate that converges fast: 0.9 of the stable limit 2/λmax of this quadratic loss."""
    x = _padded(problem)
    rows, cols = problem.output_shape()
    s, d, k = problem.stride, problem.dilation, problem.size
    # Each weight's column of the least-squares problem: the pixels it meets; the loss's curvature is
    # 2/n · AᵀA, whose largest eigenvalue bounds the step (lr < 2 / λmax).
    columns = [x[i * d: i * d + s * (rows - 1) + 1: s, j * d: j * d + s * (cols - 1) + 1: s].ravel()
               for i in range(k) for j in range(k)]
    if problem.with_bias:
        columns.append(np.ones(rows * cols))
    a = np.stack(columns, axis=1)
    curvature = 2.0 / (rows * cols) * np.linalg.eigvalsh(a.T @ a).max()
    return float(1.8 / curvature) if curvature > 0 else 0.1
