"""Three things seed 001's training script does in one line each, written out so a lesson can show them:
pixels scaled from 0-255 to 0-1 (`x / 255.0`), dropout (`Dropout(p)`), and the loss it minimises
(`sparse_categorical_crossentropy`: softmax, then minus the log of the true class's probability).

Plain numpy, float64: small enough to read, and tested against torch's own versions (tests/test_training_basics.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PIXEL_MAX = 255.0          # an 8-bit pixel holds 0..255


def scale_pixels(pixels) -> np.ndarray:
    """0..255 -> 0..1, as seed 001's `x_train / 255.0` (and cnn.train) does."""
    return np.asarray(pixels, dtype=np.float64) / PIXEL_MAX


# ---------------------------------------------------------------- softmax and cross-entropy


def log_softmax(logits) -> np.ndarray:
    """ln softmax along the last axis, computed stably (the largest score is taken out first)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def softmax(logits) -> np.ndarray:
    return np.exp(log_softmax(logits))


def cross_entropy(logits, labels) -> float:
    """Mean of −ln p(true class) over a batch ((N, classes) logits, (N,) labels), or for one image ((classes,),
    an int): torch.nn.functional.cross_entropy, Keras's sparse_categorical_crossentropy from logits."""
    logp = log_softmax(logits)
    if logp.ndim == 1:
        return float(-logp[int(labels)])
    labels = np.asarray(labels, dtype=np.int64)
    return float(-logp[np.arange(len(labels)), labels].mean())


@dataclass(frozen=True)
class LossByHand:
    """One image's loss, step by step: scores -> e^score -> probabilities -> −ln p(true class)."""

    logits: np.ndarray           # (classes,) the last layer's scores
    exps: np.ndarray             # e^(score − max score): the softmax's numerators, scaled so the largest is 1
    probabilities: np.ndarray    # exps / their sum
    label: int                   # the true class
    loss: float                  # −ln probabilities[label]


def loss_by_hand(logits, label: int) -> LossByHand:
    logits = np.asarray(logits, dtype=np.float64)
    if not 0 <= int(label) < len(logits):
        raise ValueError(f"The true class must be one of 0..{len(logits) - 1}; got {label}.")
    exps = np.exp(logits - logits.max())
    return LossByHand(logits, exps, exps / exps.sum(), int(label), cross_entropy(logits, int(label)))


# ---------------------------------------------------------------- why pixels are scaled


@dataclass(frozen=True)
class Descent:
    """Gradient descent on a softmax regression (one dense layer, 784 -> 10): the loss before each step
    and the range of the layer's pre-activations (x·W + b) over the images, before the first step."""

    losses: list[float]
    pre_activation: tuple[float, float]


def softmax_regression(x: np.ndarray, labels: np.ndarray, *, lr: float, steps: int, classes: int = 10,
                       seed: int = 0, init_std: float = 0.01) -> Descent:
    """Full-batch gradient descent on cross_entropy(x·W + b, labels), from small random weights.

    x: (N, D) inputs as given (raw or scaled: that is the point). The gradient is written out:
    dL/dz = (softmax(z) − onehot) / N, dL/dW = xᵀ·dL/dz, so every weight's gradient is proportional to its
    input pixel: 255 times larger for raw pixels."""
    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    n, d = x.shape
    rng = np.random.default_rng(seed)
    w, b = rng.normal(0.0, init_std, (d, classes)), np.zeros(classes)
    onehot = np.eye(classes)[labels]
    z = x @ w + b
    start = (float(z.min()), float(z.max()))
    losses = []
    for _ in range(steps):
        z = x @ w + b
        losses.append(cross_entropy(z, labels))
        dz = (softmax(z) - onehot) / n
        w, b = w - lr * (x.T @ dz), b - lr * dz.sum(axis=0)
    losses.append(cross_entropy(x @ w + b, labels))
    return Descent(losses, start)


def scaling_comparison(pixels: np.ndarray, labels: np.ndarray, *, lr: float = 0.1, steps: int = 30,
                       seed: int = 0) -> dict[str, Descent]:
    """The same model, the same start and the same learning rate, on raw 0..255 pixels and on scaled 0..1
    ones: {"raw": Descent, "scaled": Descent}. pixels: (N, H, W) or (N, D) holding 0..255."""
    raw = np.asarray(pixels, dtype=np.float64).reshape(len(pixels), -1)
    return {"raw": softmax_regression(raw, labels, lr=lr, steps=steps, seed=seed),
            "scaled": softmax_regression(scale_pixels(raw), labels, lr=lr, steps=steps, seed=seed)}


# ---------------------------------------------------------------- dropout


def dropout_mask(shape, p: float, seed: int) -> np.ndarray:
    """Which units a training step keeps: each one independently, with probability 1 − p."""
    if not 0 <= p < 1:
        raise ValueError(f"The dropout rate must be in [0, 1); got {p}.")
    return np.random.default_rng(seed).random(shape) >= p


def dropout(x, p: float, *, training: bool, mask: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """torch.nn.Dropout(p): in training, zero the units the mask drops and scale the kept ones by 1/(1 − p),
    so every unit's expected value is unchanged; at test time (model.eval()), the identity."""
    x = np.asarray(x, dtype=np.float64)
    if not 0 <= p < 1:
        raise ValueError(f"The dropout rate must be in [0, 1); got {p}.")
    if not training:
        return x.copy()
    keep = dropout_mask(x.shape, p, seed) if mask is None else np.asarray(mask, dtype=bool)
    return np.where(keep, x / (1.0 - p), 0.0)


@dataclass(frozen=True)
class DropoutDemo:
    """A trained network's last dropout layer on one input: the units entering it, what a training step
    would pass on (one row per random mask), and the answer the rest of the network gives for each."""

    layer: int                     # position in spec.layers of the dropout layer
    units: np.ndarray              # (U,) what enters it (model.eval() passes these on unchanged)
    masks: np.ndarray              # (masks, U) booleans: the units each training step keeps
    trained: np.ndarray            # (masks, U) what each training step passes on
    probabilities: np.ndarray      # (1 + masks, classes): at test time, then for each mask


def dropout_demo(model, spec, image, p: float, *, masks: int = 3, seed: int = 0) -> DropoutDemo:
    """Run `image` through the (eval-mode) model up to its last dropout layer, apply dropout(p) there with
    `masks` random masks, and finish the forward pass from each result. ValueError without a dropout layer."""
    import torch

    from cnn import inspect

    found = [i for i, layer in enumerate(spec.layers) if layer["type"] == "dropout"]
    if not found:
        raise ValueError(f"The model {spec.name} has no dropout layer.")
    layer = found[-1]
    look = inspect.trace(model, spec, image)
    units = look.layers[layer - 1].values.astype(np.float64) if layer else np.ravel(image)
    keep = np.stack([dropout_mask(units.shape, p, seed + k) for k in range(masks)])
    trained = np.stack([dropout(units, p, training=True, mask=m) for m in keep])
    first = next(model.parameters())
    with torch.no_grad():
        rows = torch.as_tensor(np.concatenate([units[None], trained]), dtype=first.dtype, device=first.device)
        probabilities = torch.softmax(model[layer + 1:](rows).double(), dim=1).cpu().numpy()
    return DropoutDemo(layer, units, keep, trained, probabilities)


def true_class_probabilities(model, spec, images: np.ndarray, labels: np.ndarray, batch: int = 500) -> np.ndarray:
    """The probability the (eval-mode) model gives each image's true class: (N,) for (N, H, W) images in [0, 1]."""
    import torch

    from cnn import inspect

    inspect._check_eval(model)
    first = next(model.parameters())
    found = []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = torch.cat([inspect.as_batch(image, spec) for image in images[start:start + batch]])
            found.append(torch.softmax(model(x.to(first.device, first.dtype)).double(), dim=1).cpu().numpy())
    probabilities = np.concatenate(found)
    return probabilities[np.arange(len(labels)), np.asarray(labels, dtype=np.int64)]
