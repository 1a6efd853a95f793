"""Start from the shipped model ("transfer"): a new network for your own classes takes the shipped model's
convolution layers — the edge, stroke and corner detectors it learned from 60,000 digits — and learns only
what is new, above all its last layer, which always starts new because its classes are yours.

    copied = start_from(model, spec, SHIPPED, freeze=True)    # [0, 4]: spec layers that got the shipped weights

Convolution layers are paired in order (the first with the first...) and copied while their shapes fit:
the same number of filters and kernel size, and the same input channels — except that a colour network's
first layer takes the gray kernel spread over its three channels, each a third, so a gray picture shown in
colour gives the shipped model's very maps. A batch norm right after a copied convolution in both networks
comes along (its scale, shift and running averages). Copying stops at the first pair that does not fit
(the layers above it would read maps they were not trained on); when not even the first fits, TransferError
says why, in words a page translates ("spec_error.transfer_*").

Frozen: the copied weights (and their batch norms' scale and shift) are not trained; the running averages of
those batch norms still follow the new data, so the network reads new pictures as it was trained to.
"""

from __future__ import annotations

from pathlib import Path

from cnn import models

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = "shipped"                                       # the name a RunPlan, the CLI and the page use
SHIPPED_PATH = ROOT / "assets" / "models" / "mnist-default"   # the model Draw & Predict reads with


class TransferError(models.SpecError):
    """The shipped model's layers cannot start this network (locale "spec_error.<code>")."""


def source_path(start_from: str) -> Path:
    """"shipped" -> the shipped model's files; anything else is taken as a model's path (.safetensors + .json)."""
    return SHIPPED_PATH if start_from == SHIPPED else Path(start_from)


def _conv_layers(spec: models.ModelSpec) -> list[int]:
    return [i for i, layer in enumerate(spec.layers) if layer.get("type") == "conv"]


def _follows(spec: models.ModelSpec, i: int) -> bool:
    """Is spec layer i + 1 a batch norm (the one that normalises conv layer i's maps)?"""
    return i + 1 < len(spec.layers) and spec.layers[i + 1].get("type") == "batchnorm"


def _shape_text(weight_shape) -> str:
    filters, _, kh, kw = weight_shape
    return f"{filters}@{kh}×{kw}"


def plan(spec: models.ModelSpec, source: models.ModelSpec, source_shapes: dict[str, tuple]) -> list[tuple[int, int]]:
    """The (new layer, shipped layer) conv pairs that will be copied. TransferError when none fits.

    `source_shapes`: the shipped model's tensor shapes by state_dict name ("0.weight": (32, 1, 5, 5)).
    """
    rows = models.summary(spec)                     # a bad spec fails here with its own reason
    inputs = [tuple(spec.input_shape)] + [row.output_shape for row in rows[:-1]]
    ours, theirs = _conv_layers(spec), _conv_layers(source)
    if not ours:
        raise TransferError("The network has no convolution layer to take the shipped model's weights.",
                            "transfer_no_conv")
    pairs = []
    for n, (i, j) in enumerate(zip(ours, theirs)):
        want = (spec.layers[i]["filters"], inputs[i][0], spec.layers[i]["kernel"], spec.layers[i]["kernel"])
        have = tuple(source_shapes[f"{j}.weight"])
        spread = n == 0 and have[1] == 1 and want[1] == 3     # gray kernels into a colour network
        if want != have and not (spread and want[0::2] == have[0::2] and want[3] == have[3]):
            if not pairs:
                raise TransferError(
                    f"The shipped model's first convolution layer ({_shape_text(have)} on {have[1]} channel(s)) "
                    f"does not fit this network's first one ({_shape_text(want)} on {want[1]}): give it "
                    f"{have[0]} kernels of {have[2]}×{have[3]} (on a gray or colour input), or train without the "
                    f"shipped model.", "transfer_shape", have=_shape_text(have), have_channels=have[1],
                    want=_shape_text(want), want_channels=want[1], filters=have[0], kernel=f"{have[2]}×{have[3]}")
            break
        pairs.append((i, j))
    return pairs


def start_from(model, spec: models.ModelSpec, start: str | Path = SHIPPED, *, freeze: bool = False) -> list[int]:
    """Copy the source model's conv layers into `model` (built from `spec`) where they fit; freeze them if
    asked. Returns the spec indices of the conv layers copied (their batch norms come along)."""
    import torch

    try:
        source_model, source = models.load(source_path(str(start)))
    except models.ModelFileError as exc:
        raise TransferError(f"The shipped model cannot be read: {exc}", "transfer_source") from exc
    theirs = source_model.state_dict()
    pairs = plan(spec, source, {k: tuple(v.shape) for k, v in theirs.items()})
    with torch.no_grad():
        for i, j in pairs:
            weight = theirs[f"{j}.weight"]
            if weight.shape[1] != model[i].weight.shape[1]:          # gray -> colour: a third on each channel
                weight = weight.expand(-1, model[i].weight.shape[1], -1, -1) / model[i].weight.shape[1]
            model[i].weight.copy_(weight)
            if model[i].bias is not None and f"{j}.bias" in theirs:
                model[i].bias.copy_(theirs[f"{j}.bias"])
            block = [model[i]]
            if _follows(spec, i) and _follows(source, j):
                model[i + 1].load_state_dict(source_model[j + 1].state_dict())
                block.append(model[i + 1])
            for module in block if freeze else ():
                for parameter in module.parameters():
                    parameter.requires_grad_(False)
    return [i for i, _ in pairs]


def check(spec: models.ModelSpec, start: str | Path = SHIPPED) -> list[int]:
    """The conv layers start_from would copy into a network of `spec`, read from the files' headers only
    (no weights loaded): what a page says before Start. TransferError as start_from raises it."""
    path = source_path(str(start))
    problem = models.files_problem(path)
    if problem is not None:
        raise TransferError(f"The shipped model cannot be read: {problem}", "transfer_source")
    source = models.ModelSpec.from_dict(models.read_sidecar(path)["spec"])
    shapes = models.safetensors_shapes(path.with_suffix(".safetensors"))
    return [i for i, _ in plan(spec, source, shapes)]
