"""Named kernels to start from, and the small operations the Lab's kernel editor offers."""

from __future__ import annotations

import numpy as np

MIN_SIZE, MAX_SIZE = 1, 7

# Fixed 3x3 kernels; sizes other than 3 exist only for the kernels that scale (see `preset`).
_FIXED = {
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "prewitt_x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "prewitt_y": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    # Seed 003: responds to a diagonal stroke from top-left to bottom-right.
    "diagonal": [[1, -1, -1], [-1, 1, -1], [-1, -1, 1]],
}
_SCALABLE = ("identity", "box_blur", "gaussian")
PRESETS = _SCALABLE + tuple(_FIXED)
FIXED_SIZE = tuple(_FIXED)   # presets that exist only as 3x3

# Kernels for a colour (R, G, B) input that weigh its channels: what a 1x1 kernel does is mix channels.
# grey is ITU-R BT.601's luma, the weights PIL's convert("L") uses.
CHANNEL_WEIGHTS = {"red": (1.0, 0.0, 0.0), "green": (0.0, 1.0, 0.0), "blue": (0.0, 0.0, 1.0),
                   "grey": (0.299, 0.587, 0.114)}
CHANNEL_PRESETS = tuple(CHANNEL_WEIGHTS)


def channel_preset(name: str, size: int = 1) -> np.ndarray:
    """A channel-weighing kernel (3, k, k): its weights at the centre tap, zero around it (at 1x1, just them)."""
    if name not in CHANNEL_WEIGHTS:
        raise ValueError(f"Unknown channel preset {name!r}; choose one of {', '.join(CHANNEL_PRESETS)}.")
    kernel = np.zeros((3, size, size))
    kernel[:, (size - 1) // 2, (size - 1) // 2] = CHANNEL_WEIGHTS[name]
    return kernel


def preset(name: str, size: int = 3) -> np.ndarray:
    """The named kernel as a float64 (k, k) array. identity, box_blur and gaussian take any size."""
    if name in _FIXED:
        return np.array(_FIXED[name], dtype=np.float64)
    if name not in _SCALABLE:
        raise ValueError(f"Unknown kernel preset {name!r}; choose one of {', '.join(PRESETS)}.")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"Kernel size must be between {MIN_SIZE} and {MAX_SIZE}; got {size}.")
    if name == "identity":
        kernel = np.zeros((size, size))
        kernel[(size - 1) // 2, (size - 1) // 2] = 1.0
        return kernel
    if name == "box_blur":
        return np.full((size, size), 1.0 / size**2)
    # Gaussian with sigma chosen so the kernel holds about ±2 sigma, normalised to sum 1.
    sigma = max(size / 4.0, 0.5)
    axis = np.arange(size) - (size - 1) / 2
    g = np.exp(-(axis**2) / (2 * sigma**2))
    kernel = np.outer(g, g)
    return kernel / kernel.sum()


def random_kernel(size: int, rng: np.random.Generator | None = None, channels: int | None = None) -> np.ndarray:
    """Values as a freshly initialised conv layer would have (Kaiming-uniform bound), rounded to 2 places."""
    rng = rng or np.random.default_rng()
    fan_in = size * size * (channels or 1)
    bound = np.sqrt(6.0 / fan_in)  # He initialisation for a following ReLU
    shape = (size, size) if channels is None else (channels, size, size)
    return np.round(rng.uniform(-bound, bound, shape), 2)


def normalise(kernel: np.ndarray) -> np.ndarray:
    """Scale so the weights sum to 1 (brightness kept); a zero-sum kernel (an edge detector) gets Σ|w| = 1."""
    k = np.asarray(kernel, dtype=np.float64)
    total = k.sum()
    if abs(total) > 1e-12:
        return k / total
    magnitude = np.abs(k).sum()
    return k / magnitude if magnitude > 0 else k.copy()


def resize(kernel: np.ndarray, size: int) -> np.ndarray:
    """Grow with zeros or crop, keeping the centre pixel ((k - 1) // 2, as "same" padding aligns it)."""
    k = np.asarray(kernel, dtype=np.float64)
    out = np.zeros((size, size))
    shift = (size - 1) // 2 - (k.shape[0] - 1) // 2  # where old index i lands: i + shift
    src = np.arange(k.shape[0])
    keep = src[(src + shift >= 0) & (src + shift < size)]
    out[np.ix_(keep + shift, keep + shift)] = k[np.ix_(keep, keep)]
    return out
