"""What a filter looks for: for each filter of a convolution layer, the input patches that excite it most
and a picture made to excite it (activation maximisation).

Both leave the shared model as it is: the layers run one by one (as cnn.inspect does), gradients are
taken with torch.autograd.grad with respect to a fresh input only, never stored on the weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cnn import inspect
from cnn.models import ModelSpec

TOP = 9


def receptive_field(spec: ModelSpec, layer: int, row: int, col: int) -> tuple[int, int, int, int]:
    """The input pixels (top, left, bottom, right, inclusive, clipped to the image) that output cell
    (row, col) of layer `layer` depends on, walking back through every conv and pool before it."""
    top, bottom, left, right = row, row, col, col
    for item in reversed(spec.layers[:layer + 1]):
        kind = item.get("type")
        if kind == "conv":
            k, s = item["kernel"], item.get("stride", 1)
            p, d = item.get("padding", 0), item.get("dilation", 1)
        elif kind == "pool":
            k = item.get("size", 2)
            s, p, d = item.get("stride") or k, 0, 1
        else:
            continue   # activation, batch norm, dropout: one cell from one cell
        top, bottom = top * s - p, bottom * s - p + d * (k - 1)
        left, right = left * s - p, right * s - p + d * (k - 1)
    height, width = spec.input_shape[1:]
    return max(top, 0), max(left, 0), min(bottom, height - 1), min(right, width - 1)


@dataclass(frozen=True)
class Strongest:
    image: int           # index into the images given
    row: int             # where in the filter's map
    col: int
    activation: float
    box: tuple[int, int, int, int]   # the input pixels behind it (receptive_field)


def _maps(model, spec: ModelSpec, images: np.ndarray, layer: int, batch: int = 256) -> torch.Tensor:
    """The layer's output for every image: (N, filters, H', W')."""
    inspect._check_eval(model)
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = torch.stack([inspect.as_batch(image, spec)[0] for image in images[start:start + batch]])
            out.append(model[:layer + 1](x.to(inspect._parameter_device(model))).cpu())
    return torch.cat(out)


def strongest_patches(model, spec: ModelSpec, images: np.ndarray, layer: int, top: int = TOP,
                      on_progress: Callable[[int, int], None] | None = None) -> list[list[Strongest]]:
    """For each filter of `layer`, the `top` images whose strongest response to it is largest (one per
    image), with where that response is and the input box behind it. images: (N, H, W) or (N, C, H, W)."""
    maps = _maps(model, spec, images, layer)
    if maps.ndim != 4:
        raise ValueError(f"Layer {layer + 1} has no maps: choose a convolution layer.")
    n, filters, _, width = maps.shape
    flat = maps.flatten(2)                          # (N, filters, H'*W')
    best, where = flat.max(dim=2)                   # each image's strongest response, per filter
    result = []
    for f in range(filters):
        order = torch.argsort(best[:, f], descending=True)[:top]
        found = []
        for i in order.tolist():
            row, col = divmod(int(where[i, f]), width)
            found.append(Strongest(i, row, col, float(best[i, f]), receptive_field(spec, layer, row, col)))
        result.append(found)
        if on_progress:
            on_progress(f + 1, filters)
    return result


def _blur(x: torch.Tensor) -> torch.Tensor:
    kernel = torch.tensor([1.0, 2.0, 1.0])
    kernel = (kernel[:, None] * kernel[None, :]) / 16.0
    weight = kernel.to(x)[None, None].repeat(x.shape[1], 1, 1, 1)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), weight, groups=x.shape[1])


def maximise(model, spec: ModelSpec, layer: int, *, steps: int = 60, lr: float = 0.1, seed: int = 0,
             value_range: tuple[float, float] = (0.0, 1.0), l2: float = 1e-3, blur_every: int = 4,
             on_progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Activation maximisation: for every filter of `layer` at once, gradient ascent on an input from
    faint noise to raise the filter's response at the centre of its map (the mean response would favour
    a flat picture for a first layer), with a little blur every few steps and a small L2 penalty, kept in
    `value_range`. Returns (pictures (filters, C, H, W), the centre responses reached); the part of the
    picture that matters is centre_field(spec, layer)."""
    inspect._check_eval(model)
    device = inspect._parameter_device(model)
    with torch.no_grad():
        filters = model[:layer + 1](torch.zeros(1, *spec.input_shape, device=device)).shape[1]
    generator = torch.Generator().manual_seed(seed)
    low, high = value_range
    middle = (low + high) / 2
    x = (middle + 0.05 * (high - low) * torch.randn(filters, *spec.input_shape, generator=generator)).to(device)
    index = torch.arange(filters, device=device)
    row, col = _centre(model, spec, layer)
    response = torch.zeros(filters)
    for step in range(steps):
        x = x.detach().requires_grad_(True)
        with torch.enable_grad():
            maps = model[:layer + 1](x)
            response = maps[index, index, row, col]                  # picture f drives filter f
            objective = response.sum() - l2 * (x - middle).pow(2).sum()
            (grad,) = torch.autograd.grad(objective, x)
        with torch.no_grad():
            grad = grad / (grad.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-12)   # the same step size for all
            x = (x + lr * grad * (high - low) * np.sqrt(x[0].numel())).clamp(low, high)
            if blur_every and (step + 1) % blur_every == 0:
                x = _blur(x)
        if on_progress:
            on_progress(step + 1, steps)
    with torch.no_grad():
        response = model[:layer + 1](x)[index, index, row, col]
    return x.detach().cpu().numpy(), response.cpu().numpy()


def _centre(model, spec: ModelSpec, layer: int) -> tuple[int, int]:
    with torch.no_grad():
        maps = model[:layer + 1](torch.zeros(1, *spec.input_shape, device=inspect._parameter_device(model)))
    return maps.shape[2] // 2, maps.shape[3] // 2


def centre_field(model, spec: ModelSpec, layer: int) -> tuple[int, int, int, int]:
    """The input box that the centre cell of the layer's maps sees: where maximise() draws its pattern."""
    return receptive_field(spec, layer, *_centre(model, spec, layer))
