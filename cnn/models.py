"""Networks as small JSON-able descriptions (ModelSpec), built into torch modules, summarised, exported
as code, and saved as safetensors plus a JSON sidecar — never as pickles, which can run code on load.
"""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from cnn import ops

ACTIVATIONS = tuple(a for a in ops.ACTIVATIONS if a != "none")   # one list of names, in cnn.ops


class SpecError(ValueError):
    """A ModelSpec that cannot be built. The message names the layer and the reason in English; `code` and
    `params` let a page say the same in the user's language (locale keys "spec_error.<code>")."""

    def __init__(self, message: str, code: str = "invalid", **params):
        super().__init__(message)
        self.code = code
        self.params = params


class ModelFileError(ValueError):
    """A model file we refuse to load (not safetensors + JSON, or weights that do not fit the spec). `code`
    says which, for a page to say it in its language (locale keys "run_problem.<code>")."""

    def __init__(self, message: str, code: str = "not_safetensors"):
        super().__init__(message)
        self.code = code


@dataclass
class ModelSpec:
    """A network in plain data: input shape (C, H, W), a list of layers (dicts), class names.

    Layer dicts: {"type": "conv", "filters", "kernel", "stride", "padding", "dilation"},
    {"type": "activation", "name"}, {"type": "pool", "mode": "max"|"avg", "size", "stride"},
    {"type": "batchnorm"}, {"type": "dropout", "p"}, {"type": "flatten"}, {"type": "dense", "units"}.
    """

    name: str
    input_shape: tuple[int, int, int]
    layers: list[dict]
    classes: list[str] = field(default_factory=lambda: [str(d) for d in range(10)])

    def to_dict(self) -> dict:
        data = asdict(self)
        data["input_shape"] = list(self.input_shape)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ModelSpec:
        try:
            spec = cls(name=str(data["name"]), input_shape=tuple(int(v) for v in data["input_shape"]),
                       layers=[dict(layer) for layer in data["layers"]],
                       classes=[str(c) for c in data["classes"]])
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"Not a model description: {exc}", "description") from exc
        if len(spec.input_shape) != 3:
            raise SpecError("input_shape must be (channels, height, width).", "input_shape")
        return spec

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        return cls.from_dict(json.loads(text))


def _conv(filters, kernel, stride=1, padding=0, dilation=1):
    return {"type": "conv", "filters": filters, "kernel": kernel, "stride": stride, "padding": padding,
            "dilation": dilation}


def _act(name="relu"):
    return {"type": "activation", "name": name}


def _pool(mode="max", size=2, stride=None):
    return {"type": "pool", "mode": mode, "size": size, "stride": stride or size}


def _dense(units):
    return {"type": "dense", "units": units}


FLATTEN = {"type": "flatten"}


def _small(classes: int = 3) -> list[dict]:
    """The small-data network on 28x28: conv 32@5 -> 12x12, conv 64@5 -> 4x4, max over the map, dense."""
    return [_conv(32, 5), {"type": "batchnorm"}, _act(), _pool(),          # 32x12x12
            _conv(64, 5), {"type": "batchnorm"}, _act(), _pool(),          # 64x4x4
            _pool(size=4), FLATTEN, {"type": "dropout", "p": 0.2}, _dense(classes)]
DIGITS = [str(d) for d in range(10)]   # class names of the digit data sets (cnn.data uses these)

PRESETS: dict[str, ModelSpec] = {
    # Seed 001 exactly: 320 + 540,900 + 1,010 = 542,230 parameters.
    "seed-mnist": ModelSpec("seed-mnist", (1, 28, 28),
                            [_conv(32, 3), _act(), _pool(), FLATTEN, _dense(100), _act(), _dense(10)], DIGITS),
    # LeCun et al. 1998, on 28x28 input: the first conv pads by 2 to see the 32x32 the paper used.
    "lenet5": ModelSpec("lenet5", (1, 28, 28),
                        [_conv(6, 5, padding=2), _act("tanh"), _pool("avg"), _conv(16, 5), _act("tanh"),
                         _pool("avg"), FLATTEN, _dense(120), _act("tanh"), _dense(84), _act("tanh"), _dense(10)],
                        DIGITS),
    # CNN Explainer's network: two blocks of two 3x3 convs with 10 filters, each block max-pooled.
    "tinyvgg": ModelSpec("tinyvgg", (3, 64, 64),
                         [_conv(10, 3), _act(), _conv(10, 3), _act(), _pool(),
                          _conv(10, 3), _act(), _conv(10, 3), _act(), _pool(), FLATTEN, _dense(10)],
                         [f"class {i}" for i in range(10)]),
    # The model CNN Lab ships (assets/models/mnist-default): small enough to run instantly on a CPU,
    # strong enough (with augmentation) to read hand-drawn, off-centre digits.
    "mnist-default": ModelSpec("mnist-default", (1, 28, 28),
                               [_conv(32, 5), {"type": "batchnorm"}, _act(), _pool(),
                                _conv(64, 5), {"type": "batchnorm"}, _act(), _pool(), FLATTEN,
                                {"type": "dropout", "p": 0.3}, _dense(128), _act(), {"type": "dropout", "p": 0.3},
                                _dense(10)], DIGITS),
    # For seed 004's shapes: three conv blocks to 9x9, then a small classifier.
    "shapes": ModelSpec("shapes", (1, 72, 72),
                        [_conv(8, 3, padding=1), _act(), _pool(), _conv(16, 3, padding=1), _act(), _pool(),
                         _conv(32, 3, padding=1), _act(), _pool(), FLATTEN, _dense(64), _act(),
                         {"type": "dropout", "p": 0.25}, _dense(3)],
                        ["triangle", "circle", "rectangle"]),
    # The shapes model CNN Lab ships (assets/models/shapes-default): 60,771 parameters. Four conv blocks
    # with batch norm; the last pool takes the maximum over the whole 9x9 map, so the classifier reads
    # whether each of 64 features fired anywhere in the image, and needs only 195 weights. Same 10-epoch
    # recipe on 3,000 shapes (outlined, filled or scribbled in, as students draw them): 99.3% on the test
    # split; the `shapes` preset above, 90%.
    "shapes-default": ModelSpec("shapes-default", (1, 72, 72),
                                [_conv(16, 3, padding=1), {"type": "batchnorm"}, _act(), _pool(),   # 36x36
                                 _conv(32, 3, padding=1), {"type": "batchnorm"}, _act(), _pool(),   # 18x18
                                 _conv(64, 3, padding=1), {"type": "batchnorm"}, _act(), _pool(),   # 9x9
                                 _conv(64, 3, padding=1), {"type": "batchnorm"}, _act(), _pool(size=9),
                                 FLATTEN, _dense(3)],                                               # 64 -> 3
                                ["triangle", "circle", "rectangle"]),
    # Small data (a few dozen drawings or pictures a class, cnn.my_data): the shipped model's two convolution
    # blocks, same shapes (so "start from the shipped model" can copy them, cnn.transfer), then a maximum over
    # the whole 4x4 map and one dense layer: 52,483 parameters for 3 classes, 99% of them in the convolutions
    # that transfer can bring ready-made. The colour one learns an RGB first layer (3 channels a filter).
    "small-gray": ModelSpec("small-gray", (1, 28, 28), _small(), ["class 1", "class 2", "class 3"]),
    "small-rgb": ModelSpec("small-rgb", (3, 28, 28), _small(), ["class 1", "class 2", "class 3"]),
}


def preset(name: str) -> ModelSpec:
    if name not in PRESETS:
        raise SpecError(f"Unknown preset {name!r}; choose one of {', '.join(PRESETS)}.", "preset", name=str(name))
    return copy.deepcopy(PRESETS[name])


def for_data(spec: ModelSpec, input_shape: tuple[int, int, int], classes: list[str]) -> ModelSpec:
    """A copy of `spec` for a data set: its input shape, its classes, and a last dense layer with one unit a
    class (the only layer that changes; summary says if the rest no longer fits the input)."""
    fitted = copy.deepcopy(spec)
    fitted.input_shape = tuple(int(v) for v in input_shape)
    fitted.classes = [str(c) for c in classes]
    dense = [i for i, layer in enumerate(fitted.layers) if isinstance(layer, dict) and layer.get("type") == "dense"]
    if dense:
        fitted.layers[dense[-1]] = {**fitted.layers[dense[-1]], "units": len(fitted.classes)}
    return fitted


# ---------------------------------------------------------------- shapes, parameters, multiply-adds


@dataclass(frozen=True)
class LayerSummary:
    index: int
    kind: str
    details: dict                   # the layer's settings as used ({"filters": 32, "kernel": 3, ...})
    output_shape: tuple[int, ...]   # without the batch axis
    parameters: int
    mult_adds: int

    @property
    def description(self) -> str:
        """The settings in a short English line ("32@3x3, stride 1, padding 0"); a page shows its own
        language's line from `details` (train.detail.<kind> in the catalogs)."""
        return LAYERS[self.kind].describe.format(**self.details)


# Bounds far above any network a CPU can train here, but low enough that no typo (1e308 filters) makes
# torch try to allocate the impossible.
MAXIMUM = {"filters": 1024, "kernel": 31, "stride": 16, "padding": 32, "dilation": 8, "units": 16384, "size": 32}
MAX_PARAMETERS = 50_000_000


def _int(layer: dict, key: str, default=None, minimum: int = 1) -> int:
    value = layer.get(key, default)
    maximum = MAXIMUM.get(key, 1 << 30)
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise SpecError(f"{key} must be a whole number from {minimum} to {maximum}; got {value!r}.", "whole_number",
                        key=key, minimum=minimum, maximum=maximum, value=str(value))
    return value


def _output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    try:
        return ops.output_size(size, kernel, stride, padding, dilation)
    except ValueError as exc:
        raise SpecError(str(exc), "too_small", span=dilation * (kernel - 1) + 1, size=size + 2 * padding) from exc


# ---------------------------------------------------------------- one definition per kind of layer
# Each kind knows, for a layer dict and the shape coming in: the shape going out with its parameters,
# multiply-adds and a short description (check), and the torch.nn constructor that computes it
# (constructor), from which both the module and the exported code's text are made. summary, build and
# to_pytorch_code all go through these.


class Layer:
    needs: int | None = None    # 3: needs (C, H, W) maps; 1: needs a flat vector; None: either
    describe = ""               # the settings in English, from check's details (catalogs: train.detail.<kind>)

    def check(self, layer: dict, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int, int, dict]:
        """(shape going out, parameters, multiply-adds, the settings used: the fields of `describe`)."""
        raise NotImplementedError

    def constructor(self, layer: dict, shape: tuple[int, ...]) -> tuple[str, tuple, dict]:
        """(torch.nn class name, positional arguments, keyword arguments)."""
        raise NotImplementedError

    def module(self, layer: dict, shape: tuple[int, ...]):
        import torch.nn as nn

        name, args, kwargs = self.constructor(layer, shape)
        return getattr(nn, name)(*args, **kwargs)

    def source(self, layer: dict, shape: tuple[int, ...]) -> str:
        name, args, kwargs = self.constructor(layer, shape)
        return f"nn.{name}(" + ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())]) + ")"


class Conv(Layer):
    describe = "{filters}@{kernel}x{kernel}, stride {stride}, padding {padding}"
    needs = 3

    def check(self, layer, shape):
        c, h, w = shape
        f, k = _int(layer, "filters"), _int(layer, "kernel")
        s, p, d = _int(layer, "stride", 1), _int(layer, "padding", 0, 0), _int(layer, "dilation", 1)
        out = (f, _output_size(h, k, s, p, d), _output_size(w, k, s, p, d))
        return out, f * c * k * k + f, \
            f * c * k * k * out[1] * out[2], dict(filters=f, kernel=k, stride=s, padding=p)

    def constructor(self, layer, shape):
        return "Conv2d", (shape[0], layer["filters"]), dict(kernel_size=layer["kernel"], stride=layer.get("stride", 1),
                                                            padding=layer.get("padding", 0),
                                                            dilation=layer.get("dilation", 1))


class Pool(Layer):
    describe = "{mode} {size}x{size}, stride {stride}"
    needs = 3

    def check(self, layer, shape):
        c, h, w = shape
        mode = layer.get("mode", "max")
        if mode not in ops.POOL_MODES:
            raise SpecError(f"pool mode must be max or avg; got {mode!r}.", "pool_mode", value=str(mode))
        k = _int(layer, "size", 2)
        s = _int(layer, "stride", k) if layer.get("stride") is not None else k
        return (c, _output_size(h, k, s), _output_size(w, k, s)), 0, 0, dict(mode=mode, size=k, stride=s)

    def constructor(self, layer, shape):
        size = layer.get("size", 2)
        return ("MaxPool2d" if layer.get("mode", "max") == "max" else "AvgPool2d"), (size,), \
            dict(stride=layer.get("stride") or size)


class Activation(Layer):
    describe = "{name}"
    MODULES = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}

    def check(self, layer, shape):
        name = layer.get("name", "relu")
        if name not in ACTIVATIONS:
            raise SpecError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}.", "activation",
                            value=str(name), choices=", ".join(ACTIVATIONS))
        return shape, 0, 0, dict(name=name)

    def constructor(self, layer, shape):
        return self.MODULES[layer.get("name", "relu")], (), {}


class BatchNorm(Layer):
    describe = "batch norm"

    def check(self, layer, shape):
        return shape, 2 * shape[0], 0, {}

    def constructor(self, layer, shape):
        return ("BatchNorm2d" if len(shape) == 3 else "BatchNorm1d"), (shape[0],), {}


class Dropout(Layer):
    describe = "p = {p}"

    def check(self, layer, shape):
        p = layer.get("p", 0.5)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise SpecError(f"dropout p must be in [0, 1); got {p!r}.", "dropout", value=str(p))
        return shape, 0, 0, dict(p=p)

    def constructor(self, layer, shape):
        return "Dropout", (), dict(p=layer.get("p", 0.5))


class Flatten(Layer):
    describe = "flatten"

    def check(self, layer, shape):
        return (math.prod(shape),), 0, 0, {}

    def constructor(self, layer, shape):
        return "Flatten", (), {}


class Dense(Layer):
    describe = "{units} units"
    needs = 1

    def check(self, layer, shape):
        units = _int(layer, "units")
        return (units,), shape[0] * units + units, shape[0] * units, dict(units=units)

    def constructor(self, layer, shape):
        return "Linear", (shape[0], layer["units"]), {}


LAYERS: dict[str, Layer] = {"conv": Conv(), "activation": Activation(), "pool": Pool(), "batchnorm": BatchNorm(),
                            "dropout": Dropout(), "flatten": Flatten(), "dense": Dense()}
LAYER_TYPES = tuple(LAYERS)


def _kind(layer) -> Layer:
    kind = layer.get("type") if isinstance(layer, dict) else None
    if kind not in LAYERS:
        raise SpecError(f"unknown layer type {kind!r}; use one of {', '.join(LAYER_TYPES)}.", "layer_type",
                        value=str(kind), choices=", ".join(LAYER_TYPES))
    return LAYERS[kind]


def summary(spec: ModelSpec) -> list[LayerSummary]:
    """Each layer's output shape, parameter count and multiply-adds; SpecError names the first bad layer."""
    shape: tuple[int, ...] = tuple(spec.input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise SpecError(f"The input shape must be (channels, height, width); got {spec.input_shape}.", "input_shape")
    if not spec.layers:
        raise SpecError("The network has no layers.", "no_layers")
    rows = []
    for i, layer in enumerate(spec.layers):
        kind = layer.get("type") if isinstance(layer, dict) else None
        try:
            definition = _kind(layer)
            if definition.needs == 3 and len(shape) != 3:
                raise SpecError(f"needs a (C, H, W) input but gets {shape}: put it before flatten.", "needs_maps",
                                shape="×".join(map(str, shape)))
            if definition.needs == 1 and len(shape) != 1:
                raise SpecError(f"needs a flat input but gets {shape}: put a flatten layer before it.", "needs_flat",
                                shape="×".join(map(str, shape)))
            shape, params, macs, details = definition.check(layer, shape)
        except SpecError as exc:
            raise SpecError(f"Layer {i + 1} ({kind}): {exc}", exc.code, layer=i + 1, kind=str(kind),
                            **exc.params) from exc
        rows.append(LayerSummary(i, kind, details, shape, params, macs))
    total = sum(row.parameters for row in rows)
    if total > MAX_PARAMETERS:
        raise SpecError(f"The network has {total:,} parameters; the limit is {MAX_PARAMETERS:,}.",
                        "too_many_parameters", count=f"{total:,}", limit=f"{MAX_PARAMETERS:,}")
    if shape != (len(spec.classes),):
        raise SpecError(f"The network ends with shape {shape}, but there are {len(spec.classes)} classes: "
                        f"end with flatten and a dense layer of {len(spec.classes)} units.", "end_shape",
                        shape="×".join(map(str, shape)), classes=len(spec.classes))
    return rows


def total_parameters(spec: ModelSpec) -> int:
    return sum(row.parameters for row in summary(spec))


# ---------------------------------------------------------------- torch modules and code


def _layer_inputs(spec: ModelSpec) -> list[tuple[int, ...]]:
    rows = summary(spec)  # validates first, so a bad spec fails with its reason
    return [tuple(spec.input_shape)] + [row.output_shape for row in rows[:-1]]


def build(spec: ModelSpec):
    """An nn.Sequential that computes `spec`; its layer i is spec.layers[i] (forward hooks rely on it)."""
    import torch.nn as nn

    return nn.Sequential(*[_kind(layer).module(layer, shape) for layer, shape in zip(spec.layers, _layer_inputs(spec))])


def to_pytorch_code(spec: ModelSpec) -> str:
    """A standalone, runnable Python module defining the network."""
    sources = [_kind(layer).source(layer, shape) for layer, shape in zip(spec.layers, _layer_inputs(spec))]
    lines = ",\n            ".join(sources)
    c, h, w = spec.input_shape
    n = len(spec.classes)
    return f'''"""{spec.name}: exported from CNN Lab. Input (N, {c}, {h}, {w}); output {n} class scores."""

import torch
import torch.nn as nn

CLASSES = {spec.classes!r}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            {lines},
        )

    def forward(self, x):
        return self.layers(x)


if __name__ == "__main__":
    net = Net()
    print(net)
    print(net(torch.zeros(1, {c}, {h}, {w})).shape)
'''


# ---------------------------------------------------------------- files: safetensors + JSON


def _paths(path: str | os.PathLike) -> tuple[Path, Path]:
    base = Path(path)
    if base.suffix in (".safetensors", ".json"):
        base = base.with_suffix("")
    return base.with_suffix(".safetensors"), base.with_suffix(".json")


def atomic_write(path: Path, write) -> None:
    """Write to a temporary file beside `path`, then rename: a kill mid-save leaves the old file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes files private; saved models and runs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(model, spec: ModelSpec, path: str | os.PathLike, *, dataset: str | None = None,
         metrics: dict | None = None) -> tuple[Path, Path]:
    """Weights to <path>.safetensors and a sidecar <path>.json (spec, data set, metrics, date)."""
    from safetensors.torch import save_file

    weights_path, json_path = _paths(path)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(weights_path, lambda tmp: save_file(tensors, tmp))
    sidecar = {"format": "cnn-lab/1", "spec": spec.to_dict(), "dataset": dataset, "metrics": metrics or {},
               "saved": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "weights": weights_path.name}
    atomic_write(json_path, lambda tmp: Path(tmp).write_text(json.dumps(sidecar, indent=1), encoding="utf-8"))
    return weights_path, json_path


def read_sidecar(path: str | os.PathLike) -> dict:
    _, json_path = _paths(path)
    try:
        sidecar = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelFileError(f"{json_path.name} is missing: a model is a .safetensors file with a .json "
                             f"beside it.", "model_json") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{json_path.name} is not valid JSON.", "model_json") from exc
    if not isinstance(sidecar, dict) or "spec" not in sidecar:
        raise ModelFileError(f"{json_path.name} does not describe a CNN Lab model (no spec).", "model_json")
    return sidecar


def load(path: str | os.PathLike):
    """(model in eval mode, spec) from <path>.safetensors + <path>.json.

    Refuses anything else — a pickled .pt/.pth above all, since unpickling can run arbitrary code — and
    weights whose names or shapes do not match the spec.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if Path(path).suffix in (".pt", ".pth", ".pkl", ".ckpt", ".bin"):
        raise ModelFileError("Pickled PyTorch files are refused: loading one can run any code. "
                             "Use a .safetensors file with its .json description.")
    weights_path, _ = _paths(path)
    sidecar = read_sidecar(path)
    try:
        spec = ModelSpec.from_dict(sidecar["spec"])
        model = build(spec)
    except SpecError as exc:
        raise ModelFileError(f"The model description is invalid: {exc}") from exc
    try:
        with open(weights_path, "rb") as f:
            head = f.read(2)
        if head[:1] == b"\x80" or head == b"PK":  # a pickle, or torch.save's zip of pickles
            raise ModelFileError(f"{weights_path.name} is a pickled file, not safetensors: refused, "
                                 f"because loading it could run any code.", "pickle")
        tensors = load_file(weights_path)
    except FileNotFoundError as exc:
        raise ModelFileError(f"{weights_path.name} is missing.") from exc
    except (SafetensorError, OSError, ValueError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"{weights_path.name} is not a readable safetensors file ({exc}).") from exc
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise ModelFileError(f"The weights do not match the description: missing {missing[:3]}, "
                             f"unexpected {extra[:3]}.")
    for key, tensor in expected.items():
        if tuple(tensors[key].shape) != tuple(tensor.shape):
            raise ModelFileError(f"Weight {key} has shape {tuple(tensors[key].shape)}, but the description "
                                 f"needs {tuple(tensor.shape)}.")
    model.load_state_dict(tensors)
    model.eval()
    return model, spec


# ---------------------------------------------------------------- checking model files without loading them


def files_problem(path: str | os.PathLike) -> ModelFileError | None:
    """Why <path>.safetensors + <path>.json could not be loaded, found without reading the weights: a missing
    or damaged description, a pickle under the .safetensors name, a file cut short, weights whose names or
    shapes do not fit the description. None when they are sound. Cheap enough for every list of runs (it
    reads the two files' headers and is remembered per file version)."""
    weights, described = _paths(path)
    try:
        stamps = [(p.stat().st_mtime_ns, p.stat().st_size) for p in (weights, described)]
    except FileNotFoundError as exc:
        name = Path(exc.filename).name if exc.filename else weights.name
        return ModelFileError(f"{name} is missing.", "no_weights" if name.endswith(".safetensors") else "model_json")
    return _files_problem(str(weights), *stamps)


@lru_cache(maxsize=1024)
def _files_problem(weights: str, *_versions) -> ModelFileError | None:
    try:
        sidecar = read_sidecar(weights)
        try:
            spec = ModelSpec.from_dict(sidecar["spec"])
            summary(spec)
        except (SpecError, TypeError, AttributeError) as exc:
            raise ModelFileError(f"model.json: the model description is invalid ({exc}).", "model_json") from exc
        found = safetensors_shapes(Path(weights))
        import torch

        with torch.device("meta"):          # shapes only: no memory for the weights
            expected = {k: tuple(v.shape) for k, v in build(spec).state_dict().items()}
        if found != expected:
            wrong = sorted(set(found) ^ set(expected)) or sorted(k for k in found if found[k] != expected[k])
            raise ModelFileError(f"The weights do not match the description ({', '.join(wrong[:3])}).", "mismatch")
    except ModelFileError as exc:
        return exc
    return None


def safetensors_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Each tensor's shape, read from a safetensors file's header, after checking the file is one and is
    whole: 8 bytes of header length, the JSON header, then exactly the bytes its tensors span."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        if head[:1] == b"\x80" or head[:2] == b"PK":   # a pickle, or torch.save's zip of pickles
            raise ModelFileError(f"{path.name} is a pickled file, not safetensors: refused, because loading it "
                                 f"could run any code.", "pickle")
        length = int.from_bytes(head, "little") if len(head) == 8 else -1
        if not 2 <= length <= min(size - 8, 100_000_000):
            raise ModelFileError(f"{path.name} is not a safetensors file (or is cut short: {size:,} bytes).",
                                 "truncated" if len(head) < 8 or length > size - 8 else "not_safetensors")
        try:
            header = json.loads(f.read(length))
            tensors = {k: v for k, v in header.items() if k != "__metadata__"}
            end = max((int(v["data_offsets"][1]) for v in tensors.values()), default=0)
            shapes = {k: tuple(int(n) for n in v["shape"]) for k, v in tensors.items()}
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            raise ModelFileError(f"{path.name} has a damaged header.", "not_safetensors") from exc
    if size - 8 - length < end:
        raise ModelFileError(f"{path.name} is cut short: {size:,} bytes of the {8 + length + end:,} its header "
                             f"describes.", "truncated")
    return shapes
