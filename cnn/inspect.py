"""Looking inside a network built from a ModelSpec: every layer's output, the kernels, and why it chose.

A ModelSpec network is an nn.Sequential whose layer i is spec.layers[i], so every function here runs
the layers one by one and keeps what it needs: no forward hooks, no .grad, no train/eval switch. The
app shares one cached model between all sessions; nothing here changes it, so any number of threads
can look inside the same model at once and each sees only its own input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cnn.models import ModelSpec


@dataclass
class LayerOutput:
    index: int                 # position in spec.layers
    layer: dict                # the spec's layer
    values: np.ndarray         # this layer's output for the one input, without the batch axis

    @property
    def kind(self) -> str:
        return self.layer["type"]


@dataclass
class Trace:
    layers: list[LayerOutput]
    logits: np.ndarray
    probabilities: np.ndarray

    @property
    def top(self) -> int:
        return int(np.argmax(self.probabilities))


def as_batch(image, spec: ModelSpec) -> torch.Tensor:
    """(H, W) or (C, H, W) array in [0, 1] -> a (1, C, H, W) float32 tensor; checks it fits the model."""
    x = torch.as_tensor(np.asarray(image, dtype=np.float32))
    if x.ndim == 2:
        x = x.unsqueeze(0)
    if x.ndim == 3:
        x = x.unsqueeze(0)
    if tuple(x.shape[1:]) != tuple(spec.input_shape):
        raise ValueError(f"The model {spec.name} takes inputs of shape {tuple(spec.input_shape)}; "
                         f"got {tuple(x.shape[1:])}.")
    return x


def _parameter_device(model) -> torch.device:
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _check_eval(model) -> None:
    # Switching a shared model to eval mode here would change it under another thread's feet; a model
    # from models.load or models.build(...).eval() is already in eval mode.
    if model.training:
        raise ValueError("Inspect a model in eval mode (call model.eval() once, before sharing it).")


def _run(layers, x: torch.Tensor) -> list[torch.Tensor]:
    """Every layer's output for the batch `x`, in order (the last is the logits)."""
    outputs = []
    for layer in layers:
        x = layer(x)
        outputs.append(x)
    return outputs


@torch.no_grad()
def trace(model, spec: ModelSpec, image) -> Trace:
    """Run one input through the model layer by layer, keeping every layer's output."""
    _check_eval(model)
    outputs = _run(model, as_batch(image, spec).to(_parameter_device(model)))
    layers = [LayerOutput(i, spec.layers[i], outputs[i][0].float().cpu().numpy()) for i in range(len(spec.layers))]
    logits = outputs[-1][0].float().cpu()
    return Trace(layers, logits.numpy(), F.softmax(logits, dim=0).numpy())


@torch.no_grad()
def predict(model, spec: ModelSpec, image) -> np.ndarray:
    """Class probabilities for one input."""
    _check_eval(model)
    return F.softmax(model(as_batch(image, spec).to(_parameter_device(model)))[0].float(), dim=0).cpu().numpy()


def conv_layers(spec: ModelSpec) -> list[int]:
    return [i for i, layer in enumerate(spec.layers) if layer["type"] == "conv"]


def kernels(model, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(weights (M, C, kh, kw), bias (M,)) of the conv layer at spec position `index`."""
    conv = model[index]
    if not isinstance(conv, torch.nn.Conv2d):
        raise ValueError(f"Layer {index + 1} is not a convolution.")
    bias = conv.bias.detach().cpu().numpy() if conv.bias is not None else np.zeros(conv.out_channels)
    return conv.weight.detach().cpu().numpy().astype(np.float64), bias.astype(np.float64)


def cam_layer(spec: ModelSpec) -> int:
    """Where Grad-CAM looks: the last conv layer, after its batch norm and activation if it has them."""
    convs = conv_layers(spec)
    if not convs:
        raise ValueError(f"The model {spec.name} has no convolution layer: Grad-CAM needs one.")
    index = convs[-1]
    while index + 1 < len(spec.layers) and spec.layers[index + 1]["type"] in ("batchnorm", "activation"):
        index += 1
    return index


def _upsample(values: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    return F.interpolate(values[None, None], size=size, mode="bilinear", align_corners=False)[0, 0].numpy()


def grad_cam(model, spec: ModelSpec, image, target: int | None = None, layer: int | None = None) -> dict:
    """Grad-CAM (Selvaraju et al. 2017): which places of the last feature maps raised the target's score.

    Each map of the chosen layer is weighted by the mean gradient of the target logit over it; the
    weighted sum, through a ReLU, is the map. Returns {"layer", "target", "coarse" (at the layer's
    size), "map" (upsampled to the input, scaled to [0, 1])}.
    """
    _check_eval(model)
    layer = cam_layer(spec) if layer is None else layer
    # Split the network at the chosen layer: the head runs without gradients, its output becomes a leaf
    # that needs one, and the tail runs from it. torch.autograd.grad then gives d logit / d maps without
    # touching the shared weights' .grad.
    with torch.no_grad():
        maps = model[:layer + 1](as_batch(image, spec).to(_parameter_device(model)))
    if maps.ndim != 4:
        raise ValueError(f"Layer {layer + 1} has no spatial maps: Grad-CAM needs a conv or pool layer.")
    maps = maps.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = model[layer + 1:](maps)
        target = int(logits[0].argmax()) if target is None else int(target)
        gradients = torch.autograd.grad(logits[0, target], maps)[0][0].cpu()
    activations = maps[0].detach().cpu()
    weights = gradients.mean(dim=(1, 2))
    coarse = torch.relu((weights[:, None, None] * activations).sum(0))
    fine = _upsample(coarse, tuple(spec.input_shape[1:]))
    peak = fine.max()
    return {"layer": layer, "target": target, "coarse": coarse.numpy(),
            "map": fine / peak if peak > 0 else fine}


def saliency(model, spec: ModelSpec, image, target: int | None = None) -> np.ndarray:
    """Vanilla gradient saliency (Captum's Saliency): |d score / d pixel|, max over channels, in [0, 1]."""
    from captum.attr import Saliency

    _check_eval(model)
    x = as_batch(image, spec).to(_parameter_device(model)).requires_grad_(True)
    if target is None:
        with torch.no_grad():
            target = int(model(x)[0].argmax())
    grads = Saliency(model).attribute(x, target=int(target), abs=True)[0].detach().cpu().amax(0).numpy()
    peak = grads.max()
    return grads / peak if peak > 0 else grads


@torch.no_grad()
def occlusion(model, spec: ModelSpec, image, target: int | None = None, *, patch: int | None = None,
              stride: int | None = None, fill: float = 0.0) -> dict:
    """Occlusion sensitivity (Zeiler & Fergus 2014): cover a square patch, see how the target's probability drops.

    Every patch position is one image in a single batch. A pixel's value is the mean drop over the
    patches that covered it (positive: hiding it hurts the prediction). Returns {"target", "base"
    (the probability unoccluded), "map" (H, W), "patch", "stride"}.
    """
    _check_eval(model)
    x = as_batch(image, spec).to(_parameter_device(model))
    _, channels, height, width = x.shape
    patch = patch or max(2, round(min(height, width) / 5))
    stride = stride or max(1, patch // 3)
    probs = F.softmax(model(x)[0], dim=0)
    target = int(probs.argmax()) if target is None else int(target)
    tops = list(range(0, height - patch + 1, stride))
    lefts = list(range(0, width - patch + 1, stride))
    if tops[-1] != height - patch:
        tops.append(height - patch)
    if lefts[-1] != width - patch:
        lefts.append(width - patch)
    positions = [(r, c) for r in tops for c in lefts]
    drops = []
    for start in range(0, len(positions), 256):
        chunk = positions[start:start + 256]
        batch = x.repeat(len(chunk), 1, 1, 1)
        for k, (r, c) in enumerate(chunk):
            batch[k, :, r:r + patch, c:c + patch] = fill
        drops.append(probs[target] - F.softmax(model(batch), dim=1)[:, target])
    drops = torch.cat(drops).cpu().numpy()
    total, count = np.zeros((height, width)), np.zeros((height, width))
    for drop, (r, c) in zip(drops, positions):
        total[r:r + patch, c:c + patch] += drop
        count[r:r + patch, c:c + patch] += 1
    return {"target": target, "base": float(probs[target]), "map": total / np.maximum(count, 1),
            "patch": patch, "stride": stride}
