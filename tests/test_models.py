"""cnn.models: ModelSpec and its presets, build / summary against real torch modules, the PyTorch code
export, and save / load as safetensors + JSON (never pickles)."""

from __future__ import annotations

import copy
import json
import math
import os
import pickle
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn import models
from cnn.models import ModelFileError, ModelSpec, SpecError

SETTINGS = settings(max_examples=60, deadline=None)
PRESET_NAMES = ("seed-mnist", "lenet5", "tinyvgg", "shapes")  # the four the spec names
ALL_PRESETS = tuple(sorted(set(PRESET_NAMES) | set(models.PRESETS)))  # and any added since
ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


# ---------------------------------------------------------------- helpers, written from the spec


def conv(filters, kernel, stride=1, padding=0, dilation=1):
    return {"type": "conv", "filters": filters, "kernel": kernel, "stride": stride, "padding": padding,
            "dilation": dilation}


def act(name="relu"):
    return {"type": "activation", "name": name}


def pool(mode="max", size=2, stride=None):
    layer = {"type": "pool", "mode": mode, "size": size}
    if stride is not None:
        layer["stride"] = stride
    return layer


def dense(units):
    return {"type": "dense", "units": units}


FLATTEN = {"type": "flatten"}


def spec_of(layers, input_shape=(1, 8, 8), classes=("a", "b")):
    return ModelSpec("test", tuple(input_shape), copy.deepcopy(list(layers)), list(classes))


def reference_module(layer, in_shape):
    """The torch module a layer dict means, built here independently of cnn.models."""
    kind = layer["type"]
    if kind == "conv":
        return nn.Conv2d(in_shape[0], layer["filters"], layer["kernel"], stride=layer.get("stride", 1),
                         padding=layer.get("padding", 0), dilation=layer.get("dilation", 1))
    if kind == "pool":
        cls = nn.MaxPool2d if layer.get("mode", "max") == "max" else nn.AvgPool2d
        return cls(layer.get("size", 2), stride=layer.get("stride") or layer.get("size", 2))
    if kind == "activation":
        return ACTIVATIONS[layer.get("name", "relu")]()
    if kind == "batchnorm":
        return nn.BatchNorm2d(in_shape[0])
    if kind == "dropout":
        return nn.Dropout(layer.get("p", 0.5))
    if kind == "flatten":
        return nn.Flatten()
    if kind == "dense":
        return nn.Linear(in_shape[0], layer["units"])
    raise AssertionError(kind)


def reference_run(spec):
    """(Sequential, per-layer output shapes without batch) or None when torch itself cannot run the spec."""
    shape = tuple(spec.input_shape)
    x = torch.zeros(1, *shape)
    modules, shapes = [], []
    try:
        for layer in spec.layers:
            module = reference_module(layer, shape).eval()
            x = module(x)
            shape = tuple(x.shape[1:])
            modules.append(module)
            shapes.append(shape)
    except (RuntimeError, ValueError):
        return None
    return nn.Sequential(*modules).eval(), shapes


def hooked_shapes(model, spec, batch=2):
    """Each built layer's real output shape (without the batch axis), seen by forward hooks."""
    seen = {}
    handles = [layer.register_forward_hook(lambda m, i, o, k=k: seen.__setitem__(k, tuple(o.shape)))
               for k, layer in enumerate(model)]
    try:
        with torch.no_grad():
            out = model(torch.randn(batch, *spec.input_shape))
    finally:
        for h in handles:
            h.remove()
    assert all(seen[k][0] == batch for k in seen)
    return [seen[k][1:] for k in range(len(model))], out


def randomise(model, seed=0):
    """Random weights, and random running statistics for batch norm, so copies are really tested."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point():
                values = torch.rand(tensor.shape, generator=gen) + 0.5 if "running_var" in name \
                    else torch.randn(tensor.shape, generator=gen) * 0.3
                tensor.copy_(values)
    return model


def exec_export(spec):
    """Run to_pytorch_code's text in a fresh namespace, without its __main__ block."""
    code = models.to_pytorch_code(spec)
    assert isinstance(code, str)
    namespace = {"__name__": "exported_net"}
    exec(compile(code, "<exported>", "exec"), namespace)
    return code, namespace


def files_in(folder):
    return sorted(p.name for p in Path(folder).iterdir())


# ---------------------------------------------------------------- random specs


@st.composite
def specs(draw, max_side=12):
    """Small specs, valid or not in their geometry, always ending flatten -> dense(number of classes)."""
    c = draw(st.integers(1, 3))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    layers = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(("conv", "conv", "pool", "activation", "batchnorm", "dropout")))
        if kind == "conv":
            layers.append(conv(draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3)),
                               draw(st.integers(0, 2)), draw(st.integers(1, 2))))
        elif kind == "pool":
            layers.append(pool(draw(st.sampled_from(("max", "avg"))), draw(st.integers(1, 3)),
                               draw(st.one_of(st.none(), st.integers(1, 3)))))
        elif kind == "activation":
            layers.append(act(draw(st.sampled_from(sorted(ACTIVATIONS)))))
        elif kind == "batchnorm":
            layers.append({"type": "batchnorm"})
        else:
            layers.append({"type": "dropout", "p": draw(st.sampled_from((0.0, 0.1, 0.5, 0.9)))})
    layers.append(dict(FLATTEN))
    if draw(st.booleans()):
        layers += [dense(draw(st.integers(1, 8))), act(draw(st.sampled_from(sorted(ACTIVATIONS))))]
    n = draw(st.integers(1, 4))
    layers.append(dense(n))
    return ModelSpec("random", (c, h, w), layers, [f"class {i}" for i in range(n)])


# ---------------------------------------------------------------- ModelSpec as data


@pytest.mark.parametrize("name", ALL_PRESETS)
def test_preset_round_trips_through_dict_and_json(name):
    spec = models.preset(name)
    data = spec.to_dict()
    assert json.loads(json.dumps(data)) == data  # plain JSON types only
    assert ModelSpec.from_dict(data) == spec
    text = spec.to_json()
    assert json.loads(text) == data
    back = ModelSpec.from_json(text)
    assert back == spec
    assert back.to_json() == text
    assert tuple(back.input_shape) == tuple(spec.input_shape)
    assert back.layers == spec.layers and back.classes == spec.classes


@SETTINGS
@given(specs())
def test_random_spec_round_trips_through_json(spec):
    back = ModelSpec.from_json(spec.to_json())
    assert back == spec
    assert ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_from_dict_refuses_what_is_not_a_model_description():
    with pytest.raises(SpecError):
        ModelSpec.from_dict({"name": "x", "layers": []})  # no input shape, no classes
    with pytest.raises(SpecError):
        ModelSpec.from_dict({"name": "x", "input_shape": [1, 28], "layers": [], "classes": ["a"]})


# ---------------------------------------------------------------- presets


def test_presets_exist_and_preset_returns_an_independent_copy():
    for name in PRESET_NAMES:
        assert name in models.PRESETS
        assert isinstance(models.preset(name), ModelSpec)
    spec = models.preset("seed-mnist")
    spec.layers[0]["filters"] = 7
    spec.layers.append(dense(3))
    assert models.preset("seed-mnist").layers[0]["filters"] == 32
    assert len(models.preset("seed-mnist").layers) == 7
    with pytest.raises(SpecError):
        models.preset("no-such-network")


def test_seed_mnist_is_seed_001():
    spec = models.preset("seed-mnist")
    assert tuple(spec.input_shape) == (1, 28, 28)
    assert len(spec.classes) == 10
    kinds = [layer["type"] for layer in spec.layers]
    assert kinds == ["conv", "activation", "pool", "flatten", "dense", "activation", "dense"]
    first = spec.layers[0]
    assert (first["filters"], first["kernel"]) == (32, 3)
    assert first.get("stride", 1) == 1 and first.get("padding", 0) == 0 and first.get("dilation", 1) == 1
    assert spec.layers[1]["name"] == "relu" and spec.layers[5]["name"] == "relu"
    assert spec.layers[2].get("mode", "max") == "max" and spec.layers[2]["size"] == 2
    assert spec.layers[4]["units"] == 100 and spec.layers[6]["units"] == 10

    rows = models.summary(spec)
    assert [r.parameters for r in rows] == [320, 0, 0, 0, 540_900, 0, 1_010]
    assert [tuple(r.output_shape) for r in rows] == [(32, 26, 26), (32, 26, 26), (32, 13, 13), (5408,), (100,),
                                                    (100,), (10,)]
    assert rows[0].mult_adds == 32 * 1 * 3 * 3 * 26 * 26
    assert rows[4].mult_adds == 5408 * 100 and rows[6].mult_adds == 100 * 10
    assert sum(r.parameters for r in rows) == 542_230
    assert models.total_parameters(spec) == 542_230
    assert sum(p.numel() for p in models.build(spec).parameters()) == 542_230


def test_lenet5_is_lenet5():
    spec = models.preset("lenet5")
    assert len(spec.classes) == 10 and spec.input_shape[0] == 1
    convs = [layer for layer in spec.layers if layer["type"] == "conv"]
    denses = [layer for layer in spec.layers if layer["type"] == "dense"]
    assert [(c["filters"], c["kernel"]) for c in convs] == [(6, 5), (16, 5)]
    assert [d["units"] for d in denses] == [120, 84, 10]
    assert sum(layer["type"] == "pool" for layer in spec.layers) == 2
    rows = models.summary(spec)
    assert tuple(rows[[layer["type"] for layer in spec.layers].index("flatten")].output_shape) == (16 * 5 * 5,)
    assert models.total_parameters(spec) == 61_706  # the classic count: 156 + 2,416 + 48,120 + 10,164 + 850


def test_tinyvgg_is_cnn_explainers_network():
    spec = models.preset("tinyvgg")
    assert tuple(spec.input_shape) == (3, 64, 64)
    assert len(spec.classes) == 10
    kinds = [layer["type"] for layer in spec.layers]
    assert kinds == ["conv", "activation", "conv", "activation", "pool",
                     "conv", "activation", "conv", "activation", "pool", "flatten", "dense"]
    for layer in spec.layers:
        if layer["type"] == "conv":
            assert (layer["filters"], layer["kernel"]) == (10, 3)
            assert layer.get("stride", 1) == 1 and layer.get("padding", 0) == 0
        if layer["type"] == "activation":
            assert layer["name"] == "relu"
        if layer["type"] == "pool":
            assert layer.get("mode", "max") == "max" and layer["size"] == 2
    rows = models.summary(spec)
    assert [tuple(r.output_shape) for r in rows if r.kind in ("conv", "pool", "flatten")] == [
        (10, 62, 62), (10, 60, 60), (10, 30, 30), (10, 28, 28), (10, 26, 26), (10, 13, 13), (1690,)]
    assert models.total_parameters(spec) == 280 + 3 * 910 + 16_910


def test_shapes_preset_has_three_shape_classes_on_72x72():
    spec = models.preset("shapes")
    assert list(spec.classes) == ["triangle", "circle", "rectangle"]
    assert tuple(spec.input_shape) == (1, 72, 72)
    assert tuple(models.summary(spec)[-1].output_shape) == (3,)
    with torch.no_grad():
        assert tuple(models.build(spec).eval()(torch.zeros(2, 1, 72, 72)).shape) == (2, 3)


# ---------------------------------------------------------------- build and summary against torch


def check_build_against_summary(spec):
    model = models.build(spec)
    assert isinstance(model, nn.Sequential)
    assert len(model) == len(spec.layers)
    model.eval()
    rows = models.summary(spec)
    assert len(rows) == len(spec.layers)
    shapes, out = hooked_shapes(model, spec)
    assert tuple(out.shape[1:]) == (len(spec.classes),)
    in_shapes = [tuple(spec.input_shape)] + shapes[:-1]
    for row, layer, module, shape, in_shape in zip(rows, spec.layers, model, shapes, in_shapes):
        assert tuple(row.output_shape) == shape
        assert row.parameters == sum(p.numel() for p in module.parameters())
        kind = layer["type"]
        if kind == "conv":
            assert isinstance(module, nn.Conv2d)
            assert module.kernel_size == (layer["kernel"],) * 2
            assert module.stride == (layer.get("stride", 1),) * 2
            assert module.padding == (layer.get("padding", 0),) * 2
            assert module.dilation == (layer.get("dilation", 1),) * 2
            out_c, in_c, kh, kw = module.weight.shape
            assert out_c == layer["filters"] and in_c == in_shape[0]
            assert row.mult_adds == out_c * in_c * kh * kw * shape[1] * shape[2]
        elif kind == "dense":
            assert isinstance(module, nn.Linear)
            assert module.out_features == layer["units"]
            assert row.mult_adds == module.in_features * module.out_features
        elif kind == "pool":
            assert isinstance(module, nn.MaxPool2d if layer.get("mode", "max") == "max" else nn.AvgPool2d)
        elif kind == "activation":
            assert type(module) is ACTIVATIONS[layer.get("name", "relu")]
        elif kind == "dropout":
            assert isinstance(module, nn.Dropout) and module.p == layer.get("p", 0.5)
        elif kind == "flatten":
            assert isinstance(module, nn.Flatten)
        elif kind == "batchnorm":
            assert isinstance(module, nn.BatchNorm2d) and module.num_features == in_shape[0]
    assert models.total_parameters(spec) == sum(r.parameters for r in rows)
    assert models.total_parameters(spec) == sum(p.numel() for p in model.parameters())
    return model


@pytest.mark.parametrize("name", ALL_PRESETS)
def test_preset_summary_matches_built_module(name):
    check_build_against_summary(models.preset(name))


EXTRA_SPECS = {
    "every-kind": spec_of([conv(4, 3, stride=2, padding=1, dilation=1), {"type": "batchnorm"}, act("leaky_relu"),
                           conv(5, 2, stride=1, padding=2, dilation=2), act("sigmoid"), pool("avg", 3, 2),
                           {"type": "dropout", "p": 0.3}, FLATTEN, dense(7), act("tanh"), dense(2)],
                          input_shape=(2, 17, 11)),
    "non-square": spec_of([conv(3, 3, stride=1, padding=0), pool("max", 2, 1), FLATTEN, dense(4)],
                          input_shape=(1, 9, 5), classes="wxyz"),
}


@pytest.mark.parametrize("key", sorted(EXTRA_SPECS))
def test_other_specs_summary_matches_built_module(key):
    check_build_against_summary(EXTRA_SPECS[key])


@SETTINGS
@given(specs())
def test_summary_and_build_agree_with_torch_or_refuse_what_torch_cannot_run(spec):
    reference = reference_run(spec)
    if reference is None:  # torch cannot run it: the spec must be refused with a SpecError, not built
        with pytest.raises(SpecError):
            models.summary(spec)
        with pytest.raises(SpecError):
            models.build(spec)
        with pytest.raises(SpecError):
            models.to_pytorch_code(spec)
        return
    ref_model, ref_shapes = reference
    assert [tuple(r.output_shape) for r in models.summary(spec)] == ref_shapes
    model = check_build_against_summary(spec)
    randomise(ref_model, seed=len(spec.layers))
    model.load_state_dict(ref_model.state_dict())
    x = torch.randn(3, *spec.input_shape)
    with torch.no_grad():
        assert torch.allclose(model(x), ref_model(x), atol=1e-6, rtol=1e-5)
    _, namespace = exec_export(spec)
    net = namespace["Net"]().eval()
    net.layers.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.equal(net(x), model(x))


# ---------------------------------------------------------------- invalid specs


INVALID = {
    "kernel larger than input": (spec_of([conv(2, 5), FLATTEN, dense(2)], input_shape=(1, 4, 4)), "kernel"),
    "dilated kernel larger than input": (spec_of([conv(2, 3, dilation=3), FLATTEN, dense(2)],
                                                 input_shape=(1, 6, 20)), "kernel"),
    "pool larger than input": (spec_of([conv(2, 3), pool("max", 4), FLATTEN, dense(2)], input_shape=(1, 5, 5)),
                               "kernel"),
    "dense before flatten": (spec_of([conv(2, 3), dense(2)]), "flatten"),
    "conv after flatten": (spec_of([FLATTEN, conv(2, 3), FLATTEN, dense(2)]), "flatten"),
    "pool after flatten": (spec_of([FLATTEN, pool(), FLATTEN, dense(2)]), "flatten"),
    "unknown layer type": (spec_of([{"type": "transformer"}, FLATTEN, dense(2)]), "transformer"),
    "no layer type": (spec_of([{"filters": 3}, FLATTEN, dense(2)]), "type"),
    "final size is not the classes": (spec_of([FLATTEN, dense(3)], classes="ab"), "classes"),
    "no flatten at the end": (spec_of([conv(2, 3)], classes="ab"), "classes"),
    "no layers at all": (spec_of([], classes="ab"), "no layers"),
    "filters as code": (spec_of([conv("__import__('os')", 3), FLATTEN, dense(2)]), "filters"),
    "filters as a digit string": (spec_of([conv("8", 3), FLATTEN, dense(2)]), "filters"),
    "filters as a fraction": (spec_of([conv(2.5, 3), FLATTEN, dense(2)]), "filters"),
    "filters as None": (spec_of([conv(None, 3), FLATTEN, dense(2)]), "filters"),
    "filters as a bool": (spec_of([conv(True, 3), FLATTEN, dense(2)]), "filters"),
    "zero filters": (spec_of([conv(0, 3), FLATTEN, dense(2)]), "filters"),
    "kernel as code": (spec_of([conv(2, "__import__('os')"), FLATTEN, dense(2)]), "kernel"),
    "negative padding": (spec_of([conv(2, 3, padding=-1), FLATTEN, dense(2)]), "padding"),
    "zero stride": (spec_of([conv(2, 3, stride=0), FLATTEN, dense(2)]), "stride"),
    "units as code": (spec_of([FLATTEN, dense("__import__('os')"), dense(2)]), "units"),
    "dropout p above 1": (spec_of([{"type": "dropout", "p": 1.5}, FLATTEN, dense(2)]), "p"),
    "dropout p negative": (spec_of([{"type": "dropout", "p": -0.1}, FLATTEN, dense(2)]), "p"),
    "dropout p NaN": (spec_of([{"type": "dropout", "p": math.nan}, FLATTEN, dense(2)]), "p"),
    "dropout p a string": (spec_of([{"type": "dropout", "p": "0.5"}, FLATTEN, dense(2)]), "p"),
    "bad activation name": (spec_of([act("swish"), FLATTEN, dense(2)]), "swish"),
    "activation as code": (spec_of([act("__import__('os')"), FLATTEN, dense(2)]), "activation"),
    "bad pool mode": (spec_of([pool("median"), FLATTEN, dense(2)]), "median"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_spec_is_refused_with_its_reason(case):
    spec, word = INVALID[case]
    with pytest.raises(SpecError) as info:
        models.summary(spec)
    message = str(info.value)
    assert word.lower() in message.lower(), message
    with pytest.raises(SpecError):
        models.build(spec)
    with pytest.raises(SpecError):
        models.to_pytorch_code(spec)
    with pytest.raises(SpecError):  # the same from JSON, as a file or the app would give it
        models.build(ModelSpec.from_json(json.dumps(spec.to_dict(), allow_nan=True)))


def test_valid_edge_values_are_accepted():
    models.build(spec_of([{"type": "dropout", "p": 0.0}, FLATTEN, dense(2)]))
    models.build(spec_of([{"type": "dropout", "p": 0.99}, FLATTEN, dense(2)]))
    models.build(spec_of([conv(2, 8), FLATTEN, dense(2)]))  # kernel exactly the input size
    rows = models.summary(spec_of([conv(2, 3, padding=2, dilation=5), FLATTEN, dense(2)]))  # span 11, padded 12
    assert tuple(rows[0].output_shape) == (2, 2, 2)


# ---------------------------------------------------------------- PyTorch code export


@pytest.mark.parametrize("name", ALL_PRESETS + tuple(sorted(EXTRA_SPECS)))
def test_exported_code_is_standalone_and_computes_the_same(name):
    spec = models.preset(name) if name in models.PRESETS else EXTRA_SPECS[name]
    code, namespace = exec_export(spec)
    assert "import cnn" not in code and "from cnn" not in code
    assert "Net" in namespace and issubclass(namespace["Net"], nn.Module)
    model = randomise(models.build(spec), seed=3).eval()
    net = namespace["Net"]().eval()
    net.layers.load_state_dict(model.state_dict())  # strict: the same names and shapes
    assert [type(m) for m in net.layers] == [type(m) for m in model]
    x = torch.randn(2, *spec.input_shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model(x)
        got = net(x)
    assert got.shape == (2, len(spec.classes))
    assert torch.equal(got, expected)


def test_exported_code_does_not_run_its_demo_on_import():
    spec = models.preset("seed-mnist")
    code = models.to_pytorch_code(spec)
    assert 'if __name__ == "__main__":' in code or "if __name__ == '__main__':" in code
    printed = []
    namespace = {"__name__": "exported_net", "print": lambda *a, **k: printed.append(a)}
    exec(compile(code, "<exported>", "exec"), namespace)
    assert printed == []


# ---------------------------------------------------------------- save and load


def trained_like(name, seed=0):
    spec = models.preset(name) if name in models.PRESETS else EXTRA_SPECS[name]
    return randomise(models.build(spec), seed=seed), spec


def only_sidecar(folder):
    found = list(Path(folder).glob("*.json"))
    assert len(found) == 1, files_in(folder)
    return found[0]


def only_weights(folder):
    found = list(Path(folder).glob("*.safetensors"))
    assert len(found) == 1, files_in(folder)
    return found[0]


@pytest.mark.parametrize("name", ["seed-mnist", "shapes", "every-kind"])
def test_save_then_load_round_trips_exactly(tmp_path, name):
    model, spec = trained_like(name, seed=5)
    if any(layer["type"] == "batchnorm" for layer in spec.layers):
        model.train()
        with torch.no_grad():
            model(torch.randn(4, *spec.input_shape))  # moves running stats and num_batches_tracked
    before = {k: v.clone() for k, v in model.state_dict().items()}
    path = tmp_path / "net"
    models.save(model, spec, path, dataset="mnist", metrics={"accuracy": 0.97, "loss": 0.1})

    assert files_in(tmp_path) == ["net.json", "net.safetensors"]  # nothing temporary left behind
    loaded, loaded_spec = models.load(path)
    assert loaded_spec == spec
    assert isinstance(loaded, nn.Module)
    assert not loaded.training and not any(m.training for m in loaded.modules())
    state = loaded.state_dict()
    assert set(state) == set(before)
    for key, tensor in before.items():
        assert state[key].dtype == tensor.dtype, key
        assert torch.equal(state[key], tensor), key
    model.eval()
    x = torch.randn(3, *spec.input_shape)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_load_accepts_the_weights_path_too(tmp_path):
    model, spec = trained_like("seed-mnist")
    models.save(model, spec, tmp_path / "m.safetensors")
    assert files_in(tmp_path) == ["m.json", "m.safetensors"]
    for path in (tmp_path / "m.safetensors", tmp_path / "m", str(tmp_path / "m.safetensors")):
        loaded, loaded_spec = models.load(path)
        assert loaded_spec == spec
        assert torch.equal(loaded[0].weight, model[0].weight)


def test_sidecar_records_spec_dataset_metrics_and_date(tmp_path):
    model, spec = trained_like("seed-mnist")
    metrics = {"accuracy": 0.9876, "epochs": 3}
    models.save(model, spec, tmp_path / "m", dataset="MNIST-subset", metrics=metrics)
    sidecar = json.loads(only_sidecar(tmp_path).read_text(encoding="utf-8"))
    assert ModelSpec.from_dict(sidecar["spec"]) == spec
    values = list(sidecar.values())
    assert "MNIST-subset" in values
    assert metrics in values
    now = datetime.now(timezone.utc)
    dates = []
    for value in values:
        if isinstance(value, str):
            try:
                dates.append(datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                pass
    assert dates, sidecar
    assert any(abs(now - (d if d.tzinfo else d.replace(tzinfo=timezone.utc))) < timedelta(minutes=5)
               for d in dates), dates


def test_save_overwrites_without_leaving_temporary_files(tmp_path):
    model, spec = trained_like("seed-mnist", seed=1)
    models.save(model, spec, tmp_path / "m")
    other, _ = trained_like("seed-mnist", seed=2)
    models.save(other, spec, tmp_path / "m", dataset="again")
    assert files_in(tmp_path) == ["m.json", "m.safetensors"]
    loaded, _ = models.load(tmp_path / "m")
    assert torch.equal(loaded[4].weight, other[4].weight)


def test_a_failed_save_leaves_the_old_files_and_no_temporary_ones(tmp_path, monkeypatch):
    import safetensors.torch

    model, spec = trained_like("seed-mnist", seed=1)
    models.save(model, spec, tmp_path / "m")
    old = {name: (tmp_path / name).read_bytes() for name in files_in(tmp_path)}

    def half_then_fail(tensors, filename, *args, **kwargs):
        Path(filename).write_bytes(b"\x00" * 100)
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_file", half_then_fail)
    other, _ = trained_like("seed-mnist", seed=2)
    with pytest.raises(OSError):
        models.save(other, spec, tmp_path / "m")
    assert files_in(tmp_path) == sorted(old)
    assert {name: (tmp_path / name).read_bytes() for name in old} == old
    monkeypatch.undo()
    loaded, _ = models.load(tmp_path / "m")
    assert torch.equal(loaded[0].weight, model[0].weight)


@pytest.fixture
def no_unpickling(monkeypatch):
    """Record any call to torch.load or pickle's loaders: load() must never unpickle."""
    calls = []

    def spy(name, real):
        def wrapper(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(torch, "load", spy("torch.load", torch.load))
    monkeypatch.setattr(pickle, "load", spy("pickle.load", pickle.load))
    monkeypatch.setattr(pickle, "loads", spy("pickle.loads", pickle.loads))
    return calls


def write_valid_pair(folder, stem="m", name="seed-mnist"):
    model, spec = trained_like(name)
    models.save(model, spec, Path(folder) / stem)
    return model, spec


@pytest.mark.parametrize("suffix", [".pt", ".pth"])
def test_load_refuses_a_pickled_torch_file(tmp_path, no_unpickling, suffix):
    model, spec = write_valid_pair(tmp_path)  # a valid m.json beside it: the refusal is for the pickle
    torch.save(model.state_dict(), tmp_path / f"m{suffix}")
    with pytest.raises(ModelFileError):
        models.load(tmp_path / f"m{suffix}")
    assert no_unpickling == []


@pytest.mark.parametrize("zipfile", [True, False])
def test_load_refuses_a_torch_save_renamed_to_safetensors(tmp_path, no_unpickling, zipfile):
    model, spec = write_valid_pair(tmp_path)
    weights = tmp_path / "m.safetensors"
    weights.unlink()
    torch.save(model.state_dict(), weights, _use_new_zipfile_serialization=zipfile)
    with pytest.raises(ModelFileError):
        models.load(tmp_path / "m")
    with pytest.raises(ModelFileError):
        models.load(weights)
    assert no_unpickling == []


class _Touch:
    """A pickle that creates a file when unpickled: stands for any code a pickle can run."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_load_never_runs_a_malicious_pickle(tmp_path, protocol):
    write_valid_pair(tmp_path)
    marker = tmp_path.parent / f"{tmp_path.name}-pwned-{protocol}"
    payload = pickle.dumps(_Touch(marker), protocol=protocol)
    (tmp_path / "m.safetensors").write_bytes(payload)
    (tmp_path / "x.pt").write_bytes(payload)
    for path in (tmp_path / "m", tmp_path / "m.safetensors", tmp_path / "x.pt"):
        with pytest.raises(ModelFileError):
            models.load(path)
    assert not marker.exists()


def test_load_refuses_a_missing_sidecar(tmp_path):
    write_valid_pair(tmp_path)
    (tmp_path / "m.json").unlink()
    with pytest.raises(ModelFileError):
        models.load(tmp_path / "m")
    with pytest.raises(ModelFileError):
        models.load(tmp_path / "m.safetensors")


def test_load_refuses_missing_weights(tmp_path):
    write_valid_pair(tmp_path)
    (tmp_path / "m.safetensors").unlink()
    with pytest.raises(ModelFileError):
        models.load(tmp_path / "m")


@pytest.mark.parametrize("content", [b"{not json", b"", b'{"spec": "\xff\xfe"}', b"[1, 2, 3]", b'"a string"',
                                     b'{"dataset": "mnist"}', b"null"])
def test_load_refuses_an_invalid_sidecar(tmp_path, content):
    write_valid_pair(tmp_path)
    (tmp_path / "m.json").write_bytes(content)
    with pytest.raises(ModelFileError):
        models.load(tmp_path / "m")


@pytest.mark.parametrize("change", ["invalid spec", "filters as code", "not a spec"])
def test_load_refuses_a_sidecar_with_a_bad_spec(tmp_path, change):
    write_valid_pair(tmp_path)
    sidecar_path = tmp_path / "m.json"
    sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
    if change == "invalid spec":
        sidecar["spec"]["layers"] = [conv(32, 3), dense(10)]
    elif change == "filters as code":
        sidecar["spec"]["layers"][0]["filters"] = "__import__('os').system('echo pwned')"
    else:
        sidecar["spec"] = "seed-mnist"
    sidecar_path.write_text(json.dumps(sidecar), encoding="utf-8")
    with pytest.raises(ModelFileError):
        models.load(tmp_path / "m")


@pytest.mark.parametrize("other", ["lenet5", "tinyvgg", "shapes", "narrower seed-mnist", "more classes"])
def test_load_refuses_weights_that_do_not_match_the_spec(tmp_path, other):
    write_valid_pair(tmp_path, name="seed-mnist")
    sidecar_path = tmp_path / "m.json"
    sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
    if other == "narrower seed-mnist":  # same weight names, different shapes
        spec = models.preset("seed-mnist")
        spec.layers[0]["filters"] = 16
    elif other == "more classes":
        spec = models.preset("seed-mnist")
        spec.layers[-1]["units"] = 11
        spec.classes = [str(i) for i in range(11)]
    else:
        spec = models.preset(other)
    models.summary(spec)  # the new spec is valid on its own
    sidecar["spec"] = spec.to_dict()
    sidecar_path.write_text(json.dumps(sidecar), encoding="utf-8")
    with pytest.raises(ModelFileError):
        models.load(tmp_path / "m")


@pytest.mark.parametrize("damage", ["random bytes", "empty", "truncated", "bad header"])
def test_load_refuses_a_corrupt_safetensors_file(tmp_path, damage):
    write_valid_pair(tmp_path)
    weights = tmp_path / "m.safetensors"
    good = weights.read_bytes()
    rng = random.Random(damage)
    if damage == "random bytes":
        bad = bytes(rng.randrange(256) for _ in range(4096))
    elif damage == "empty":
        bad = b""
    elif damage == "truncated":
        bad = good[: len(good) // 2]
    else:
        header_len = int.from_bytes(good[:8], "little")
        bad = good[:8] + b"{" * header_len + good[8 + header_len:]
    weights.write_bytes(bad)
    with pytest.raises(ModelFileError):
        models.load(tmp_path / "m")


def test_no_stray_files_after_several_saves_and_loads(tmp_path):
    for i, name in enumerate(("seed-mnist", "tinyvgg", "shapes")):
        model, spec = trained_like(name, seed=i)
        models.save(model, spec, tmp_path / name, dataset=name, metrics={"i": i})
        models.load(tmp_path / name)
    assert files_in(tmp_path) == sorted(f"{n}.{ext}" for n in ("seed-mnist", "tinyvgg", "shapes")
                                        for ext in ("json", "safetensors"))
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]
