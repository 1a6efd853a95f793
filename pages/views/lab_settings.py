"""The one description of the Lab's controls: for each, its name (the key its value is kept by), its range or
its options, its default, its address key (the link's query parameter) and its label's catalog key.

The cards draw their controls from it (pages/views/lab_controls.py, kernel_editor.py), the link reads and
writes the address with it (link.py), the lessons make their Lab links with it (link.lab_url), and the map
view's preview gets it as data to check what our controls announce (assets/lab_maps.js).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnn import kernels, ops

PAD_CHOICES = ("valid", "same", "full", "custom")


@dataclass(frozen=True)
class Control:
    key: str                             # the kept value's name (pages/views/controls.py), the browser's key
    param: str                           # its query parameter in a Lab link
    label: str                           # catalog key of its label
    default: Any
    low: float | None = None             # a number's range...
    high: float | None = None
    options: tuple | None = None         # ...or a menu's values
    option_label: str | None = None      # catalog entry naming each option, "{}" for the value
    help: str | None = None              # catalog key of its help

    def valid(self, value) -> bool:
        if self.options is not None:
            return value in self.options
        whole = isinstance(self.default, int)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and (not whole or isinstance(value, int)) and self.low <= value <= self.high

    def read(self, text: str):
        """The value a link's text stands for; ValueError when it stands for none."""
        value = text if self.options is not None else type(self.default)(text)
        if not self.valid(value):
            raise ValueError(text)
        return value

    def as_data(self) -> dict:
        """What the browser's preview checks an announced value against."""
        if self.options is not None:
            return {"options": list(self.options)}
        return {"min": self.low, "max": self.high, "whole": isinstance(self.default, int)}


CONTROLS = {c.key: c for c in (
    Control("n_filters", "n", "lab.kernel.count", 1, 1, 4, help="lab.kernel.count_help"),
    Control("focus", "focus", "lab.kernel.focus", 0, 0, 3),
    Control("kernel_size", "k", "lab.kernel.size", 3, kernels.MIN_SIZE, kernels.MAX_SIZE),
    Control("stride_h", "sh", "lab.stride.rows", 1, 1, 4, help="lab.stride.help"),
    Control("stride_w", "sw", "lab.stride.cols", 1, 1, 4, help="lab.stride.help"),
    Control("pad_kind", "pad", "lab.padding.kind", "valid", options=PAD_CHOICES, option_label="lab.padding.{}",
            help="lab.padding.help"),
    Control("pad_amount", "padn", "lab.padding.amount", 1, 0, 6),
    Control("pad_mode", "fill", "lab.padding.mode", ops.PAD_MODES[0], options=ops.PAD_MODES,
            option_label="lab.padmode.{}", help="lab.padding.mode_help"),
    Control("dilation", "d", "lab.dilation", 1, 1, 3, help="lab.dilation.help"),
    Control("activation", "act", "lab.activation", "relu", options=ops.ACTIVATIONS, option_label="activation.{}",
            help="lab.activation.help"),
    Control("pooling", "pool", "lab.pooling", "max", options=("none",) + ops.POOL_MODES, option_label="pooling.{}",
            help="lab.pooling.help"),
    Control("pool_size", "pw", "lab.pool.size", 2, 1, 4),
    Control("pool_stride", "ps", "lab.pool.stride", 2, 1, 4),
    # One per kernel, kept as bias_0, bias_1...; a link carries them all in one parameter ("b").
    Control("bias", "b", "lab.kernel.bias", 0.0, -1e6, 1e6, help="lab.kernel.bias_help"),
)}
BIAS_STEP = 0.1

# The controls a link carries one parameter each (the biases go together, see link.py).
LINKED = tuple(c for c in CONTROLS.values() if c.key != "bias")


def default(key: str):
    return CONTROLS[key].default


def as_data() -> dict:
    """Every control's range or options, for the browser (keyed as its announcements are)."""
    return {key: c.as_data() for key, c in CONTROLS.items()}
