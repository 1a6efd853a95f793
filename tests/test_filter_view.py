"""What a filter looks for: the strongest patches are truly the strongest, their boxes are the receptive
fields (checked by perturbing pixels), and activation maximisation excites its filter without touching
the shared model."""

import numpy as np
import pytest
import torch

from cnn import data, filter_view, inspect, models

SMALL = models.ModelSpec(name="small", input_shape=(1, 16, 16), classes=[str(i) for i in range(3)], layers=[
    {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
    {"type": "activation", "name": "relu"},
    {"type": "pool", "mode": "max", "size": 2},
    {"type": "conv", "filters": 5, "kernel": 3, "stride": 2, "dilation": 1},
    {"type": "activation", "name": "relu"},
    {"type": "flatten"},
    {"type": "dense", "units": 3},
])


def _small_model(seed: int = 0):
    torch.manual_seed(seed)
    model = models.build(SMALL).double().eval()
    return model


@pytest.mark.parametrize("layer,row,col", [(0, 0, 0), (0, 7, 9), (2, 3, 4), (3, 0, 0), (3, 2, 1), (4, 1, 2)])
def test_the_receptive_field_is_what_the_output_depends_on(layer, row, col):
    model = _small_model()
    x = torch.rand(1, 1, 16, 16, dtype=torch.float64)
    with torch.no_grad():
        base = model[:layer + 1](x)[0, :, row, col]
    depends = np.zeros((16, 16), dtype=bool)
    for r in range(16):
        for c in range(16):
            y = x.clone()
            y[0, 0, r, c] += 10.0                                 # ReLU and max may hide a small change
            with torch.no_grad():
                depends[r, c] = not torch.allclose(model[:layer + 1](y)[0, :, row, col], base)
    top, left, bottom, right = filter_view.receptive_field(SMALL, layer, row, col)
    rows, cols = np.nonzero(depends)
    assert top <= rows.min() and rows.max() <= bottom and left <= cols.min() and cols.max() <= right
    box = np.zeros_like(depends)
    box[top:bottom + 1, left:right + 1] = True
    assert depends.sum() >= 0.5 * box.sum()                       # the box is not much bigger than it must be


def test_the_strongest_patches_are_the_strongest():
    model = _small_model(1).float()                               # as the app runs models
    rng = np.random.default_rng(0)
    images = rng.random((40, 16, 16))
    found = filter_view.strongest_patches(model, SMALL, images, layer=3, top=9)
    with torch.no_grad():
        maps = model[:4](torch.tensor(images, dtype=torch.float32)[:, None])
    for f, items in enumerate(found):
        best = maps[:, f].flatten(1).max(dim=1).values.numpy()
        want = np.sort(best)[::-1][:9]
        np.testing.assert_allclose([s.activation for s in items], want, rtol=1e-6)
        assert len({s.image for s in items}) == 9                 # one patch per image
        for s in items:
            assert maps[s.image, f, s.row, s.col].item() == pytest.approx(s.activation)
            assert s.box == filter_view.receptive_field(SMALL, 3, s.row, s.col)


def test_activation_maximisation_excites_each_filter_and_leaves_the_model_alone():
    model, spec = models.load("assets/models/mnist-default")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    flags = [p.requires_grad for p in model.parameters()]
    pictures, reached = filter_view.maximise(model, spec, layer=0, steps=30)
    assert pictures.shape[0] == len(reached) and pictures.shape[1:] == tuple(spec.input_shape)
    assert pictures.min() >= 0.0 and pictures.max() <= 1.0
    with torch.no_grad():
        noise = torch.full((1, *spec.input_shape), 0.5) + 0.05 * torch.randn(1, *spec.input_shape)
        maps = model[:1](noise)[0]
        start = maps[:, maps.shape[1] // 2, maps.shape[2] // 2].numpy()   # the centre of the first maps
    assert np.mean(reached > start + 0.1) > 0.8                   # nearly every filter is driven well above its start
    top, left, bottom, right = filter_view.centre_field(model, spec, 0)
    k = model[0].kernel_size[0]
    assert (bottom - top + 1, right - left + 1) == (k, k)         # a k x k kernel's centre sees k x k pixels
    assert not model.training and [p.requires_grad for p in model.parameters()] == flags
    assert all(p.grad is None for p in model.parameters())
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])


def test_the_strongest_sample_digits_for_the_shipped_model():
    model, spec = models.load("assets/models/mnist-default")
    samples = data.sample_digits()
    images = samples.images[:300] / 255.0
    found = filter_view.strongest_patches(model, spec, images, layer=inspect.conv_layers(spec)[0])
    assert len(found) == model[inspect.conv_layers(spec)[0]].out_channels
    for items in found:
        assert len(items) == 9 and all(0 <= s.box[0] <= s.box[2] < 28 for s in items)
