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
from pathlib import Path

from cnn import ops

LAYER_TYPES = ("conv", "activation", "pool", "batchnorm", "dropout", "flatten", "dense")
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")


class SpecError(ValueError):
    """A ModelSpec that cannot be built; the message names the layer and the reason."""


class ModelFileError(ValueError):
    """A model file we refuse to load (not safetensors + JSON, or weights that do not fit the spec)."""


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
            raise SpecError(f"Not a model description: {exc}") from exc
        if len(spec.input_shape) != 3:
            raise SpecError("input_shape must be (channels, height, width).")
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
DIGITS = [str(d) for d in range(10)]

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
}


def preset(name: str) -> ModelSpec:
    if name not in PRESETS:
        raise SpecError(f"Unknown preset {name!r}; choose one of {', '.join(PRESETS)}.")
    return copy.deepcopy(PRESETS[name])


# ---------------------------------------------------------------- shapes, parameters, multiply-adds


@dataclass(frozen=True)
class LayerSummary:
    index: int
    kind: str
    description: str
    output_shape: tuple[int, ...]   # without the batch axis
    parameters: int
    mult_adds: int


def _int(layer: dict, key: str, default=None, minimum: int = 1) -> int:
    value = layer.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SpecError(f"{key} must be a whole number of at least {minimum}; got {value!r}.")
    return value


def summary(spec: ModelSpec) -> list[LayerSummary]:
    """Each layer's output shape, parameter count and multiply-adds; SpecError names the first bad layer."""
    shape: tuple[int, ...] = tuple(spec.input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise SpecError(f"The input shape must be (channels, height, width); got {spec.input_shape}.")
    rows = []
    for i, layer in enumerate(spec.layers):
        kind = layer.get("type")
        try:
            shape, params, macs, text = _step(layer, kind, shape)
        except (SpecError, ValueError) as exc:
            raise SpecError(f"Layer {i + 1} ({kind}): {exc}") from exc
        rows.append(LayerSummary(i, kind, text, shape, params, macs))
    if shape != (len(spec.classes),):
        raise SpecError(f"The network ends with shape {shape}, but there are {len(spec.classes)} classes: "
                        f"end with flatten and a dense layer of {len(spec.classes)} units.")
    return rows


def _step(layer: dict, kind: str, shape: tuple[int, ...]):
    """One layer: (output shape, parameters, multiply-adds, a short description)."""
    if kind in ("conv", "pool") and len(shape) != 3:
        raise SpecError(f"needs a (C, H, W) input but gets {shape}: put it before flatten.")
    if kind == "conv":
        c, h, w = shape
        f, k = _int(layer, "filters"), _int(layer, "kernel")
        s, p, d = _int(layer, "stride", 1), _int(layer, "padding", 0, 0), _int(layer, "dilation", 1)
        out = (f, ops.output_size(h, k, s, p, d), ops.output_size(w, k, s, p, d))
        params = f * c * k * k + f
        return out, params, f * c * k * k * out[1] * out[2], f"{f}@{k}x{k}, stride {s}, padding {p}"
    if kind == "pool":
        c, h, w = shape
        mode = layer.get("mode", "max")
        if mode not in ("max", "avg"):
            raise SpecError(f"pool mode must be max or avg; got {mode!r}.")
        k = _int(layer, "size", 2)
        s = _int(layer, "stride", k) if layer.get("stride") is not None else k
        return (c, ops.output_size(h, k, s), ops.output_size(w, k, s)), 0, 0, f"{mode} {k}x{k}, stride {s}"
    if kind == "activation":
        name = layer.get("name", "relu")
        if name not in ACTIVATIONS:
            raise SpecError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}.")
        return shape, 0, 0, name
    if kind == "batchnorm":
        return shape, 2 * shape[0], 0, "batch norm"
    if kind == "dropout":
        p = layer.get("p", 0.5)
        if not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise SpecError(f"dropout p must be in [0, 1); got {p!r}.")
        return shape, 0, 0, f"p = {p}"
    if kind == "flatten":
        return (math.prod(shape),), 0, 0, "flatten"
    if kind == "dense":
        if len(shape) != 1:
            raise SpecError(f"needs a flat input but gets {shape}: put a flatten layer before it.")
        units = _int(layer, "units")
        return (units,), shape[0] * units + units, shape[0] * units, f"{units} units"
    raise SpecError(f"unknown layer type {kind!r}; use one of {', '.join(LAYER_TYPES)}.")


def total_parameters(spec: ModelSpec) -> int:
    return sum(row.parameters for row in summary(spec))


# ---------------------------------------------------------------- torch modules and code


def _module_source(layer: dict, shape: tuple[int, ...]) -> str:
    """The torch.nn constructor for one layer, as source text for the export."""
    kind = layer["type"]
    if kind == "conv":
        return (f"nn.Conv2d({shape[0]}, {layer['filters']}, kernel_size={layer['kernel']}, "
                f"stride={layer.get('stride', 1)}, padding={layer.get('padding', 0)}, "
                f"dilation={layer.get('dilation', 1)})")
    if kind == "pool":
        size = layer.get("size", 2)
        stride = layer.get("stride") or size
        cls = "MaxPool2d" if layer.get("mode", "max") == "max" else "AvgPool2d"
        return f"nn.{cls}({size}, stride={stride})"
    if kind == "activation":
        return {"relu": "nn.ReLU()", "leaky_relu": "nn.LeakyReLU()", "sigmoid": "nn.Sigmoid()",
                "tanh": "nn.Tanh()"}[layer.get("name", "relu")]
    if kind == "batchnorm":
        return f"nn.BatchNorm2d({shape[0]})" if len(shape) == 3 else f"nn.BatchNorm1d({shape[0]})"
    if kind == "dropout":
        return f"nn.Dropout(p={layer.get('p', 0.5)})"
    if kind == "flatten":
        return "nn.Flatten()"
    return f"nn.Linear({shape[0]}, {layer['units']})"


def _module(layer: dict, shape: tuple[int, ...]):
    """The torch.nn module for one validated layer (the same constructors _module_source writes out)."""
    import torch.nn as nn

    kind = layer["type"]
    if kind == "conv":
        return nn.Conv2d(shape[0], layer["filters"], kernel_size=layer["kernel"], stride=layer.get("stride", 1),
                         padding=layer.get("padding", 0), dilation=layer.get("dilation", 1))
    if kind == "pool":
        size = layer.get("size", 2)
        cls = nn.MaxPool2d if layer.get("mode", "max") == "max" else nn.AvgPool2d
        return cls(size, stride=layer.get("stride") or size)
    if kind == "activation":
        return {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "sigmoid": nn.Sigmoid,
                "tanh": nn.Tanh}[layer.get("name", "relu")]()
    if kind == "batchnorm":
        return nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
    if kind == "dropout":
        return nn.Dropout(p=layer.get("p", 0.5))
    if kind == "flatten":
        return nn.Flatten()
    return nn.Linear(shape[0], layer["units"])


def _layer_inputs(spec: ModelSpec) -> list[tuple[int, ...]]:
    rows = summary(spec)  # validates first, so a bad spec fails with its reason
    return [tuple(spec.input_shape)] + [row.output_shape for row in rows[:-1]]


def build(spec: ModelSpec):
    """An nn.Sequential that computes `spec`; its layer i is spec.layers[i] (forward hooks rely on it)."""
    import torch.nn as nn

    return nn.Sequential(*[_module(layer, shape) for layer, shape in zip(spec.layers, _layer_inputs(spec))])


def to_pytorch_code(spec: ModelSpec) -> str:
    """A standalone, runnable Python module defining the network."""
    sources = [_module_source(layer, shape) for layer, shape in zip(spec.layers, _layer_inputs(spec))]
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
                             f"beside it.") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{json_path.name} is not valid JSON.") from exc
    if not isinstance(sidecar, dict) or "spec" not in sidecar:
        raise ModelFileError(f"{json_path.name} does not describe a CNN Lab model (no spec).")
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
                                 f"because loading it could run any code.")
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
