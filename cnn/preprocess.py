"""A drawing or a photo of a digit -> the 28x28 image a model trained on MNIST expects.

MNIST was made this way (LeCun et al.): each digit's bounding box was scaled so its longer side is 20
pixels, keeping the aspect ratio, then placed in a 28x28 field with its centre of mass at the centre.
People draw digits off-centre, small, large, thick or thin; doing the same steps to a drawing removes
most of that difference before the model sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INK = 0.15          # a pixel at least this bright (of the brightest) is part of a stroke
MIN_EXTENT = 0.08   # a drawing whose ink spans less than this share of the canvas is a dot, not a digit


class EmptyDrawing(ValueError):
    """Nothing drawn, or too little to read (`code`: "empty" or "dot"); the page turns it into a hint."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Framing:
    """How a data set's images were framed: the field, the box the object was scaled into, the centring."""

    side: int = 28
    box: int | None = 20          # None: the whole picture is resized to the field (no cropping)
    centre: str = "mass"          # "mass" (MNIST) or "box" (Fashion-MNIST: the bounding box centred)


MNIST = Framing()


def framing_for(dataset: str | None, side: int = 28) -> Framing:
    """The framing of a known data set (its description in cnn.datasets says it); otherwise MNIST's, scaled
    to a `side`-pixel input."""
    from cnn import datasets

    return datasets.framing(dataset, side)


def __getattr__(name: str):
    # FRAMINGS, read as before: each built-in data set's framing, from its one description.
    if name == "FRAMINGS":
        from cnn import datasets

        return {key: info.framing for key, info in datasets.BUILTINS.items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def to_gray(image) -> np.ndarray:
    """(H, W, 4) RGBA, (H, W, 3) RGB or (H, W) gray, uint8 or [0, 1] floats -> float64 (H, W), ink bright.

    For RGBA, brightness times opacity: the canvas may return its black background or leave it
    transparent. A picture with a light background (ink on paper) is inverted, so ink is always bright.
    """
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        rgb = arr[..., :3].astype(np.float64)
        gray = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
        if arr.shape[2] == 4:
            gray = gray * arr[..., 3].astype(np.float64) / (255.0 if arr.dtype == np.uint8 else 1.0)
    elif arr.ndim == 2:
        gray = arr.astype(np.float64)
    else:
        raise ValueError(f"Expected an (H, W) gray or (H, W, 3/4) colour image; got shape {arr.shape}.")
    if arr.dtype == np.uint8:
        gray = gray / 255.0
    if not np.all(np.isfinite(gray)):
        raise ValueError("The image contains NaN or infinite values.")
    gray = np.clip(gray, 0.0, 1.0)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:
        gray = 1.0 - gray
    return gray


def _ink_box(gray: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), bottom/right exclusive, of the pixels bright enough to be ink."""
    peak = float(gray.max()) if gray.size else 0.0
    if peak <= 0.02:
        raise EmptyDrawing("empty", "The drawing is empty: draw a digit.")
    rows = np.flatnonzero((gray >= INK * peak).any(axis=1))
    cols = np.flatnonzero((gray >= INK * peak).any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _resize(gray: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize of a float image (area averaging when shrinking, as MNIST's scaling did)."""
    from PIL import Image

    img = Image.fromarray(gray.astype(np.float32), mode="F")
    method = Image.Resampling.BOX if height <= gray.shape[0] and width <= gray.shape[1] else Image.Resampling.BILINEAR
    return np.asarray(img.resize((width, height), method), dtype=np.float64)


def shrink(gray: np.ndarray, side: int) -> np.ndarray:
    """A whole gray picture resized to side x side (area averaging), in [0, 1]: no cropping or centring."""
    return np.clip(_resize(np.asarray(gray, dtype=np.float64), side, side), 0.0, 1.0)


def colour_picture(rgb, side: int) -> np.ndarray:
    """A colour picture (3, H, W) in [0, 1] -> (3, side, side) for a colour model: centre-cropped to a square,
    then each channel resized (area averaging), its colours kept as they are (no inverting, no framing)."""
    rgb = np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0)
    if rgb.ndim != 3 or rgb.shape[0] != 3:
        raise ValueError(f"Expected a (3, H, W) colour picture; got shape {rgb.shape}.")
    height, width = rgb.shape[1:]
    square = min(height, width)
    top, left = (height - square) // 2, (width - square) // 2
    return np.stack([shrink(channel[top:top + square, left:left + square], side) for channel in rgb])


def _centre_of_mass(gray: np.ndarray) -> tuple[float, float]:
    total = gray.sum()
    rows, cols = np.indices(gray.shape)
    return float((rows * gray).sum() / total), float((cols * gray).sum() / total)


def steps(image, framing: Framing = MNIST) -> list[tuple[str, np.ndarray]]:
    """Each stage as (name, float image in [0, 1]): drawn, cropped, scaled, centred; the last is the model's input.

    Raises EmptyDrawing for an empty canvas or a lone dot.
    """
    gray = to_gray(image)
    top, bottom, left, right = _ink_box(gray)
    height, width = bottom - top, right - left
    if framing.box is None:
        field = _resize(gray, framing.side, framing.side)
        return [("drawn", gray), ("scaled", _normalise(field))]
    if max(height, width) < MIN_EXTENT * max(gray.shape):
        raise EmptyDrawing("dot", "That is only a dot: draw the whole digit, larger.")
    cropped = gray[top:bottom, left:right]
    scale = framing.box / max(height, width)
    scaled = _normalise(_resize(cropped, max(1, round(height * scale)), max(1, round(width * scale))))
    field = np.zeros((framing.side, framing.side))
    h, w = scaled.shape
    if framing.centre == "mass":
        # Put the centre of mass on the field's centre (13.5, 13.5 in pixel indices for 28x28),
        # but never push part of the digit out of the field.
        mass_row, mass_col = _centre_of_mass(scaled)
        middle = (framing.side - 1) / 2
        row = int(np.clip(round(middle - mass_row), 0, framing.side - h))
        col = int(np.clip(round(middle - mass_col), 0, framing.side - w))
    else:
        row, col = (framing.side - h) // 2, (framing.side - w) // 2
    field[row:row + h, col:col + w] = scaled
    return [("drawn", gray), ("cropped", cropped), ("scaled", scaled), ("centred", field)]


def _normalise(gray: np.ndarray) -> np.ndarray:
    """Brightest ink to 1: thin strokes shrunk with area averaging would otherwise be faint grey."""
    peak = gray.max()
    return np.clip(gray / peak, 0.0, 1.0) if peak > 0 else gray


def canvas_to_mnist(image) -> np.ndarray:
    """A drawing (RGBA canvas data or gray array, any size) -> (28, 28) float32 in [0, 1], framed as MNIST."""
    return steps(image, MNIST)[-1][1].astype(np.float32)


def to_model_input(image, framing: Framing = MNIST) -> np.ndarray:
    """Like canvas_to_mnist, for any data set's framing: (side, side) float32 in [0, 1]."""
    return steps(image, framing)[-1][1].astype(np.float32)
