"""What a filter looks for: receptive fields are exactly the pixels an output depends on (found by perturbing
each pixel), the strongest patches are truly the strongest, and activation maximisation excites its filter
without touching the shared model."""

import numpy as np
import pytest
import torch

from cnn import data, filter_view, inspect, models

CONV_POOL_CONV = models.ModelSpec(name="conv-pool-conv", input_shape=(1, 16, 16), classes=["a", "b", "c"], layers=[
    {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
    {"type": "pool", "mode": "max", "size": 2},
    {"type": "conv", "filters": 5, "kernel": 3, "stride": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 3},
])
# Stride, padding and dilation all at once, an average pool whose windows overlap, a dilated padded conv.
STRIDED = models.ModelSpec(name="strided", input_shape=(1, 17, 17), classes=["a", "b"], layers=[
    {"type": "conv", "filters": 3, "kernel": 3, "stride": 2, "padding": 2, "dilation": 2},   # 9x9
    {"type": "pool", "mode": "avg", "size": 3, "stride": 2},                                  # 4x4
    {"type": "conv", "filters": 2, "kernel": 2, "padding": 1, "dilation": 2},                 # 4x4
    {"type": "flatten"},
    {"type": "dense", "units": 2},
])
# With the layers a trained network has between its convolutions.
SMALL = models.ModelSpec(name="small", input_shape=(1, 16, 16), classes=["a", "b", "c"], layers=[
    {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
    {"type": "batchnorm"},
    {"type": "activation", "name": "relu"},
    {"type": "pool", "mode": "max", "size": 2},
    {"type": "conv", "filters": 5, "kernel": 3, "stride": 2},
    {"type": "activation", "name": "relu"},
    {"type": "flatten"},
    {"type": "dense", "units": 3},
])


def _model(spec: models.ModelSpec, seed: int = 0, dtype=torch.float64):
    torch.manual_seed(seed)
    return models.build(spec).to(dtype).eval()


def _depends(model, spec, layer: int, row: int, col: int) -> np.ndarray:
    """Brute force: the input pixels whose change (either way, so no max pool hides it) changes the cell."""
    _, height, width = spec.input_shape
    x = torch.rand(1, 1, height, width, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    eye = torch.eye(height * width, dtype=torch.float64).view(-1, 1, height, width)
    with torch.no_grad():
        base = model[:layer + 1](x)[0, :, row, col]
        changed = [(model[:layer + 1](x + sign * 100.0 * eye)[:, :, row, col] - base).abs().amax(1) > 1e-9
                   for sign in (1, -1)]
    return (changed[0] | changed[1]).view(height, width).numpy()


def _box(spec, box) -> np.ndarray:
    top, left, bottom, right = box
    mask = np.zeros(spec.input_shape[1:], dtype=bool)
    mask[top:bottom + 1, left:right + 1] = True
    return mask


@pytest.mark.parametrize("spec,layer,cells", [
    (CONV_POOL_CONV, 0, [(0, 0), (7, 9), (15, 15)]),
    (CONV_POOL_CONV, 1, [(0, 0), (3, 4), (7, 7)]),
    (CONV_POOL_CONV, 2, [(0, 0), (1, 2), (2, 2)]),
    (STRIDED, 0, [(0, 0), (4, 5), (8, 8)]),
    (STRIDED, 1, [(0, 0), (2, 1), (3, 3)]),
    (STRIDED, 2, [(0, 0), (1, 2), (3, 3)]),
])
def test_the_receptive_field_is_exactly_what_the_output_depends_on(spec, layer, cells):
    model = _model(spec)
    for row, col in cells:
        depends = _depends(model, spec, layer, row, col)
        np.testing.assert_array_equal(depends, filter_view.receptive_mask(spec, layer, row, col), str((row, col)))
        rows, cols = np.nonzero(depends)                       # the box is the smallest one holding them all
        want = (rows.min(), cols.min(), rows.max(), cols.max())
        assert filter_view.receptive_field(spec, layer, row, col) == want


def test_without_dilation_the_box_is_full():
    for layer, (row, col) in ((0, (3, 3)), (1, (0, 7)), (2, (1, 1))):
        box = filter_view.receptive_field(CONV_POOL_CONV, layer, row, col)
        np.testing.assert_array_equal(filter_view.receptive_mask(CONV_POOL_CONV, layer, row, col),
                                      _box(CONV_POOL_CONV, box))


def test_a_cell_that_reads_only_padding_depends_on_no_pixel():
    spec = models.ModelSpec(name="padded", input_shape=(1, 8, 8), classes=["a"], layers=[
        {"type": "conv", "filters": 2, "kernel": 3, "padding": 3}, {"type": "flatten"}, {"type": "dense", "units": 1}])
    assert not _depends(_model(spec), spec, 0, 0, 0).any()
    assert filter_view.receptive_field(spec, 0, 0, 0) == (0, 0, -1, -1)
    assert not filter_view.receptive_mask(spec, 0, 0, 0).any()
    assert filter_view.receptive_field(spec, 0, 1, 9) == (0, 6, 0, 7)


def test_activations_and_batch_norm_keep_the_receptive_field():
    model = _model(SMALL)
    for conv, after in ((0, (1, 2)), (4, (5,))):
        for row, col in ((0, 0), (2, 1)):
            box = filter_view.receptive_field(SMALL, conv, row, col)
            assert all(filter_view.receptive_field(SMALL, a, row, col) == box for a in after)
    depends = _depends(model, SMALL, 5, 1, 2)                  # through ReLUs: never outside the box
    box = _box(SMALL, filter_view.receptive_field(SMALL, 5, 1, 2))
    assert depends.any() and not (depends & ~box).any()


def test_a_layer_without_maps_or_a_cell_outside_them_is_refused():
    with pytest.raises(ValueError, match="no maps"):
        filter_view.receptive_field(SMALL, 6, 0, 0)
    with pytest.raises(ValueError, match="outside"):
        filter_view.receptive_field(SMALL, 4, 3, 0)            # layer 4's maps are 3x3


def test_the_strongest_patches_are_the_strongest():
    model = _model(SMALL, 1, torch.float32)                    # as the app runs models
    images = np.random.default_rng(0).random((40, 16, 16))
    progress = []
    found = filter_view.strongest_patches(model, SMALL, images, layer=4, top=9, batch=7,
                                          on_progress=lambda done, total: progress.append((done, total)))
    assert progress[-1] == (40, 40) and len(progress) == 6     # every batch of 7 reported
    with torch.no_grad():
        maps = model[:5](torch.tensor(images, dtype=torch.float32)[:, None]).numpy()
    assert len(found) == maps.shape[1]
    for f, items in enumerate(found):
        per_image = []                                         # brute force: every image, every cell
        for n in range(len(images)):
            best = max((maps[n, f, r, c], r, c) for r in range(maps.shape[2]) for c in range(maps.shape[3]))
            per_image.append((best[0], n, best[1], best[2]))
        per_image.sort(key=lambda item: -item[0])
        np.testing.assert_allclose([s.activation for s in items], [p[0] for p in per_image[:9]], rtol=1e-6)
        assert [s.activation for s in items] == sorted((s.activation for s in items), reverse=True)
        assert len({s.image for s in items}) == 9               # at most one patch per image
        for s in items:
            assert maps[s.image, f, s.row, s.col] == pytest.approx(s.activation)
            assert s.box == filter_view.receptive_field(SMALL, 4, s.row, s.col)
            assert 0 <= s.box[0] <= s.box[2] < 16 and 0 <= s.box[1] <= s.box[3] < 16


def test_fewer_images_than_patches_gives_each_image_once():
    model = _model(SMALL, 1, torch.float32)
    found = filter_view.strongest_patches(model, SMALL, np.random.default_rng(1).random((4, 16, 16)), layer=0)
    assert all(sorted(s.image for s in items) == [0, 1, 2, 3] for items in found)


def _untouched(model):
    """A check that the shared model is as it was: weights, buffers, requires_grad flags, .grad, mode."""
    state = {k: v.clone() for k, v in model.state_dict().items()}
    flags = [p.requires_grad for p in model.parameters()]
    training = model.training

    def check():
        assert model.training == training and [p.requires_grad for p in model.parameters()] == flags
        assert all(p.grad is None for p in model.parameters())
        assert not any(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks for m in model.modules())
        for key, value in model.state_dict().items():
            assert torch.equal(value, state[key]), key
    return check


def _excites(model, spec, layer: int, steps: int = 30) -> np.ndarray:
    check = _untouched(model)
    noise, start = filter_view.maximise(model, spec, layer, steps=0, seed=3)      # the noise it starts from
    progress = []
    pictures, reached = filter_view.maximise(model, spec, layer, steps=steps, seed=3,
                                             on_progress=lambda done, total: progress.append((done, total)))
    check()
    filters = model[layer].out_channels
    assert pictures.shape == noise.shape == (filters, *spec.input_shape) and reached.shape == (filters,)
    assert 0.0 <= pictures.min() and pictures.max() <= 1.0 and noise.std() < 0.1
    assert progress == [(s + 1, steps) for s in range(steps)]
    assert np.all(reached - start > 2 * start.std())            # every filter driven well above its start
    with torch.no_grad():                                        # the responses are the model's own
        maps = model[:layer + 1](torch.tensor(pictures))
        row, col = maps.shape[2] // 2, maps.shape[3] // 2
        np.testing.assert_allclose(reached, maps[range(filters), range(filters), row, col].numpy(), rtol=1e-5)
    return pictures


def test_activation_maximisation_on_the_shipped_model_leaves_it_alone():
    model, spec = models.load("assets/models/mnist-default")
    pictures = _excites(model, spec, layer=0)
    np.testing.assert_array_equal(pictures, filter_view.maximise(model, spec, 0, steps=30, seed=3)[0])  # seeded
    top, left, bottom, right = filter_view.centre_field(model, spec, 0)
    k = model[0].kernel_size[0]
    assert (bottom - top + 1, right - left + 1) == (k, k)         # a k x k kernel's centre sees k x k pixels


def test_activation_maximisation_on_a_fresh_preset_past_a_pool():
    spec = models.preset("lenet5")
    model = _model(spec, 0, torch.float32)
    _excites(model, spec, layer=3, steps=20)                      # conv 2, behind conv, tanh and average pool
    assert filter_view.centre_field(model, spec, 3) == filter_view.receptive_field(spec, 3, 5, 5)


def test_a_layer_without_maps_has_nothing_to_maximise():
    spec = models.preset("lenet5")
    with pytest.raises(ValueError, match="no maps"):
        filter_view.maximise(_model(spec, 0, torch.float32), spec, 7, steps=1)


def test_the_strongest_sample_digits_for_the_shipped_model():
    model, spec = models.load("assets/models/mnist-default")
    check = _untouched(model)
    images = data.sample_digits().images[:300] / 255.0
    layer = inspect.conv_layers(spec)[1]
    found = filter_view.strongest_patches(model, spec, images, layer=layer)
    check()
    assert len(found) == model[layer].out_channels
    for items in found:
        assert len(items) == 9 and all(0 <= s.box[0] <= s.box[2] < 28 and 0 <= s.box[1] <= s.box[3] < 28
                                       for s in items)
        assert all(s.box == filter_view.receptive_field(spec, layer, s.row, s.col) for s in items)


@pytest.mark.parametrize("spec", [CONV_POOL_CONV, SMALL, models.preset("mnist-default"), models.preset("seed-mnist"),
                                  models.preset("shapes-default")], ids=lambda s: s.name)
def test_receptive_field_sizes_are_the_boxes_of_a_centre_cell(spec):
    """The size from the layers alone equals the box of exactly what a cell away from the edges depends on."""
    summary = models.summary(spec)
    for found in filter_view.receptive_field_sizes(spec):
        _, height, width = summary[found.layer].output_shape
        top, left, bottom, right = filter_view.receptive_field(spec, found.layer, height // 2, width // 2)
        if 0 < top and bottom < spec.input_shape[1] - 1:        # not clipped by the image's edges
            assert (bottom - top + 1, right - left + 1) == (found.size, found.size), found


def test_the_shipped_models_second_conv_sees_14_pixels():
    sizes = [(f.layer, f.size, f.jump) for f in filter_view.receptive_field_sizes(models.preset("mnist-default"))]
    assert sizes == [(0, 5, 1), (3, 6, 2), (4, 14, 2), (7, 16, 4)]
