"""How a kernel learns: every map, loss, gradient and step equals torch.autograd's, each weight's written-out
sum is its gradient, descent from a random kernel finds the teacher, and a rate that overshoots says so."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnn import kernel_learning as kl
from cnn import kernels

TEACHERS = ("sobel_x", "sobel_y", "diagonal", "laplacian", "sharpen")


def _torch(problem: kl.Problem, kernel: np.ndarray, bias: float) -> dict:
    """The same convolution and MSE in float64 torch, differentiated by autograd."""
    x = torch.tensor(problem.image, dtype=torch.float64)[None, None]
    k = torch.tensor(kernel, dtype=torch.float64, requires_grad=True)
    b = torch.tensor([bias], dtype=torch.float64, requires_grad=True)
    y = F.conv2d(x, k[None, None], b if problem.with_bias else None, stride=problem.stride,
                 padding=problem.padding, dilation=problem.dilation)[0, 0]
    loss = torch.mean((y - torch.tensor(problem.target, dtype=torch.float64)) ** 2)
    dy, dk, db = torch.autograd.grad(loss, (y, k, b), allow_unused=True)
    return {"y": y.detach().numpy(), "loss": loss.item(), "dy": dy.numpy(), "dk": dk.numpy(),
            "db": 0.0 if db is None else db.item()}


@st.composite
def problems(draw):
    """A random problem whose output map is not empty: grid, kernel size, stride 1-3, padding 0-2, dilation 1-2."""
    height, width = draw(st.integers(3, 10)), draw(st.integers(3, 10))
    size, stride = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    padding, dilation = draw(st.integers(0, 2)), draw(st.integers(1, 2))
    assume(dilation * (size - 1) + 1 <= min(height, width) + 2 * padding)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    image = rng.normal(size=(height, width))
    shape = kl.Problem(image, np.zeros((1, 1)), size, stride, padding, dilation).output_shape()
    problem = kl.Problem(image, rng.normal(size=shape), size, stride, padding, dilation, draw(st.booleans()))
    return problem, rng.normal(size=(size, size)), float(rng.normal())


@settings(max_examples=80, deadline=None)
@given(problems())
def test_every_number_equals_autograd(case):
    problem, kernel, bias = case
    want = _torch(problem, kernel, bias)
    np.testing.assert_allclose(kl.forward(problem, kernel, bias), want["y"], rtol=1e-12, atol=1e-12)
    assert kl.loss(problem, kernel, bias) == pytest.approx(want["loss"], rel=1e-12)
    got = kl.gradients(problem, kernel, bias)
    assert got.loss == pytest.approx(want["loss"], rel=1e-12)
    np.testing.assert_allclose(got.output, want["dy"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.kernel, want["dk"], rtol=1e-10, atol=1e-12)
    assert got.bias == pytest.approx(want["db"], rel=1e-10, abs=1e-12)
    padded = np.pad(problem.image, problem.padding)
    for i in range(problem.size):
        for j in range(problem.size):                          # each weight's sum, written out
            arithmetic = kl.weight_arithmetic(problem, kernel, bias, i, j)
            assert arithmetic.total == pytest.approx(want["dk"][i, j], rel=1e-10, abs=1e-12)
            np.testing.assert_array_equal(arithmetic.products, arithmetic.inputs * arithmetic.output_gradients)
            np.testing.assert_array_equal(arithmetic.inputs, padded[np.ix_(arithmetic.rows, arithmetic.cols)])


def test_a_step_is_the_gradient_times_the_learning_rate():
    problem = kl.default_problem()
    kernel, bias = kl.start(problem, seed=1)
    want = _torch(problem, kernel, bias)
    new_kernel, new_bias = kl.step(problem, kernel, bias, lr=0.05)
    np.testing.assert_allclose(new_kernel, kernel - 0.05 * want["dk"], rtol=1e-12)
    assert new_bias == pytest.approx(bias - 0.05 * want["db"])


def test_the_trajectory_keeps_every_kernel_and_its_loss():
    problem = kl.Problem(np.random.default_rng(3).normal(size=(7, 7)), np.ones((3, 3)), stride=2)
    kernel, bias = kl.start(problem, seed=2)
    walked = kl.trajectory(problem, kernel, bias, kl.default_lr(problem), 12)
    assert walked.kernels.shape == (13, 3, 3) and walked.biases.shape == walked.losses.shape == (13,)
    np.testing.assert_array_equal(walked.kernels[0], kernel)
    for k, b, value in zip(walked.kernels, walked.biases, walked.losses):
        assert kl.loss(problem, k, b) == value
    np.testing.assert_array_equal(kl.step(problem, walked.kernels[4], walked.biases[4], kl.default_lr(problem))[0],
                                  walked.kernels[5])
    last_kernel, last_bias, history = kl.descend(problem, kernel, bias, kl.default_lr(problem), 12)
    np.testing.assert_array_equal(last_kernel, walked.kernels[-1])
    assert last_bias == walked.biases[-1] and history == walked.losses.tolist()


@pytest.mark.parametrize("teacher", TEACHERS)
def test_descent_from_a_random_kernel_finds_the_teacher(teacher):
    problem = kl.default_problem(teacher)
    kernel, bias = kl.start(problem, seed=0)
    losses = kl.trajectory(problem, kernel, bias, kl.default_lr(problem), 200).losses
    assert losses[40] < 0.01 * losses[0]                       # most of the way in a few dozen steps
    assert np.all(np.diff(losses) <= 1e-15)                    # never goes up at this rate
    below = np.flatnonzero(losses < 1e-6)
    assert below.size and below[0] <= 150
    learnt, _, _ = kl.descend(problem, kernel, bias, kl.default_lr(problem), 200)
    np.testing.assert_allclose(learnt, kernels.preset(teacher), atol=1e-3)   # the 6x6 grid pins all 9 weights


@pytest.mark.parametrize("lr", [1e4, float("inf")])
def test_a_huge_learning_rate_is_refused_with_its_reason(lr):
    problem = kl.default_problem()
    kernel, bias = kl.start(problem)
    with pytest.raises(kl.LearningError) as info:
        kl.descend(problem, kernel, bias, lr=lr, steps=50)
    assert info.value.code == "diverged" and info.value.params == {"lr": f"{lr:g}"}


def test_a_rate_just_past_the_limit_grows_the_loss_until_refused():
    problem = kl.default_problem()
    kernel, bias = kl.start(problem)
    with pytest.raises(kl.LearningError) as info:
        kl.descend(problem, kernel, bias, lr=1.2 * kl.default_lr(problem), steps=400)
    assert info.value.code == "diverged"


def test_a_target_of_the_wrong_shape_is_refused():
    problem = kl.default_problem()
    with pytest.raises(kl.LearningError) as info:
        kl.gradients(kl.Problem(problem.image, np.zeros((3, 3))), np.zeros((3, 3)), 0.0)
    assert info.value.code == "bad_target" and info.value.params == {"want": "4×4", "got": "3×3"}


def test_a_weight_outside_the_kernel_is_refused():
    problem = kl.default_problem()
    with pytest.raises(ValueError, match="outside"):
        kl.weight_arithmetic(problem, np.zeros((3, 3)), 0.0, 3, 0)


@settings(max_examples=40, deadline=None)
@given(problems(), st.data())
def test_the_landscape_is_the_loss_at_each_point(case, data):
    """Every cell of the landscape equals the loss computed directly (numpy, and torch's conv2d) with those
    two weights set and every other weight as it is."""
    problem, kernel, bias = case
    cells = [(i, j) for i in range(problem.size) for j in range(problem.size)]
    assume(len(cells) >= 2)
    first, second = data.draw(st.sampled_from(cells)), data.draw(st.sampled_from(cells))
    assume(first != second)
    a, b = np.linspace(-2, 2, 5) + kernel[first], np.linspace(-1.5, 1, 4) + kernel[second]
    land = kl.landscape(problem, kernel, bias, (first, second), a, b)
    assert land.losses.shape == (4, 5)
    for r, bv in enumerate(b):
        for c, av in enumerate(a):
            moved = kernel.copy()
            moved[first], moved[second] = av, bv
            assert land.losses[r, c] == pytest.approx(_torch(problem, moved, bias)["loss"], rel=1e-10, abs=1e-12)
            assert land.losses[r, c] == pytest.approx(kl.loss(problem, moved, bias), rel=1e-10, abs=1e-12)


def test_the_landscape_is_centred_on_the_kernel_and_holds_the_path():
    problem = kl.default_problem("sobel_x")
    kernel, bias = kl.start(problem, 0)
    walked = kl.trajectory(problem, kernel, bias, kl.default_lr(problem), 30)
    now = walked.kernels[-1]
    land = kl.landscape_around(problem, now, float(walked.biases[-1]), ((0, 0), (1, 2)), walked.kernels)
    assert land.a[len(land.a) // 2] == pytest.approx(now[0, 0]) and land.b[len(land.b) // 2] == pytest.approx(now[1, 2])
    assert land.a.min() <= walked.kernels[:, 0, 0].min() and land.a.max() >= walked.kernels[:, 0, 0].max()
    assert land.b.min() <= walked.kernels[:, 1, 2].min() and land.b.max() >= walked.kernels[:, 1, 2].max()
    middle = land.losses[len(land.b) // 2, len(land.a) // 2]
    assert middle == pytest.approx(walked.losses[-1])          # the centre is where the kernel is now
    with pytest.raises(ValueError):
        kl.landscape(problem, now, 0.0, ((0, 0), (0, 0)), land.a, land.b)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("size, stride, shape", [(2, 2, (4, 4)), (2, 2, (5, 7)), (3, 2, (7, 7)), (2, 1, (4, 5))])
def test_max_pooling_passes_its_gradient_back_as_autograd_does(seed, size, stride, shape):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    out = ((shape[0] - size) // stride + 1, (shape[1] - size) // stride + 1)
    upstream = rng.normal(size=out)
    got = kl.max_pool_gradient(x, upstream, size, stride)
    xt = torch.tensor(x, requires_grad=True)
    y = F.max_pool2d(xt[None, None], size, stride)[0, 0]
    (grad,) = torch.autograd.grad(y, xt, torch.tensor(upstream))
    np.testing.assert_allclose(got.pooled, y.detach().numpy(), rtol=0, atol=0)
    np.testing.assert_allclose(got.input_gradient, grad.numpy(), rtol=1e-12, atol=1e-12)
    for r in range(out[0]):
        for c in range(out[1]):
            assert x[tuple(got.winners[r, c])] == got.pooled[r, c]


@pytest.mark.parametrize("seed", range(5))
def test_the_pages_pooling_example_sends_each_gradient_to_its_windows_max_only(seed):
    x, upstream = kl.pool_example(seed)
    assert x.shape == (4, 4) and upstream.shape == (2, 2) and len(set(x.ravel())) == 16 and np.all(upstream != 0)
    got = kl.max_pool_gradient(x, upstream)
    xt = torch.tensor(x, requires_grad=True)
    (grad,) = torch.autograd.grad(F.max_pool2d(xt[None, None], 2)[0, 0], xt, torch.tensor(upstream))
    np.testing.assert_array_equal(got.input_gradient, grad.numpy())
    assert np.count_nonzero(got.input_gradient) == 4                # one cell a window, the others get 0
    with pytest.raises(ValueError):
        kl.max_pool_gradient(x, np.zeros((3, 3)))
