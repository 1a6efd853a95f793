"""The lessons' exercises, checked by the engine: each answer is computed with cnn.ops (never typed in),
so an exercise and the Lab can never disagree.

An exercise reads the student's text (a number, or a list of whole numbers such as a shape), checks it
and, after a wrong answer, names a hint; its worked solution is a text key plus the numbers it needs.
The words live in cnn/locales (lesson.* and exercise.*), in English and Simplified Chinese.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cnn import images, invariance, kernels, models, ops
from cnn import training_basics as basics

DIAGONAL = kernels.preset("diagonal")
GRID = images.SEED_GRID
GRID_MAP = ops.conv2d(GRID, DIAGONAL)          # the lecture's 4x4 map


class AnswerError(ValueError):
    """The text is not an answer of the expected form (code: not_a_number, not_whole_numbers, wrong_count)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def read_number(text: str) -> float:
    cleaned = str(text).strip().replace(",", "").replace("，", "").replace(" ", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise AnswerError("not_a_number") from None
    if not math.isfinite(value):
        raise AnswerError("not_a_number")
    return value


def read_integers(text: str, count: int) -> tuple[int, ...]:
    """'16, 3, 32, 32', '[16 3 32 32]', '16×3×32×32' or '(0,2,3,1)' -> a tuple of ints."""
    parts = [p for p in re.split(r"[\s,，×xX*()\[\]（）、;；]+", str(text).strip()) if p]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise AnswerError("not_whole_numbers") from None
    if len(values) != count:
        raise AnswerError("wrong_count", count=count)
    return values


@dataclass(frozen=True)
class Mistake:
    """A wrong answer an exercise is there to catch, and the hint that names it.

    `value` computes the mistaken answer (for example the parameters with the biases forgotten); its words
    are exercise.<id>.mistake.<key> in the locales."""

    key: str
    value: Callable[[], object]


@dataclass(frozen=True)
class Verdict:
    right: bool
    mistake: str | None = None                # the Mistake.key a wrong answer matches, if any


@dataclass(frozen=True)
class Exercise:
    """One checked exercise.

    A whole-number answer (counts, sizes, parameters, shapes: `decimals` is None) must match exactly. A
    decimal answer (`decimals` = n) is right when it agrees with the worked answer to n decimals, that is
    when it lies within half a unit of the n-th decimal: 0.67 and 0.665 both answer 0.6652 to 2 decimals.
    The prompt says how many decimals it asks for (exercise.precision)."""

    id: str                                   # "1a": lesson 1, first exercise; also its text keys
    kind: str                                 # "number" or "integers"
    solution: Callable[[], object]            # the worked answer, computed
    count: int = 1                            # how many whole numbers, for "integers"
    decimals: int | None = None               # None: a whole number, checked exactly
    accepts: Callable[[object], bool] | None = None   # for exercises with more than one right answer
    params: dict = field(default_factory=dict)        # numbers the prompt and the solution text show
    mistakes: tuple[Mistake, ...] = ()

    def read(self, text: str):
        return read_number(text) if self.kind == "number" else read_integers(text, self.count)

    def _matches(self, value, want) -> bool:
        if self.kind != "number":
            return tuple(value) == tuple(int(v) for v in want)
        if self.decimals is None:
            return value == float(want)
        # Half a unit of the last asked decimal, and a hair more for the float error of 0.665 itself.
        return abs(value - float(want)) <= 0.5 * 10.0 ** -self.decimals * (1 + 1e-9)

    def verdict(self, text: str) -> Verdict:
        """Right or not, and which known mistake a wrong answer is; AnswerError when it is not an answer."""
        value = self.read(text)
        right = bool(self.accepts(value)) if self.accepts is not None else self._matches(value, self.solution())
        if right:
            return Verdict(True)
        for mistake in self.mistakes:
            if self._matches(value, mistake.value()):
                return Verdict(False, mistake.key)
        return Verdict(False)

    def check(self, text: str) -> bool:
        """True when `text` answers the exercise; AnswerError when it is not an answer at all."""
        return self.verdict(text).right

    def solution_text(self) -> str:
        """The worked solution as the student would type it (decimals rounded as the prompt asks)."""
        want = self.solution()
        if self.kind == "number":
            value = float(want)
            if self.decimals is None:
                return str(int(value))
            return f"{value:.{self.decimals}f}"
        return ", ".join(str(v) for v in want)


def _out(size: int, kernel: int, stride: int, padding: int) -> int:
    return ops.output_size(size, kernel=kernel, stride=stride, padding=padding)


def _stride_for_7(pair) -> bool:
    stride, padding = pair
    return 1 <= stride <= 28 and 0 <= padding <= 3 and _out(28, 3, stride, padding) == 7


def _softmax(values) -> np.ndarray:
    z = np.exp(np.asarray(values, dtype=np.float64) - np.max(values))
    return z / z.sum()


def _classic(filters: int) -> models.ModelSpec:
    """The lecture's network with `filters` filters in its convolution."""
    spec = models.preset("seed-mnist")
    spec.layers[0] = {**spec.layers[0], "filters": filters}
    return spec


POOL_WINDOW = np.array([[0.2, 1.4], [-0.5, 0.9]])
ACTIVATION_INPUT = -0.7
RGB_PARTIALS = (1.25, -0.5, 0.75)
RGB_BIAS = 0.1

# Lesson 7: a strong response in a 4x4 feature map, and the digit shifted one pixel right.
SHIFT_MAP_CELL = (2, 0)
SHIFT_RIGHT = 1


def _shift_map() -> np.ndarray:
    feature = np.zeros((4, 4))
    feature[SHIFT_MAP_CELL] = 9.0
    return feature


def _strong_pooled_cell(feature: np.ndarray) -> tuple[int, int]:
    pooled = ops.pool2d(feature, size=2, stride=2, mode="max")
    return tuple(int(v) for v in np.unravel_index(np.argmax(pooled), pooled.shape))


FIELD_KERNELS = (3, 5)   # the first conv's kernel (seed 001's), the second conv's: 3 + 2 + 5 is not the answer


def _conv_pool_conv(pool_stride: int = 2) -> models.ModelSpec:
    """Seed 001's 3x3 conv, a 2x2 max pool, and a second conv of 5x5."""
    return models.ModelSpec("conv-pool-conv", (1, 28, 28), [
        {"type": "conv", "filters": 32, "kernel": FIELD_KERNELS[0]}, {"type": "activation", "name": "relu"},
        {"type": "pool", "mode": "max", "size": 2, "stride": pool_stride},
        {"type": "conv", "filters": 64, "kernel": FIELD_KERNELS[1]}])


def _field(spec: models.ModelSpec, kind: str) -> int:
    """The receptive field size of the last layer of `kind` in the spec."""
    from cnn import filter_view  # imports torch: only when an answer is checked

    return [f.size for f in filter_view.receptive_field_sizes(spec) if spec.layers[f.layer]["type"] == kind][-1]


# Lesson 8: a pixel to scale, one weight's gradient, a kept activation under dropout.
PIXEL = 51
GRADIENT_DELTA, GRADIENT_PIXEL = 0.5, 204
DROPOUT_P, DROPOUT_VALUE = 0.5, 0.8


def _dropped(training: bool, p: float = DROPOUT_P) -> float:
    return float(basics.dropout(np.array([DROPOUT_VALUE]), p, training=training, mask=np.array([True]))[0])


# Lesson 9: the probability the model gave the true class; ten classes with equal scores.
TRUE_PROBABILITY = 0.25


def _loss_for(probability: float) -> float:
    """The cross-entropy of a two-class answer giving the true class `probability` (scores ln p, ln (1 − p))."""
    return basics.cross_entropy(np.log([probability, 1 - probability]), 0)


LESSONS: dict[int, tuple[Exercise, ...]] = {
    1: (
        Exercise("1a", "number", lambda: GRID_MAP[0, 0], params={"row": 0, "col": 0}),
        Exercise("1b", "number", lambda: GRID_MAP[3, 1], params={"row": 3, "col": 1}),
        Exercise("1c", "integers", lambda: GRID_MAP.shape, count=2),
    ),
    2: (
        Exercise("2a", "number", lambda: 2, params={"size": 28, "kernel": 3, "padding": 1, "out": 14},
                 accepts=lambda s: int(s) == s and s >= 1 and _out(28, 3, int(s), 1) == 14),
        Exercise("2b", "number", lambda: 2, params={"kernel": 5},
                 accepts=lambda p: int(p) == p and p >= 0 and _out(28, 5, 1, int(p)) == 28),
        Exercise("2c", "integers", lambda: (4, 1), count=2, accepts=_stride_for_7),
    ),
    3: (
        Exercise("3a", "integers", lambda: (8, 3, 3, 3), count=4),
        Exercise("3b", "integers", lambda: (16, 32, 32, 3), count=4),
        Exercise("3c", "integers", lambda: (0, 2, 3, 1), count=4),
        Exercise("3d", "number", lambda: sum(RGB_PARTIALS) + RGB_BIAS, decimals=2,
                 params={"r": RGB_PARTIALS[0], "g": RGB_PARTIALS[1], "b": RGB_PARTIALS[2], "bias": RGB_BIAS}),
    ),
    4: (
        Exercise("4a", "number", lambda: float(ops.activate(np.array([ACTIVATION_INPUT]), "leaky_relu")[0]), decimals=3,
                 params={"x": ACTIVATION_INPUT}),
        Exercise("4b", "number", lambda: float(_softmax([1.0, 2.0, 3.0])[2]), decimals=2),
        Exercise("4c", "number", lambda: float(ops.pool2d(POOL_WINDOW, size=2, stride=2, mode="avg")[0, 0]), decimals=2,
                 params={"window": "[[0.2, 1.4], [-0.5, 0.9]]"}),
        Exercise("4d", "integers", lambda: ops.pool2d(np.zeros((26, 26)), size=2, stride=2, mode="max").shape,
                 count=2),
    ),
    5: (
        Exercise("5a", "number", lambda: ops.connection_parameters((28, 28), (5, 5), filters=10, bias=True)["shared"]),
        Exercise("5b", "integers", lambda: tuple(ops.connection_parameters((8, 8), (3, 3))[k]
                                                 for k in ("dense", "local", "shared")), count=3),
        Exercise("5c", "number", lambda: int((ops.conv_weight_index((6, 6), (3, 3)) >= 0).sum())),
    ),
    6: (
        Exercise("6a", "number", lambda: math.ceil(60_000 / 32)),
        Exercise("6b", "number", lambda: 10 * math.ceil(60_000 / 32)),
        Exercise("6c", "number", lambda: models.summary(_classic(64))[3].output_shape[0]),
        Exercise("6d", "number", lambda: models.summary(_classic(64))[4].parameters),
    ),
    7: (
        Exercise("7a", "integers", lambda: _strong_pooled_cell(invariance.shift(_shift_map(), 0, SHIFT_RIGHT)), count=2,
                 params={"row": SHIFT_MAP_CELL[0], "col": SHIFT_MAP_CELL[1], "right": SHIFT_RIGHT},
                 mistakes=(Mistake("moved", lambda: (_strong_pooled_cell(_shift_map())[0],
                                                     _strong_pooled_cell(_shift_map())[1] + SHIFT_RIGHT)),
                           Mistake("map_cell", lambda: (SHIFT_MAP_CELL[0], SHIFT_MAP_CELL[1] + SHIFT_RIGHT)))),
        Exercise("7b", "number", lambda: _field(_conv_pool_conv(), "pool"), params={"k1": FIELD_KERNELS[0]},
                 mistakes=(Mistake("added", lambda: FIELD_KERNELS[0] + 2), Mistake("pool_only", lambda: 2))),
        Exercise("7c", "number", lambda: _field(_conv_pool_conv(), "conv"),
                 params={"k1": FIELD_KERNELS[0], "k2": FIELD_KERNELS[1]},
                 mistakes=(Mistake("added", lambda: FIELD_KERNELS[0] + 2 + FIELD_KERNELS[1]),
                           Mistake("no_stride", lambda: _field(_conv_pool_conv(pool_stride=1), "conv")),
                           Mistake("last_kernel", lambda: FIELD_KERNELS[1]))),
    ),
    8: (
        Exercise("8a", "number", lambda: float(basics.scale_pixels(PIXEL)), decimals=3, params={"pixel": PIXEL},
                 mistakes=(Mistake("by_256", lambda: PIXEL / 256),)),
        Exercise("8b", "number", lambda: GRADIENT_DELTA * float(basics.scale_pixels(GRADIENT_PIXEL)), decimals=2,
                 params={"delta": GRADIENT_DELTA, "pixel": GRADIENT_PIXEL,
                         "raw": f"{GRADIENT_DELTA * GRADIENT_PIXEL:g}",
                         "scaled": f"{float(basics.scale_pixels(GRADIENT_PIXEL)):g}"},
                 mistakes=(Mistake("raw", lambda: GRADIENT_DELTA * GRADIENT_PIXEL),
                           Mistake("no_input", lambda: GRADIENT_DELTA))),
        Exercise("8c", "number", lambda: _dropped(training=True), decimals=2,
                 params={"p": DROPOUT_P, "value": DROPOUT_VALUE},
                 mistakes=(Mistake("times_keep", lambda: DROPOUT_VALUE * (1 - DROPOUT_P)),
                           Mistake("unscaled", lambda: DROPOUT_VALUE))),
        Exercise("8d", "number", lambda: _dropped(training=False), decimals=2,
                 params={"p": DROPOUT_P, "value": DROPOUT_VALUE},
                 mistakes=(Mistake("scaled", lambda: _dropped(training=True)),
                           Mistake("times_keep", lambda: DROPOUT_VALUE * (1 - DROPOUT_P)))),
    ),
    9: (
        Exercise("9a", "number", lambda: _loss_for(TRUE_PROBABILITY), decimals=2, params={"p": TRUE_PROBABILITY},
                 mistakes=(Mistake("log10", lambda: -math.log10(TRUE_PROBABILITY)),
                           Mistake("sign", lambda: -_loss_for(TRUE_PROBABILITY)))),
        Exercise("9b", "number", lambda: basics.cross_entropy(np.zeros(10), 0), decimals=2,
                 mistakes=(Mistake("probability", lambda: float(basics.softmax(np.zeros(10))[0])),
                           Mistake("log10", lambda: 1.0))),
    ),
}


def exercise(exercise_id: str) -> Exercise:
    for items in LESSONS.values():
        for item in items:
            if item.id == exercise_id:
                return item
    raise KeyError(exercise_id)


def all_exercises() -> list[Exercise]:
    return [item for items in LESSONS.values() for item in items]
