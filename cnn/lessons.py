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
    are exercise.<id>.mistake.<key> in the locales. Where a mistake has many forms (any pair with stride 1),
    `matches` recognises them all and `value` is one of them."""

    key: str
    value: Callable[[], object]
    matches: Callable[[object], bool] | None = None


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
            if mistake.matches(value) if mistake.matches is not None else self._matches(value, mistake.value()):
                return Verdict(False, mistake.key)
        return Verdict(False)

    def check(self, text: str) -> bool:
        """True when `text` answers the exercise; AnswerError when it is not an answer at all."""
        return self.verdict(text).right

    def solution_text(self) -> str:
        """The worked solution as the student would type it (decimals rounded as the prompt asks)."""
        return self.answer_text(self.solution())

    def answer_text(self, answer) -> str:
        """An answer (the worked one, a mistake's) as a student would type it."""
        if self.kind == "number":
            value = float(answer)
            if self.decimals is None:
                return str(int(value))
            return f"{value:.{self.decimals}f}"
        return ", ".join(str(int(v)) for v in answer)


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


def _grid_cell(row: int, col: int, **geometry) -> float:
    return float(ops.conv2d(GRID, DIAGONAL, **geometry)[row, col])


def _signs_forgotten(row: int, col: int) -> float:
    """The cell with every weight taken as +1: the patch's sum."""
    return float(GRID[row:row + 3, col:col + 3].sum())


POOL_WINDOW = np.array([[0.2, 1.4], [-0.5, 0.9]])
ACTIVATION_INPUT = -0.7
RGB_PARTIALS = (1.25, -0.5, 0.75)
RGB_BIAS = 0.1
LEAKY_SLOPE = 0.01
SCORES = (1.0, 2.0, 3.0)

# Exercise 5a's comparison: ten 5x5 filters on a 28x28 image against two dense layers. The lecture's dense
# layer has 250 neurons (its "784×260+1 = 19601" mixes the numbers up: a dense layer has one bias per unit).
FILTERS_5A, KERNEL_5A, IMAGE_5A, LECTURE_UNITS = 10, (5, 5), (28, 28), 250


def _comparison_5a() -> dict[str, object]:
    counts = ops.connection_parameters(IMAGE_5A, KERNEL_5A, filters=FILTERS_5A, bias=True)
    side, _ = ops.conv_output_shape(IMAGE_5A, KERNEL_5A)
    outputs = FILTERS_5A * side * side
    pixels = int(np.prod(IMAGE_5A))
    return {"pixels": pixels, "units": LECTURE_UNITS, "filters": FILTERS_5A, "side": side,
            "lecture_dense": f"{ops.dense_parameters(pixels, LECTURE_UNITS):,}",
            "outputs": f"{outputs:,}", "same_dense": f"{counts['dense']:,}"}


def _steps(images: int, batch: int) -> int:
    return math.ceil(images / batch)


def _dense_after(filters: int, *, pooled: bool = True, bias: bool = True) -> int:
    """The parameters of the lecture network's dense layer of 100 after `filters` filters (pooled or not)."""
    rows = models.summary(_classic(filters))
    inputs = rows[3].output_shape[0] if pooled else int(np.prod(rows[0].output_shape))
    return ops.dense_parameters(inputs, rows[4].output_shape[0], bias=bias)


# The lessons' live views, computed here so the pages only draw them (tests hold them to torch).

# Lesson 1: M kernels give M maps. Four line detectors for the 6x6 grid, the lecture's diagonal first.
LINE_KERNELS = {
    "diagonal": DIAGONAL,
    "anti_diagonal": np.fliplr(DIAGONAL).copy(),
    "vertical": np.array([[-1.0, 1.0, -1.0]] * 3),
    "horizontal": np.array([[-1.0, 1.0, -1.0]] * 3).T.copy(),
}


def several_maps(count: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The first `count` line kernels on the 6x6 grid: (their names, kernels (M, 3, 3), maps (M, 4, 4))."""
    names = list(LINE_KERNELS)[:count]
    stack = np.stack([LINE_KERNELS[n] for n in names])
    return names, stack, ops.conv2d(GRID, stack[:, None])     # (M, 1, 3, 3): M kernels of one channel


# Lesson 2: the same digit and kernel at stride 1 and at a larger stride.
STRIDE_KERNEL = "sobel_x"


def stride_maps(stride: int, padding: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the digit (28, 28), its map at stride 1, its map at `stride`), with the same kernel and padding."""
    digit, _ = images.mnist_digit(0)
    kernel = kernels.preset(STRIDE_KERNEL)
    return digit, ops.conv2d(digit, kernel, padding=padding), ops.conv2d(digit, kernel, stride=stride,
                                                                         padding=padding)


# Lesson 3: one 1x1 kernel on a colour photo mixes its channels at every pixel and keeps its size.
MIX_PHOTO, MIX_SIZE = "astronaut", 128
MIX_PIXEL = (105, 50)       # on the orange suit: R, G and B differ, so the weights visibly matter
MIX_PRESETS = {
    "grey": (0.299, 0.587, 0.114),
    "red": (1.0, 0.0, 0.0),
    "green": (0.0, 1.0, 0.0),
    "blue": (0.0, 0.0, 1.0),
    "red_minus_blue": (1.0, 0.0, -1.0),
}


def mix_channels(weights) -> tuple[np.ndarray, np.ndarray]:
    """(the photo (3, H, W), the map (H, W) of the 1x1 kernel with weights (w_R, w_G, w_B), no bias)."""
    photo = images.sample_photo(MIX_PHOTO, rgb=True, size=MIX_SIZE)
    kernel = np.asarray(weights, dtype=np.float64).reshape(1, 3, 1, 1)
    return photo, ops.conv2d(photo, kernel)[0]


KERNELS_1D = 5          # 1d: five kernels on the 6x6 grid
SIDE_2D = 27            # 2d: an odd side, so "half" must be rounded the way the formula rounds
OUT_3E, SIZE_3F = 16, 64


def _kernel_stack(count: int) -> np.ndarray:
    """The maps of `count` 3x3 kernels on the 6x6 grid, (M, 4, 4): one map per kernel."""
    return ops.conv2d(GRID, np.ones((count, 1, 3, 3)))


def _conv_parameters(in_channels: int, out_channels: int, kernel: int, *, bias: bool = True) -> int:
    """A convolution's weights and biases; the image size does not matter (shared weights)."""
    return ops.connection_parameters((SIZE_3F, SIZE_3F), (kernel, kernel), in_channels=in_channels,
                                     filters=out_channels, bias=bias)["shared"]


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
        Exercise("1a", "number", lambda: GRID_MAP[0, 0], params={"row": 0, "col": 0},
                 mistakes=(Mistake("centred", lambda: _grid_cell(0, 0, padding=1)),)),
        Exercise("1b", "number", lambda: GRID_MAP[3, 1], params={"row": 3, "col": 1},
                 mistakes=(Mistake("signs", lambda: _signs_forgotten(3, 1)),
                           Mistake("swapped", lambda: GRID_MAP[1, 3]))),
        Exercise("1c", "integers", lambda: GRID_MAP.shape, count=2,
                 mistakes=(Mistake("no_plus_one", lambda: tuple(s - 3 for s in GRID.shape)),
                           Mistake("kept", lambda: GRID.shape))),
        Exercise("1d", "integers", lambda: _kernel_stack(KERNELS_1D).shape, count=3, params={"m": KERNELS_1D},
                 mistakes=(Mistake("summed", lambda: _kernel_stack(1).shape),
                           Mistake("kept", lambda: (KERNELS_1D, *GRID.shape)))),
    ),
    2: (
        Exercise("2a", "number", lambda: 2, params={"size": 28, "kernel": 3, "padding": 1, "out": 14},
                 accepts=lambda s: int(s) == s and s >= 1 and _out(28, 3, int(s), 1) == 14,
                 mistakes=(Mistake("stride_one", lambda: 1),)),
        Exercise("2b", "number", lambda: 2, params={"kernel": 5},
                 accepts=lambda p: int(p) == p and p >= 0 and _out(28, 5, 1, int(p)) == 28,
                 mistakes=(Mistake("counted_once", lambda: 5 - 1),)),
        Exercise("2c", "integers", lambda: (4, 1), count=2, accepts=_stride_for_7,
                 mistakes=(Mistake("stride_one", lambda: (1, 0), matches=lambda pair: pair[0] == 1),
                           Mistake("no_plus_one", lambda: (4, 2),
                                   matches=lambda pair: pair[0] >= 1 and pair[1] >= 0
                                   and (28 + 2 * pair[1] - 3) // pair[0] == 7))),
        Exercise("2d", "integers", lambda: (_out(SIDE_2D, 3, 1, 1), _out(SIDE_2D, 3, 2, 1)), count=2,
                 params={"size": SIDE_2D, "span": SIDE_2D - 1, "half": (SIDE_2D - 1) // 2},
                 mistakes=(Mistake("stride_ignored", lambda: (_out(SIDE_2D, 3, 1, 1),) * 2),
                           Mistake("rounded_down", lambda: (_out(SIDE_2D, 3, 1, 1), SIDE_2D // 2)),
                           Mistake("no_padding", lambda: (_out(SIDE_2D, 3, 1, 0), _out(SIDE_2D, 3, 2, 0))))),
    ),
    3: (
        Exercise("3a", "integers", lambda: (8, 3, 3, 3), count=4,
                 mistakes=(Mistake("swapped", lambda: (3, 8, 3, 3)),)),
        Exercise("3b", "integers", lambda: (16, 32, 32, 3), count=4,
                 mistakes=(Mistake("unchanged", lambda: (16, 3, 32, 32)),)),
        Exercise("3c", "integers", lambda: (0, 2, 3, 1), count=4,
                 mistakes=(Mistake("inverse", lambda: (0, 3, 1, 2)),)),
        Exercise("3d", "number", lambda: sum(RGB_PARTIALS) + RGB_BIAS, decimals=2,
                 params={"r": RGB_PARTIALS[0], "g": RGB_PARTIALS[1], "b": RGB_PARTIALS[2], "bias": RGB_BIAS},
                 mistakes=(Mistake("bias_thrice", lambda: sum(RGB_PARTIALS) + 3 * RGB_BIAS),
                           Mistake("no_bias", lambda: sum(RGB_PARTIALS)),
                           Mistake("mean", lambda: sum(RGB_PARTIALS) / 3 + RGB_BIAS))),
        Exercise("3e", "number", lambda: _conv_parameters(3, OUT_3E, 1),
                 params={"out": OUT_3E},
                 mistakes=(Mistake("no_bias", lambda: _conv_parameters(3, OUT_3E, 1, bias=False)),
                           Mistake("three_by_three", lambda: _conv_parameters(3, OUT_3E, 3)))),
        Exercise("3f", "integers", lambda: (OUT_3E, *ops.conv_output_shape((SIZE_3F, SIZE_3F), (1, 1))), count=3,
                 params={"out": OUT_3E, "size": SIZE_3F},
                 mistakes=(Mistake("shrunk", lambda: (OUT_3E, SIZE_3F - 2, SIZE_3F - 2)),
                           Mistake("channels_kept", lambda: (3, SIZE_3F, SIZE_3F)))),
    ),
    4: (
        Exercise("4a", "number", lambda: float(ops.activate(np.array([ACTIVATION_INPUT]), "leaky_relu")[0]), decimals=3,
                 params={"x": ACTIVATION_INPUT},
                 mistakes=(Mistake("relu", lambda: float(ops.activate(np.array([ACTIVATION_INPUT]), "relu")[0])),
                           Mistake("unchanged", lambda: ACTIVATION_INPUT))),
        Exercise("4b", "number", lambda: float(_softmax(SCORES)[2]), decimals=2,
                 mistakes=(Mistake("ratio", lambda: SCORES[2] / sum(SCORES)),)),
        Exercise("4c", "number", lambda: float(ops.pool2d(POOL_WINDOW, size=2, stride=2, mode="avg")[0, 0]), decimals=2,
                 params={"window": "[[0.2, 1.4], [-0.5, 0.9]]"},
                 mistakes=(Mistake("max", lambda: float(ops.pool2d(POOL_WINDOW, size=2, stride=2, mode="max")[0, 0])),
                           Mistake("sum", lambda: float(POOL_WINDOW.sum())))),
        Exercise("4d", "integers", lambda: ops.pool2d(np.zeros((26, 26)), size=2, stride=2, mode="max").shape,
                 count=2,
                 mistakes=(Mistake("stride_one", lambda: ops.pool2d(np.zeros((26, 26)), size=2, stride=1).shape),)),
    ),
    5: (
        Exercise("5a", "number", lambda: ops.connection_parameters(IMAGE_5A, KERNEL_5A, filters=FILTERS_5A,
                                                                  bias=True)["shared"],
                 params=_comparison_5a(),
                 mistakes=(Mistake("no_bias", lambda: ops.connection_parameters(IMAGE_5A, KERNEL_5A,
                                                                                filters=FILTERS_5A)["shared"]),
                           Mistake("one_bias", lambda: ops.connection_parameters(IMAGE_5A, KERNEL_5A,
                                                                                 filters=FILTERS_5A)["shared"] + 1))),
        Exercise("5b", "integers", lambda: tuple(ops.connection_parameters((8, 8), (3, 3))[k]
                                                 for k in ("dense", "local", "shared")), count=3,
                 mistakes=(Mistake("input_size", lambda: (64 * 64, 64 * 9, 9)),)),
        Exercise("5c", "number", lambda: int((ops.conv_weight_index((6, 6), (3, 3)) >= 0).sum()),
                 mistakes=(Mistake("all_entries", lambda: ops.conv_weight_index((6, 6), (3, 3)).size),
                           Mistake("distinct", lambda: DIAGONAL.size))),
    ),
    6: (
        Exercise("6a", "number", lambda: _steps(60_000, 32),
                 mistakes=(Mistake("per_image", lambda: 60_000),
                           Mistake("test_images", lambda: _steps(70_000, 32)))),
        Exercise("6b", "number", lambda: 10 * _steps(60_000, 32),
                 mistakes=(Mistake("one_epoch", lambda: _steps(60_000, 32)),
                           Mistake("per_image", lambda: 10 * 60_000))),
        Exercise("6c", "number", lambda: models.summary(_classic(64))[3].output_shape[0],
                 mistakes=(Mistake("no_pool", lambda: int(np.prod(models.summary(_classic(64))[0].output_shape))),
                           Mistake("thirty_two", lambda: models.summary(_classic(32))[3].output_shape[0]))),
        Exercise("6d", "number", lambda: models.summary(_classic(64))[4].parameters,
                 mistakes=(Mistake("no_bias", lambda: _dense_after(64, bias=False)),
                           Mistake("one_bias", lambda: _dense_after(64, bias=False) + 1),
                           Mistake("no_pool", lambda: _dense_after(64, pooled=False)))),
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
