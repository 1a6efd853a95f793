"""cnn.augment against scipy.ndimage's affine_transform (the geometry, one image at a time) and torch.flip
(mirroring, exactly)."""

import math

import numpy as np
import pytest
import torch
from scipy import ndimage

from cnn import augment


def reference(image: np.ndarray, angle: float, scale: float, shift: tuple[float, float], flip: bool) -> np.ndarray:
    """One (H, W) image moved as cnn.augment promises, written out the other way round: the content is
    mirrored, then turned `angle` degrees counter-clockwise on screen about the centre, scaled, then shifted
    right and down by `shift` pixels. scipy wants the inverse map, in (row, column) order."""
    if flip:
        image = image[:, ::-1]
    h, w = image.shape
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    a = math.radians(angle)
    # Forward, in (x right, y down): a turn counter-clockwise on screen.
    forward_xy = scale * np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    swap = np.array([[0, 1], [1, 0]])                     # (x, y) <-> (row, column)
    forward = swap @ forward_xy @ swap
    inverse = np.linalg.inv(forward)
    move = np.array([shift[1], shift[0]])                 # (down, right)
    offset = centre - inverse @ (centre + move)
    return ndimage.affine_transform(image, inverse, offset=offset, order=1, mode="grid-constant", cval=0.0)


def moves(angle, scale, shift, flip=False):
    return augment.Moves(torch.tensor([float(angle)]), torch.tensor([float(scale)]), torch.tensor([list(shift)],
                         dtype=torch.float32), torch.tensor([flip]))


@pytest.mark.parametrize("angle, scale, shift, flip, shape", [
    (0, 1, (0, 0), False, (28, 28)), (10, 1, (0, 0), False, (28, 28)), (-12, 0.85, (3, -2), False, (28, 28)),
    (7, 1.15, (-3.4, 2.2), True, (28, 28)), (30, 1.1, (1, 1), False, (20, 32)), (-5, 0.9, (0.5, -4), True, (33, 21)),
])
def test_one_image_moves_as_scipy_moves_it(angle, scale, shift, flip, shape):
    image = np.random.default_rng(1).random(shape)
    got = augment.apply_moves(torch.tensor(image, dtype=torch.float32)[None, None], moves(angle, scale, shift, flip))
    want = reference(image, angle, scale, shift, flip)
    np.testing.assert_allclose(got[0, 0].numpy(), want, atol=2e-4)


def test_a_turn_is_counter_clockwise_on_screen():
    x = torch.zeros(1, 1, 29, 29)
    x[0, 0, 14, 24] = 1.0                                   # right of the centre
    out = augment.apply_moves(x, moves(90, 1, (0, 0)))[0, 0]
    assert divmod(int(out.argmax()), 29) == (4, 14)         # now above it
    out = augment.apply_moves(x, moves(0, 1, (3, 2)))[0, 0]
    assert divmod(int(out.argmax()), 29) == (16, 27)        # 3 right, 2 down


def test_flips_are_exact_and_only_when_asked():
    x = torch.rand(64, 3, 12, 16)
    got = augment.apply_moves(x, augment.Moves(torch.zeros(64), torch.ones(64), torch.zeros(64, 2),
                                               torch.arange(64) % 2 == 0))
    want = torch.where((torch.arange(64) % 2 == 0)[:, None, None, None], x.flip(-1), x)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
    drawn = augment.draw_moves(1000, 28, 28, torch.Generator().manual_seed(0), flips=True)
    assert 400 < int(drawn.flip.sum()) < 600
    assert not augment.draw_moves(1000, 28, 28, torch.Generator().manual_seed(0), flips=False).flip.any()


def test_moves_stay_within_their_limits():
    drawn = augment.draw_moves(5000, 20, 40, torch.Generator().manual_seed(3))
    assert drawn.angle.abs().max() <= augment.MAX_ANGLE and drawn.angle.abs().max() > 0.95 * augment.MAX_ANGLE
    assert augment.SCALES[0] <= drawn.scale.min() and drawn.scale.max() <= augment.SCALES[1]
    assert drawn.shift[:, 0].abs().max() <= 40 * augment.MAX_SHIFT + 1e-4      # right: of the width
    assert drawn.shift[:, 1].abs().max() <= 20 * augment.MAX_SHIFT + 1e-4      # down: of the height


def test_a_batch_is_each_image_moved_by_its_own_draw_gray_or_colour_uint8_or_float():
    generator = torch.Generator().manual_seed(7)
    images = torch.randint(0, 256, (5, 3, 24, 24), dtype=torch.uint8)
    out = augment.augment_batch(images, generator, flips=True)
    assert out.dtype == torch.float32 and out.shape == (5, 3, 24, 24)
    assert 0 <= out.min() and out.max() <= 1
    drawn = augment.draw_moves(5, 24, 24, torch.Generator().manual_seed(7), flips=True)
    for i in range(5):
        for c in range(3):     # every channel of an image gets the same move
            want = reference(images[i, c].numpy() / 255.0, float(drawn.angle[i]), float(drawn.scale[i]),
                             tuple(drawn.shift[i].tolist()), bool(drawn.flip[i]))
            np.testing.assert_allclose(out[i, c].numpy(), want, atol=2e-4)
    gray = torch.rand(4, 1, 28, 28)
    assert augment.augment_batch(gray, torch.Generator().manual_seed(0)).shape == gray.shape


def test_the_same_seed_gives_the_same_batch_and_another_seed_another():
    images = torch.randint(0, 256, (8, 1, 28, 28), dtype=torch.uint8)
    a = augment.augment_batch(images, torch.Generator().manual_seed(5))
    b = augment.augment_batch(images, torch.Generator().manual_seed(5))
    c = augment.augment_batch(images, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_a_stroke_keeps_about_its_ink():
    x = torch.zeros(16, 1, 28, 28)
    x[:, :, 8:20, 12:16] = 1.0
    out = augment.augment_batch(x, torch.Generator().manual_seed(0))
    assert not torch.allclose(out, x)
    mass = out.sum((1, 2, 3)) / x.sum((1, 2, 3))
    assert ((mass > 0.6) & (mass < 1.5)).all()               # scaled by at most ±15% per side


def test_copies_of_one_image_differ():
    image = torch.zeros(1, 28, 28)
    image[0, 6:22, 10:14] = 1
    out = augment.copies(image, 6, torch.Generator().manual_seed(0))
    assert out.shape == (6, 1, 28, 28)
    assert len({tuple(o.flatten().tolist()) for o in out}) == 6


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError):
        augment.augment_batch(torch.zeros(28, 28), torch.Generator())
    assert augment.augment_batch(torch.zeros(0, 1, 28, 28), torch.Generator()).shape == (0, 1, 28, 28)
