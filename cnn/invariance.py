"""Translation invariance (seeds 003 and 004): shift a digit and the first layer's maps shift with it
(convolution is equivariant), max pooling absorbs part of the shift, and the prediction stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn.models import ModelSpec


def shift(image: np.ndarray, down: int, right: int) -> np.ndarray:
    """The image moved `down` rows and `right` columns (negative: up, left); what comes in is 0 (black),
    what goes out over the edge is lost. Works on (H, W) and (C, H, W)."""
    image = np.asarray(image)
    out = np.zeros_like(image)
    height, width = image.shape[-2:]
    if abs(down) >= height or abs(right) >= width:
        return out
    src_rows = slice(max(0, -down), height - max(0, down))
    dst_rows = slice(max(0, down), height - max(0, -down))
    src_cols = slice(max(0, -right), width - max(0, right))
    dst_cols = slice(max(0, right), width - max(0, -right))
    out[..., dst_rows, dst_cols] = image[..., src_rows, src_cols]
    return out


@dataclass(frozen=True)
class Sweep:
    shifts: list[int]                 # pixels moved (right and down by the same amount, or as asked)
    probabilities: np.ndarray         # (len(shifts), classes)

    def of(self, label: int) -> np.ndarray:
        return self.probabilities[:, label]

    @property
    def answers(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)


def sweep(model, spec: ModelSpec, image: np.ndarray, shifts, *, down: bool = True, right: bool = True) -> Sweep:
    """The model's probabilities for the image shifted by each amount (down and/or right), in one batch."""
    import torch  # here, not at the top: the lessons read shift() and pooled_cell() without torch
    import torch.nn.functional as F

    from cnn import inspect

    inspect._check_eval(model)
    shifts = [int(s) for s in shifts]
    batch = torch.cat([inspect.as_batch(shift(image, s if down else 0, s if right else 0), spec) for s in shifts])
    first = next(model.parameters(), None)
    if first is not None:
        batch = batch.to(first.device, first.dtype)
    with torch.no_grad():
        probabilities = F.softmax(model(batch).float(), dim=1).cpu().numpy()
    return Sweep(shifts, probabilities.astype(np.float64))


def pooled_cell(row: int, col: int, *, size: int = 2, stride: int | None = None) -> tuple[int, int]:
    """The cell of a max-pooled map whose window holds map cell (row, col) (windows that do not overlap)."""
    stride = stride or size
    if stride < size:
        raise ValueError("Overlapping windows hold a cell in several pooled cells.")
    return row // stride, col // stride


def changed_cells(before: np.ndarray, after: np.ndarray, atol: float = 1e-6) -> np.ndarray:
    """Booleans: which cells of two maps of the same shape differ."""
    return ~np.isclose(np.asarray(before), np.asarray(after), atol=atol, rtol=0)


def relative_change(before: np.ndarray, after: np.ndarray) -> float:
    """How much a layer's output changed: mean |after − before| / mean |before| (0: the same; 1: as large a
    change as the output itself)."""
    before, after = np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64)
    scale = np.abs(before).mean()
    return float(np.abs(after - before).mean() / scale) if scale > 0 else float(np.abs(after).mean() > 0)
