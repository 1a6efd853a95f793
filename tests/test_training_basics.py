"""Pixel scaling, dropout and the loss, held to torch's own versions."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnn import data
from cnn import training_basics as tb


def test_pixels_are_scaled_as_the_seed_scales_them():
    pixels = np.array([0, 51, 128, 255], dtype=np.uint8)
    np.testing.assert_allclose(tb.scale_pixels(pixels), torch.tensor(pixels).float().div(255.0).numpy(), rtol=1e-6)
    assert tb.scale_pixels(51)[()] == pytest.approx(0.2)


@pytest.mark.parametrize("seed", range(5))
def test_softmax_and_cross_entropy_match_torch(seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 5, (8, 10))
    labels = rng.integers(0, 10, 8)
    want = F.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item()
    assert tb.cross_entropy(logits, labels) == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(tb.softmax(logits), F.softmax(torch.tensor(logits), dim=1).numpy(), rtol=1e-12)
    one = tb.loss_by_hand(logits[0], int(labels[0]))
    assert one.loss == pytest.approx(F.cross_entropy(torch.tensor(logits[:1]), torch.tensor(labels[:1])).item())
    assert one.loss == pytest.approx(-np.log(one.probabilities[one.label]))
    assert one.probabilities.sum() == pytest.approx(1.0) and one.exps.max() == 1.0


def test_huge_scores_give_a_finite_loss():
    assert tb.cross_entropy(np.array([1000.0, 0.0]), 1) == pytest.approx(1000.0)
    assert tb.cross_entropy(np.array([1000.0, 0.0]), 0) == pytest.approx(0.0)


def test_a_true_class_outside_the_classes_is_refused():
    with pytest.raises(ValueError):
        tb.loss_by_hand(np.zeros(10), 10)


def test_the_written_out_gradient_descent_is_torch_autograds():
    rng = np.random.default_rng(0)
    x, labels = rng.random((20, 12)) * 255, rng.integers(0, 3, 20)
    run = tb.softmax_regression(x, labels, lr=0.01, steps=3, classes=3, seed=4)
    w = torch.tensor(np.random.default_rng(4).normal(0.0, 0.01, (12, 3)), requires_grad=True)
    b = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    xt, yt = torch.tensor(x), torch.tensor(labels)
    assert run.pre_activation == pytest.approx(((xt @ w + b).min().item(), (xt @ w + b).max().item()))
    for step in range(3):
        loss = F.cross_entropy(xt @ w + b, yt)
        assert run.losses[step] == pytest.approx(loss.item(), rel=1e-10)
        gw, gb = torch.autograd.grad(loss, (w, b))
        with torch.no_grad():
            w -= 0.01 * gw
            b -= 0.01 * gb
    assert run.losses[3] == pytest.approx(F.cross_entropy(xt @ w + b, yt).item(), rel=1e-10)


def test_raw_pixels_blow_up_where_scaled_ones_learn():
    images, labels = data._mnist_5k()
    pick = np.random.default_rng(0).permutation(len(images))[:500]
    runs = tb.scaling_comparison(images[pick], labels[pick], lr=0.5, steps=10)
    raw, scaled = runs["raw"], runs["scaled"]
    assert scaled.losses[-1] < 0.8 * scaled.losses[0] and scaled.losses[0] == pytest.approx(np.log(10), abs=0.1)
    assert max(raw.losses) > 100 * raw.losses[0] and raw.losses[-1] > 10 * scaled.losses[0]
    # The same weights: pre-activations 255 times wider on raw pixels.
    np.testing.assert_allclose(np.array(raw.pre_activation), 255 * np.array(scaled.pre_activation), rtol=1e-9)


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.8])
def test_dropout_is_torchs_for_the_same_mask(p):
    torch.manual_seed(0)
    x = torch.rand(4, 64, dtype=torch.float64) + 0.1
    layer = torch.nn.Dropout(p)
    trained = layer.train()(x)
    mask = (trained != 0).numpy()
    np.testing.assert_allclose(tb.dropout(x.numpy(), p, training=True, mask=mask), trained.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(tb.dropout(x.numpy(), p, training=False), layer.eval()(x).numpy())


def test_dropout_keeps_about_one_minus_p_and_the_expected_value():
    x = np.full(200_000, 0.8)
    out = tb.dropout(x, 0.5, training=True, seed=3)
    kept = out != 0
    assert kept.mean() == pytest.approx(0.5, abs=0.01)
    assert set(np.unique(out)) == {0.0, 1.6}
    assert out.mean() == pytest.approx(0.8, abs=0.01)
    torch_out = torch.nn.Dropout(0.5).train()(torch.tensor(x))
    assert out.mean() == pytest.approx(torch_out.mean().item(), abs=0.02)
    with pytest.raises(ValueError):
        tb.dropout(x, 1.0, training=True)
    np.testing.assert_array_equal(tb.dropout_mask(10, 0.5, 7), tb.dropout_mask(10, 0.5, 7))


def test_the_dropout_demo_is_the_models_own_dropout_in_training_and_eval():
    from cnn import images, inspect, models

    model, spec = models.load("assets/models/mnist-default")
    digit, _ = images.mnist_digit(7)
    demo = tb.dropout_demo(model, spec, digit, 0.5, masks=4, seed=1)
    assert spec.layers[demo.layer]["type"] == "dropout" and demo.units.shape == (128,)
    np.testing.assert_allclose(demo.probabilities[0], inspect.predict(model, spec, digit), atol=1e-5)  # eval
    x = torch.tensor(demo.units)
    torch.manual_seed(0)
    torch_out = torch.nn.Dropout(0.5).train()(x)                 # what torch passes on in training
    np.testing.assert_allclose(tb.dropout(demo.units, 0.5, training=True, mask=(torch_out != 0).numpy()),
                               torch_out.numpy(), rtol=1e-12)
    for k in range(4):
        kept = demo.masks[k]
        np.testing.assert_allclose(demo.trained[k][kept], 2 * demo.units[kept], rtol=1e-12)
        assert not demo.trained[k][~kept].any()
        with torch.no_grad():
            rest = model[demo.layer + 1:](torch.tensor(demo.trained[k], dtype=torch.float32)[None])
        np.testing.assert_allclose(demo.probabilities[k + 1], torch.softmax(rest, 1)[0].numpy(), atol=1e-5)
    assert not model.training



def test_true_class_probabilities_are_the_models_predictions():
    from cnn import data, inspect, models

    model, spec = models.load("assets/models/mnist-default")
    samples = data.sample_digits()
    images, labels = samples.images[:7] / 255.0, samples.labels[:7]
    found = tb.true_class_probabilities(model, spec, images, labels, batch=3)
    want = [inspect.predict(model, spec, image)[label] for image, label in zip(images, labels)]
    np.testing.assert_allclose(found, want, atol=1e-5)
