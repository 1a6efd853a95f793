"""What a filter looks for: for each filter of a convolution layer, the input patches that excite it most
and a picture made to excite it (activation maximisation).

Both leave the shared model as it is: the layers run one by one (as cnn.inspect does), gradients are
taken with torch.autograd.grad with respect to a fresh input only, never stored on the weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cnn import inspect, models
from cnn.models import ModelSpec

TOP = 9


def _shapes(spec: ModelSpec) -> list[tuple[int, ...]]:
    """The input shape of every layer, then the network's output shape."""
    return [tuple(spec.input_shape)] + [row.output_shape for row in models.summary(spec)]


def _maps_shape(spec: ModelSpec, layer: int) -> tuple[int, int, int]:
    """(filters, H', W') of the layer's output; ValueError if it has none (flatten, dense)."""
    shapes = _shapes(spec)
    if not 0 <= layer < len(spec.layers) or len(shapes[layer + 1]) != 3:
        raise ValueError(f"Layer {layer + 1} has no maps: choose a convolution layer.")
    return shapes[layer + 1]


def _reach(spec: ModelSpec, layer: int, row: int, col: int) -> tuple[np.ndarray, np.ndarray]:
    """The input rows and the input columns that output cell (row, col) of `layer` depends on: it depends on
    every pixel in rows × cols (rows and columns are reached independently, layer by layer)."""
    shapes = _shapes(spec)
    _, out_h, out_w = _maps_shape(spec, layer)
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(f"Cell ({row}, {col}) is outside layer {layer + 1}'s {out_h}x{out_w} maps.")
    rows, cols = np.array([row]), np.array([col])
    for index in range(layer, -1, -1):
        item = spec.layers[index]
        if item["type"] == "conv":
            k, s = item["kernel"], item.get("stride", 1)
            p, d = item.get("padding", 0), item.get("dilation", 1)
        elif item["type"] == "pool":
            k = item.get("size", 2)
            s, p, d = item.get("stride") or k, 0, 1
        else:
            continue   # activation, batch norm, dropout: one cell from one cell
        # Cell r reads its input's cells r·s − p + i·d for i < k; those in the padding are zeros that depend
        # on nothing, so they drop out here, at every layer, not only at the image.
        taps = d * np.arange(k)
        height, width = shapes[index][1:]
        rows = np.unique(rows[:, None] * s - p + taps)
        cols = np.unique(cols[:, None] * s - p + taps)
        rows, cols = rows[(rows >= 0) & (rows < height)], cols[(cols >= 0) & (cols < width)]
    return rows, cols


def receptive_field(spec: ModelSpec, layer: int, row: int, col: int) -> tuple[int, int, int, int]:
    """The box (top, left, bottom, right, inclusive, inside the image) of the input pixels that output cell
    (row, col) of layer `layer` depends on, through every conv and pool before it. It is the smallest box
    holding them all: a dilated kernel skips some pixels inside it (receptive_mask shows which). A cell that
    reads only padding depends on no pixel: (0, 0, -1, -1).

    Takes the spec, not the model: the sizes that clip the box at each layer are the spec's."""
    rows, cols = _reach(spec, layer, row, col)
    if not rows.size or not cols.size:
        return 0, 0, -1, -1
    return int(rows[0]), int(cols[0]), int(rows[-1]), int(cols[-1])


def receptive_mask(spec: ModelSpec, layer: int, row: int, col: int) -> np.ndarray:
    """(H, W) booleans: exactly the input pixels that output cell (row, col) of `layer` depends on."""
    rows, cols = _reach(spec, layer, row, col)
    mask = np.zeros(spec.input_shape[1:], dtype=bool)
    mask[np.ix_(rows, cols)] = True
    return mask


@dataclass(frozen=True)
class FieldSize:
    layer: int           # position in spec.layers (a conv or a pool)
    size: int            # a cell of its maps sees size × size input pixels (before the image's edge clips it)
    jump: int            # input pixels between two neighbouring cells of its maps


def receptive_field_sizes(spec: ModelSpec) -> list[FieldSize]:
    """How far each conv and pool layer sees, from the layers alone (square kernels and strides): each layer
    widens its input's field by (k − 1)·d steps of its input's jump, and multiplies the jump by its stride.
    So a 3×3 conv sees 3 pixels, a 2×2 pool after it 4, and a 3×3 conv after that 4 + 2·2 = 8: the pool's
    stride spreads the second conv's taps 2 pixels apart. receptive_field gives the same size for a cell
    away from the image's edges (tested)."""
    size, jump, found = 1, 1, []
    for index, item in enumerate(spec.layers):
        if item["type"] == "conv":
            k, s, d = item["kernel"], item.get("stride", 1), item.get("dilation", 1)
        elif item["type"] == "pool":
            k, d = item.get("size", 2), 1
            s = item.get("stride") or k
        else:
            continue
        size, jump = size + (k - 1) * d * jump, jump * s
        found.append(FieldSize(index, size, jump))
    return found


@dataclass(frozen=True)
class Strongest:
    image: int           # index into the images given
    row: int             # where in the filter's map
    col: int
    activation: float
    box: tuple[int, int, int, int]   # the input pixels behind it (receptive_field)


def _placement(model) -> tuple[torch.device, torch.dtype]:
    first = next(model.parameters(), None)
    return (first.device, first.dtype) if first is not None else (torch.device("cpu"), torch.float32)


def _strongest_per_image(model, spec: ModelSpec, images: np.ndarray, layer: int, batch: int,
                         on_progress: Callable[[int, int], None] | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Each image's strongest response per filter and its flat position in the map, both (N, filters).
    Reduced batch by batch, so a few thousand images never hold all their maps at once."""
    inspect._check_eval(model)
    device, dtype = _placement(model)
    best, where = [], []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = torch.cat([inspect.as_batch(image, spec) for image in images[start:start + batch]])
            maps = model[:layer + 1](x.to(device, dtype))   # (n, filters, H', W')
            values, positions = maps.flatten(2).max(dim=2)   # (n, filters): the strongest cell of each map
            best.append(values.double().cpu())
            where.append(positions.cpu())
            if on_progress:
                on_progress(min(start + batch, len(images)), len(images))
    return torch.cat(best), torch.cat(where)


def strongest_patches(model, spec: ModelSpec, images: np.ndarray, layer: int, top: int = TOP,
                      on_progress: Callable[[int, int], None] | None = None,
                      batch: int = 256) -> list[list[Strongest]]:
    """For each filter of `layer`, the `top` images whose strongest response to it is largest (at most one
    per image), strongest first, with where that response is and the input box behind it.

    images: (N, H, W) or (N, C, H, W), scaled as the model was trained (usually [0, 1]). on_progress gets
    (images searched, N): searching is the slow part; ranking afterwards is instant."""
    _, _, width = _maps_shape(spec, layer)
    if len(images) == 0:
        raise ValueError("Give at least one image to search.")
    best, where = _strongest_per_image(model, spec, images, layer, batch, on_progress)
    result = []
    for f in range(best.shape[1]):
        order = torch.argsort(best[:, f], descending=True, stable=True)[:top]   # ties: the earlier image
        found = []
        for i in order.tolist():
            row, col = divmod(int(where[i, f]), width)
            found.append(Strongest(i, row, col, float(best[i, f]), receptive_field(spec, layer, row, col)))
        result.append(found)
    return result


def _blur(x: torch.Tensor) -> torch.Tensor:
    kernel = torch.tensor([1.0, 2.0, 1.0])
    kernel = (kernel[:, None] * kernel[None, :]) / 16.0
    weight = kernel.to(x)[None, None].repeat(x.shape[1], 1, 1, 1)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), weight, groups=x.shape[1])


def maximise(model, spec: ModelSpec, layer: int, *, steps: int = 60, lr: float = 0.1, seed: int = 0,
             value_range: tuple[float, float] = (0.0, 1.0), l2: float = 1e-3, blur_every: int = 4,
             on_progress: Callable[[int, int], None] | None = None,
             which: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Activation maximisation: for every filter of `layer` at once, gradient ascent on an input from
    faint noise to raise the filter's response at the centre of its map (the mean response would favour
    a flat picture for a first layer), with a little blur every few steps and a small L2 penalty, kept in
    `value_range`. Returns (pictures (filters, C, H, W), the centre responses reached); the part of the
    picture that matters is centre_field(model, spec, layer). steps=0 gives the noise it starts from.

    All filters advance together (picture f drives filter f, one batch), so on_progress gets
    (steps done, steps). `which`: only these filters (a chunk, to bound the memory a layer of many filters
    needs); each filter starts from the same noise either way, so chunks give what one batch would.
    The model is only read: gradients go to the fresh input alone."""
    inspect._check_eval(model)
    device, dtype = _placement(model)
    filters, height, width = _maps_shape(spec, layer)
    row, col = height // 2, width // 2
    chosen = torch.arange(filters) if which is None else torch.as_tensor(list(which), dtype=torch.long)
    index, pick = chosen.to(device), torch.arange(len(chosen), device=device)

    def centre(pictures: torch.Tensor) -> torch.Tensor:
        return model[:layer + 1](pictures)[pick, index, row, col]   # picture k drives filter chosen[k]

    generator = torch.Generator().manual_seed(seed)   # on the CPU: the same noise on any device
    low, high = value_range
    middle = (low + high) / 2
    noise = torch.randn(filters, *spec.input_shape, generator=generator)[chosen]
    x = (middle + 0.05 * (high - low) * noise).clamp(low, high).to(device, dtype)
    best, best_response = x.clone(), torch.full((len(chosen),), -torch.inf, device=device, dtype=dtype)
    for step in range(steps):
        x = x.detach().requires_grad_(True)
        with torch.enable_grad():
            response = centre(x)
            objective = response.sum() - l2 * (x - middle).pow(2).sum()
            (grad,) = torch.autograd.grad(objective, x)
        with torch.no_grad():
            # Blur and large steps can undo progress (ReLUs switch off): keep each filter's best picture.
            better = response > best_response
            best[better], best_response[better] = x[better], response[better]
            # The same step length for every filter, shrinking from lr to lr/10 to settle at the end.
            rate = lr * (0.55 + 0.45 * np.cos(np.pi * step / steps))
            grad = grad / (grad.flatten(1).norm(dim=1).view(-1, 1, 1, 1) + 1e-12)
            x = (x + rate * grad * (high - low) * np.sqrt(x[0].numel())).clamp(low, high)
            if blur_every and (step + 1) % blur_every == 0 and step + 1 < steps:   # never blur the last step
                x = _blur(x)
        if on_progress:
            on_progress(step + 1, steps)
    with torch.no_grad():
        response = centre(x)
        better = response > best_response
        best[better], best_response[better] = x[better], response[better]
    return best.detach().cpu().numpy(), best_response.cpu().numpy()


def centre_field(model, spec: ModelSpec, layer: int) -> tuple[int, int, int, int]:
    """The input box that the centre cell of the layer's maps sees: where maximise() draws its pattern.
    (The spec has all it needs; `model` stays for the callers that pass it.)"""
    _, height, width = _maps_shape(spec, layer)
    return receptive_field(spec, layer, height // 2, width // 2)


def search_images(spec: ModelSpec, dataset: str | None, samples: int = 1000,
                  test_split: Callable | None = None) -> np.ndarray:
    """The images a filter search looks through, scaled to [0, 1]: the sample digits for a digit model, else
    the first test images of its data set (an own set's through its source); repeated over the channels a
    colour model expects.
    `test_split(name)`: how to load a test split (a page passes its cached one)."""
    from cnn import data, datasets

    info = datasets.find(dataset)
    digits = info.builtin and info.subject == "digit" if info is not None else dataset is None
    if tuple(spec.input_shape[1:]) == (28, 28) and digits:
        images = data.sample_digits().images[:samples] / 255.0
    else:
        split = (test_split or (lambda name: data.load_dataset(name, split="test")))(dataset)
        images = np.asarray(split.images[:samples], dtype=np.float64)
        images = images / 255.0 if images.max() > 1.0 else images
    if spec.input_shape[0] > 1 and images.ndim == 3:
        images = np.repeat(images[:, None], spec.input_shape[0], axis=1)
    return images


def bytes_per_image(spec: ModelSpec, layer: int) -> int:
    """float32 bytes of every map from the input to `layer`'s output for one image: what a forward pass
    through them holds (a backward pass about as much again)."""
    return 4 * sum(math.prod(shape) for shape in _shapes(spec)[:layer + 2])
