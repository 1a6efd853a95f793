"""Inputs for the Lab: uploads are checked, photos and digits load offline, drawings are read."""

import io

import numpy as np
import pytest
from bad_uploads import BAD_UPLOADS, decompression_bomb
from PIL import Image

from cnn import images, ops


def _encode(array: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


def test_png_upload_round_trips_in_gray_and_rgb():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    rgb = images.load_upload(_encode(pixels), rgb=True)
    assert rgb.shape == (3, 20, 30)
    np.testing.assert_allclose(rgb, pixels.transpose(2, 0, 1) / 255.0)
    gray = images.load_upload(_encode(pixels), rgb=False)
    assert gray.shape == (20, 30) and 0.0 <= gray.min() and gray.max() <= 1.0


def test_big_image_is_downscaled_to_512_on_the_long_side():
    pixels = np.zeros((600, 1200), dtype=np.uint8)
    out = images.load_upload(_encode(pixels, "JPEG"))
    assert max(out.shape) == images.MAX_SIDE and out.shape == (256, 512)


@pytest.mark.parametrize("data, code", [
    (b"", "empty"),
    (b"this is plain text, not a picture", "not_image"),
    (b"\x00" * (images.MAX_UPLOAD_BYTES + 1), "too_big"),
])
def test_bad_uploads_give_a_clear_error(data, code):
    with pytest.raises(images.ImageError) as info:
        images.load_upload(data)
    assert info.value.code == code
    assert str(info.value)  # a message a person can read


def test_other_formats_are_refused():
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(buffer, format="BMP")
    with pytest.raises(images.ImageError) as info:
        images.load_upload(buffer.getvalue())
    assert info.value.code == "wrong_format" and info.value.params["format"] == "BMP"


@pytest.mark.parametrize("name, make, expected", BAD_UPLOADS, ids=[entry[0] for entry in BAD_UPLOADS])
def test_every_awkward_upload_loads_or_says_why(name, make, expected):
    """The real reason, not a generic "not readable": a bomb is "too many pixels", a GIF renamed .png is
    a GIF, a cut file is damaged; 16-bit, CMYK and transparent pictures load with their content intact."""
    data = make()
    if expected != "ok":
        with pytest.raises(images.ImageError) as info:
            images.load_upload(data)
        assert info.value.code == expected, str(info.value)
        return
    gray = images.load_upload(data)
    assert gray.shape[0] >= 5 and 0.0 <= gray.min() and gray.max() <= 1.0
    if name == "deep.png":         # 16 bits kept as a range: the square is bright, not clipped to white everywhere
        assert gray[20, 20] == pytest.approx(60000 / 65535, abs=1e-3) and gray[2, 2] == 0.0
    if name == "sheet.png":        # dark ink on a transparent sheet lands on white: the bar stays visible
        assert gray[20, 20] < 0.2 and gray[2, 2] > 0.9
    if name == "print.jpg":        # solid black ink
        assert gray.mean() < 0.2
    assert images.load_upload(data, rgb=True).shape[0] == 3


def test_the_bomb_says_how_many_pixels_it_would_have():
    with pytest.raises(images.ImageError) as info:
        images.load_upload(decompression_bomb())
    assert info.value.params["megapixels"] == "400" and info.value.params["limit"] == "60"


def test_decompression_bomb_is_refused_without_decoding(monkeypatch):
    monkeypatch.setattr(images, "MAX_DECODED_PIXELS", 100)
    with pytest.raises(images.ImageError) as info:
        images.load_upload(_encode(np.zeros((20, 20), np.uint8)))
    assert info.value.code == "too_many_pixels"


def test_sample_photos_load_offline_at_the_requested_size():
    gray = images.sample_photo("camera", size=64)
    rgb = images.sample_photo("astronaut", rgb=True, size=32)
    assert gray.shape == (64, 64) and rgb.shape == (3, 32, 32)
    assert gray.std() > 0.05  # a real photo, not a blank
    with pytest.raises(ValueError):
        images.sample_photo("no-such-photo")


def test_mnist_digits_are_real_digits_with_labels():
    digit, label = images.mnist_digit(0)
    assert digit.shape == (28, 28) and 0 <= label <= 9
    assert 0.05 < digit.mean() < 0.5 and digit.max() > 0.9  # a bright stroke on black
    labels = {images.mnist_digit(i)[1] for i in range(0, 5000, 37)}
    assert labels == set(range(10))


def test_seed_grid_with_the_diagonal_kernel_gives_the_lecture_numbers():
    from cnn import kernels

    out = ops.conv2d(images.SEED_GRID, kernels.preset("diagonal"))
    np.testing.assert_allclose(out[0], [3, -1, -3, -1])
    np.testing.assert_allclose(ops.conv2d(images.SEED_GRID, kernels.preset("diagonal"), stride=2)[0], [3, -3])


def test_canvas_drawing_becomes_bright_strokes_on_black():
    from cnn import preprocess

    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = 255                      # opaque black background
    rgba[100:180, 130:150, :3] = 255        # a white vertical bar
    gray = preprocess.shrink(preprocess.to_gray(rgba), 28)
    assert gray.shape == (28, 28)
    assert gray[14, 14] > 0.9 and gray[2, 2] == 0.0


def test_transparent_canvas_background_counts_as_black():
    from cnn import preprocess

    rgba = np.zeros((100, 100, 4), np.uint8)
    rgba[40:60, 40:60] = 255
    gray = preprocess.shrink(preprocess.to_gray(rgba), 10)
    assert gray[5, 5] > 0.9 and gray[0, 0] == 0.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_grid_refuses_non_finite_cells(bad):
    grid = np.ones((4, 4))
    grid[2, 1] = bad
    with pytest.raises(images.ImageError) as info:
        images.parse_grid(grid)
    assert "row 2, column 1" in str(info.value)
    assert info.value.code == "not_finite" and (info.value.params["row"], info.value.params["col"]) == (2, 1)


def test_grid_refuses_numbers_too_large_to_convolve_and_text():
    grid = np.ones((4, 4))
    grid[1, 3] = 1e308                       # finite, but its products overflow to infinity
    with pytest.raises(images.ImageError) as info:
        images.parse_grid(grid)
    assert info.value.code == "too_large" and info.value.params["col"] == 3
    with pytest.raises(images.ImageError) as info:
        images.parse_grid([["1", "two"], ["3", "4"]])
    assert info.value.code == "not_a_number"
