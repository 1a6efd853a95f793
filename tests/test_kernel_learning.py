"""How a kernel learns: every loss, gradient and step equals torch.autograd's, and descent converges."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnn import kernel_learning as kl


def _torch(problem: kl.Problem, kernel: np.ndarray, bias: float):
    x = torch.tensor(problem.image, dtype=torch.float64)[None, None]
    k = torch.tensor(kernel, dtype=torch.float64, requires_grad=True)
    b = torch.tensor([bias], dtype=torch.float64, requires_grad=True)
    y = F.conv2d(x, k[None, None], b if problem.with_bias else None, stride=problem.stride,
                 padding=problem.padding, dilation=problem.dilation)[0, 0]
    loss = torch.mean((y - torch.tensor(problem.target, dtype=torch.float64)) ** 2)
    dk, db = torch.autograd.grad(loss, (k, b), allow_unused=True)
    return loss.item(), dk.numpy(), 0.0 if db is None else db.item()


CASES = [(seed, stride, padding, dilation, bias) for seed in range(3) for stride in (1, 2, 3) for padding in (0, 2)
         for dilation in (1, 2) for bias in (True, False)]


@pytest.mark.parametrize("seed,stride,padding,dilation,with_bias", CASES)
def test_loss_and_gradients_equal_autograd(seed, stride, padding, dilation, with_bias):
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(int(rng.integers(7, 11)), int(rng.integers(7, 11))))
    size = int(rng.integers(2, 4))
    shape = kl.Problem(image, np.zeros((1, 1)), size, stride, padding, dilation).output_shape()
    problem = kl.Problem(image, rng.normal(size=shape), size, stride, padding, dilation, with_bias)
    kernel, bias = rng.normal(size=(size, size)), float(rng.normal())
    want_loss, want_dk, want_db = _torch(problem, kernel, bias)
    got = kl.gradients(problem, kernel, bias)
    assert got.loss == pytest.approx(want_loss, rel=1e-12)
    np.testing.assert_allclose(got.kernel, want_dk, rtol=1e-10, atol=1e-12)
    assert got.bias == pytest.approx(want_db, rel=1e-10, abs=1e-12)
    i, j = int(rng.integers(size)), int(rng.integers(size))
    arithmetic = kl.weight_arithmetic(problem, kernel, bias, i, j)        # the sum written out, for one weight
    assert arithmetic.total == pytest.approx(want_dk[i, j], rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(arithmetic.products, arithmetic.inputs * arithmetic.output_gradients)


def test_a_step_is_the_gradient_times_the_learning_rate():
    problem = kl.default_problem()
    kernel, bias = kl.start(problem, seed=1)
    _, dk, db = _torch(problem, kernel, bias)
    new_kernel, new_bias = kl.step(problem, kernel, bias, lr=0.05)
    np.testing.assert_allclose(new_kernel, kernel - 0.05 * dk, rtol=1e-12)
    assert new_bias == pytest.approx(bias - 0.05 * db)


def test_descent_from_a_random_kernel_finds_the_teacher():
    problem = kl.default_problem("sobel_x")
    kernel, bias = kl.start(problem, seed=0)
    kernel, bias, history = kl.descend(problem, kernel, bias, kl.default_lr(problem), 300)
    assert history[-1] < 1e-8 < history[0]
    assert all(b <= a + 1e-15 for a, b in zip(history, history[1:]))     # never goes up at this rate
    assert np.allclose(kl.forward(problem, kernel, bias), problem.target, atol=1e-3)


def test_a_huge_learning_rate_is_refused_with_its_reason():
    problem = kl.default_problem()
    kernel, bias = kl.start(problem)
    with pytest.raises(kl.LearningError) as info:
        kl.descend(problem, kernel, bias, lr=1e4, steps=50)
    assert info.value.code == "diverged"


def test_a_target_of_the_wrong_shape_is_refused():
    problem = kl.default_problem()
    with pytest.raises(kl.LearningError) as info:
        kl.gradients(kl.Problem(problem.image, np.zeros((3, 3))), np.zeros((3, 3)), 0.0)
    assert info.value.code == "bad_target"
