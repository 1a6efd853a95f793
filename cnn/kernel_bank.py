"""The Lab's kernels as one (M, C, k, k) array, and every change a person can make to it, as pure
functions: each takes the bank and returns a new one, never changing its argument. The page only stores
the result, so the rules live here, where tests can reach them.
"""

from __future__ import annotations

import numpy as np

from cnn import kernels

DEFAULT_PRESETS = ("sobel_x", "sobel_y", "laplacian", "gaussian")   # kernel m starts as preset m
SCALABLE = tuple(p for p in kernels.PRESETS if p not in kernels.FIXED_SIZE)   # presets made at any size


def default_preset(m: int) -> str:
    return DEFAULT_PRESETS[m % len(DEFAULT_PRESETS)]


def start(filters: int = 1, channels: int = 1, size: int = 3) -> np.ndarray:
    """M kernels of C channels, kernel m set to default_preset(m) on every channel."""
    return fit(np.zeros((0, channels, size, size)), filters, channels)


def presets_for(size: int, channels: int) -> tuple[str, ...]:
    """The presets that mean something for a `size` kernel on a `channels` input. A 1x1 kernel only weighs
    channels: identity on a grey input; one channel (R, G or B) or grey (0.299R + 0.587G + 0.114B) on a
    colour one (a 3x3 edge kernel cropped to 1x1 is its centre, 0 for Sobel: a blank map)."""
    weighing = kernels.CHANNEL_PRESETS if channels == 3 else ()
    if size == 1:
        return weighing or ("identity",)
    return kernels.PRESETS + weighing


def fallback_preset(m: int, size: int, channels: int) -> str:
    """What kernel m starts from when its preset means nothing at this size and input: its default, or at
    1x1 grey (colour input) or identity (grey input)."""
    return default_preset(m) if size > 1 else presets_for(size, channels)[-1]


def _preset_at(name: str, size: int, channels: int = 1) -> np.ndarray:
    """A preset at `size`, (C, k, k) or (k, k) for a channel-blind preset: scalable ones are made at that size,
    fixed 3x3 ones padded or cropped around the centre, channel presets with their weights at the centre."""
    if name in kernels.CHANNEL_PRESETS:
        return kernels.channel_preset(name, size)
    return kernels.preset(name, size) if name in SCALABLE else kernels.resize(kernels.preset(name), size)


def fit(bank: np.ndarray, filters: int, channels: int) -> np.ndarray:
    """Grow or shrink to `filters` kernels of `channels` channels. Kept kernels keep their weights (a channel
    change copies channel 1 to every channel); new ones start from their default preset."""
    bank = np.asarray(bank, dtype=np.float64)
    size = bank.shape[-1]
    if bank.shape[:2] == (filters, channels):
        return bank.copy()
    new = np.zeros((filters, channels, size, size))
    for m in range(filters):
        if m < bank.shape[0]:
            new[m] = bank[m] if bank.shape[1] == channels else bank[m, 0]
        else:
            new[m] = _preset_at(default_preset(m), size)
    return new


def resize(bank: np.ndarray, size: int, presets: list[str] | None = None) -> np.ndarray:
    """Every kernel at `size` a side: a scalable preset is made afresh at that size, anything else (edited
    weights, fixed presets) keeps its centre and is padded with zeros or cropped."""
    bank = np.asarray(bank, dtype=np.float64)
    if not kernels.MIN_SIZE <= size <= kernels.MAX_SIZE:
        raise ValueError(f"Kernel size must be between {kernels.MIN_SIZE} and {kernels.MAX_SIZE}; got {size}.")
    filters, channels = bank.shape[:2]
    new = np.zeros((filters, channels, size, size))
    for m in range(filters):
        name = (presets or [])[m] if presets and m < len(presets) else "custom"
        for c in range(channels):
            new[m, c] = kernels.preset(name, size) if name in SCALABLE else kernels.resize(bank[m, c], size)
    return new


def load_preset(bank: np.ndarray, focus: int, name: str) -> np.ndarray:
    """Kernel `focus` set to preset `name` on every channel (a channel preset weighs them), at the bank's size
    ("custom" changes nothing)."""
    bank = np.asarray(bank, dtype=np.float64).copy()
    if name in kernels.CHANNEL_PRESETS and bank.shape[1] != 3:
        raise ValueError(f"The {name} preset weighs the three channels of a colour input.")
    if name != "custom":
        bank[focus] = _preset_at(name, bank.shape[-1], bank.shape[1])
    return bank


def randomise(bank: np.ndarray, focus: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Kernel `focus` drawn as a freshly initialised conv layer's would be (see kernels.random_kernel)."""
    bank = np.asarray(bank, dtype=np.float64).copy()
    _, channels, size, _ = bank.shape
    bank[focus] = kernels.random_kernel(size, rng, channels=channels)
    return bank


def normalise(bank: np.ndarray, focus: int) -> np.ndarray:
    """Kernel `focus` scaled so its weights sum to 1 (or their absolute values do, for an edge kernel)."""
    bank = np.asarray(bank, dtype=np.float64).copy()
    bank[focus] = kernels.normalise(bank[focus])
    return bank


def set_slice(bank: np.ndarray, focus: int, channel: int, values) -> np.ndarray:
    """Kernel `focus`'s channel `channel` replaced by typed values (already checked to be finite numbers)."""
    bank = np.asarray(bank, dtype=np.float64).copy()
    bank[focus, channel] = np.asarray(values, dtype=np.float64)
    return bank
