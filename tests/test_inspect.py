"""cnn.inspect against independent references: plain Sequential slices, Captum, and hand-made loops."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnn import images, inspect, models, ops


def _model(name: str, seed: int = 0):
    torch.manual_seed(seed)
    spec = models.preset(name)
    model = models.build(spec).eval()
    return model, spec


def _input(spec, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(spec.input_shape)


@pytest.mark.parametrize("name", list(models.PRESETS))
def test_trace_keeps_every_layer_with_the_summary_shapes(name):
    model, spec = _model(name)
    x = _input(spec)
    look = inspect.trace(model, spec, x)
    assert [layer.index for layer in look.layers] == list(range(len(spec.layers)))
    assert [layer.values.shape for layer in look.layers] == [row.output_shape for row in models.summary(spec)]
    # Each recorded output is what the first i+1 layers compute: checked against Sequential slices.
    xt = torch.as_tensor(x, dtype=torch.float32)[None]
    with torch.no_grad():
        for layer in look.layers:
            np.testing.assert_allclose(layer.values, model[:layer.index + 1](xt)[0].numpy(), rtol=1e-5, atol=1e-5)
    assert look.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(look.probabilities, inspect.predict(model, spec, x), atol=1e-6)


def test_inspection_leaves_the_shared_model_as_it_was():
    model, spec = _model("mnist-default")
    before = {k: v.clone() for k, v in model.state_dict().items()}   # batch norm's running stats included
    x = _input(spec)
    inspect.trace(model, spec, x)
    inspect.grad_cam(model, spec, x, target=1)
    inspect.saliency(model, spec, x, 1)
    inspect.occlusion(model, spec, x)
    assert all(not layer._forward_hooks and not layer._backward_hooks for layer in model.modules())
    assert all(p.grad is None for p in model.parameters()) and not model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_a_model_in_training_mode_is_refused_rather_than_switched():
    model, spec = _model("seed-mnist")
    model.train()
    with pytest.raises(ValueError, match="eval mode"):
        inspect.trace(model, spec, _input(spec))
    assert model.training


def test_eight_threads_inspecting_one_model_each_see_their_own_input():
    """The app shares one cached model between sessions: concurrent traces and Grad-CAMs of different
    inputs must each equal the same call made alone."""
    from concurrent.futures import ThreadPoolExecutor

    model, spec = _model("mnist-default", seed=3)
    inputs = [_input(spec, seed) for seed in range(8)]

    def look(x):
        traced = inspect.trace(model, spec, x)
        cam = inspect.grad_cam(model, spec, x, target=int(traced.top))
        return [layer.values for layer in traced.layers], traced.probabilities, cam["coarse"]

    alone = [look(x) for x in inputs]
    barrier = __import__("threading").Barrier(8)

    def together(x):
        barrier.wait()                      # all eight start at the same moment
        return [look(x) for _ in range(5)]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(together, inputs))
    for expected, repeats in zip(alone, results):
        for layers, probabilities, cam in repeats:
            for got, want in zip(layers, expected[0]):
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(probabilities, expected[1], rtol=1e-5, atol=1e-7)
            np.testing.assert_allclose(cam, expected[2], rtol=1e-4, atol=1e-6)


def test_wrong_input_shape_is_refused():
    model, spec = _model("seed-mnist")
    with pytest.raises(ValueError, match="1, 28, 28"):
        inspect.trace(model, spec, np.zeros((32, 32)))


def test_first_layer_cell_matches_the_labs_window_arithmetic():
    model, spec = _model("lenet5")   # padding 2: the window must include the padding
    x = _input(spec, 3)
    look = inspect.trace(model, spec, x)
    weights, bias = inspect.kernels(model, 0)
    for k, row, col in [(0, 0, 0), (3, 13, 27), (5, 27, 5)]:
        step = ops.window(x, weights[k], row, col, padding=2, bias=bias[k])
        assert step.value == pytest.approx(float(look.layers[0].values[k, row, col]), abs=1e-4)


def test_kernels_refuses_a_layer_that_is_not_a_convolution():
    model, _ = _model("seed-mnist")
    with pytest.raises(ValueError, match="not a convolution"):
        inspect.kernels(model, 1)


def test_cam_layer_is_after_the_last_convs_activation():
    assert inspect.cam_layer(models.preset("seed-mnist")) == 1          # conv, relu
    assert inspect.cam_layer(models.preset("mnist-default")) == 6      # conv, batchnorm, relu
    assert inspect.cam_layer(models.preset("tinyvgg")) == 8
    dense_only = models.ModelSpec("mlp", (1, 8, 8), [{"type": "flatten"}, {"type": "dense", "units": 3}], list("abc"))
    with pytest.raises(ValueError, match="no convolution"):
        inspect.cam_layer(dense_only)


@pytest.mark.parametrize("name", ["seed-mnist", "mnist-default", "tinyvgg", "shapes"])
def test_grad_cam_matches_captum(name):
    from captum.attr import LayerGradCam

    model, spec = _model(name, seed=1)
    x = _input(spec, 1)
    ours = inspect.grad_cam(model, spec, x, target=2)
    layer = model[ours["layer"]]
    theirs = LayerGradCam(model, layer).attribute(torch.as_tensor(x, dtype=torch.float32)[None], target=2,
                                                  relu_attributions=True)[0, 0].detach().numpy()
    np.testing.assert_allclose(ours["coarse"], theirs, rtol=1e-4, atol=1e-6)
    assert ours["map"].shape == tuple(spec.input_shape[1:])
    assert ours["map"].min() >= 0 and ours["map"].max() <= 1 + 1e-6
    assert all(p.grad is None for p in model.parameters())   # the shared model's weights are untouched


def test_saliency_is_the_absolute_input_gradient():
    model, spec = _model("lenet5")
    x = _input(spec, 2)
    xt = torch.as_tensor(x, dtype=torch.float32)[None].requires_grad_(True)
    model(xt)[0, 4].backward()
    expected = xt.grad[0].abs().amax(0).numpy()
    np.testing.assert_allclose(inspect.saliency(model, spec, x, 4), expected / expected.max(), rtol=1e-4, atol=1e-6)


def test_occlusion_matches_captum_and_a_plain_loop():
    from captum.attr import Occlusion

    model, spec = _model("seed-mnist", seed=4)
    x = _input(spec, 4)
    ours = inspect.occlusion(model, spec, x, target=3, patch=6, stride=2)   # (28 - 6) / 2: windows fit exactly
    xt = torch.as_tensor(x, dtype=torch.float32)[None]

    def prob(batch):
        return F.softmax(model(batch), dim=1)

    theirs = Occlusion(prob).attribute(xt, target=3, sliding_window_shapes=(1, 6, 6), strides=(1, 2, 2),
                                       baselines=0.0)[0, 0].detach().numpy()
    np.testing.assert_allclose(ours["map"], theirs, rtol=1e-4, atol=1e-6)
    # And by hand for one patch position: the top-left pixel is covered only by the patch at (0, 0).
    hidden = xt.clone()
    hidden[..., :6, :6] = 0
    with torch.no_grad():
        drop = (prob(xt)[0, 3] - prob(hidden)[0, 3]).item()
    assert ours["map"][0, 0] == pytest.approx(drop, abs=1e-6)
    assert ours["base"] == pytest.approx(prob(xt)[0, 3].item(), abs=1e-6)


def test_occlusion_covers_the_edges_when_the_stride_does_not_fit():
    model, spec = _model("seed-mnist")
    out = inspect.occlusion(model, spec, _input(spec), patch=5, stride=4)
    assert out["map"].shape == (28, 28)
    assert np.all(np.isfinite(out["map"]))


def test_shipped_model_explanations_concentrate_near_the_ink():
    """On real digits, Grad-CAM and occlusion put more of their weight near the strokes than the strokes'
    share of the picture (measured: about 0.5 and 0.8 against 0.37); a broken map would not."""
    from scipy import ndimage

    model, spec = models.load("assets/models/mnist-default")
    cam_share, occ_share, area = [], [], []
    for index in np.random.default_rng(0).choice(images.MNIST_5K_SIZE, 30, replace=False):
        digit, label = images.mnist_digit(int(index))
        near = ndimage.binary_dilation(digit > 0.2, iterations=2)
        cam = inspect.grad_cam(model, spec, digit)
        assert cam["target"] == label
        occ = np.clip(inspect.occlusion(model, spec, digit)["map"], 0, None)
        cam_share.append(cam["map"][near].sum() / cam["map"].sum())
        occ_share.append(occ[near].sum() / max(occ.sum(), 1e-12))
        area.append(near.mean())
    assert np.mean(cam_share) > np.mean(area) + 0.05
    assert np.mean(occ_share) > np.mean(area) + 0.2
