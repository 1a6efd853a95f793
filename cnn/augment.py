"""Augmentation: the batch the network really sees. Every image of a batch is moved a little at random —
shifted, turned a few degrees, made bigger or smaller, and (where it makes sense) mirrored — so 20
drawings of a class become hundreds of slightly different ones, and the network learns the shape rather
than where on the pad it was drawn.

    x = augment_batch(images, torch.Generator().manual_seed(0), flips=False)   # (N, C, H, W) float in [0, 1]

The whole batch is moved at once (one affine grid and one bilinear sample), gray or colour alike: every
channel of an image gets the same move. The moves are drawn from the generator on the CPU, so a seed gives
the same batch on any device.

Why flips are a flag: a mirrored cat is a cat and a mirrored circle a circle, but a mirrored 3 or ✓ is no
longer a 3 or a ✓.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

MAX_ANGLE = 12.0              # degrees either way
SCALES = (0.85, 1.15)         # the image's size, times
MAX_SHIFT = 0.12              # of the side, either way


@dataclass
class Moves:
    """One move per image: what augment_batch does to image i (all tensors have N rows, on the CPU)."""

    angle: torch.Tensor       # degrees, counter-clockwise as the picture is shown (y axis down)
    scale: torch.Tensor       # > 1 makes the picture bigger
    shift: torch.Tensor       # (N, 2): right and down, in pixels
    flip: torch.Tensor        # bool: mirrored left-right before the rest

    def __len__(self) -> int:
        return int(self.angle.shape[0])


def draw_moves(n: int, height: int, width: int, generator: torch.Generator, *, flips: bool = False,
               max_angle: float = MAX_ANGLE, scales: tuple[float, float] = SCALES,
               max_shift: float = MAX_SHIFT) -> Moves:
    """N random moves, uniform within the limits; the flip of each image a coin toss when `flips`."""
    rand = torch.rand(n, 5, generator=generator)       # always five numbers an image: flips or not
    angle = (2 * rand[:, 0] - 1) * max_angle
    scale = scales[0] + (scales[1] - scales[0]) * rand[:, 1]
    shift = (2 * rand[:, 2:4] - 1) * max_shift * torch.tensor([float(width), float(height)])
    flip = (rand[:, 4] < 0.5) & flips
    return Moves(angle, scale, shift, flip)


def affine_matrices(moves: Moves, height: int, width: int) -> torch.Tensor:
    """(N, 2, 3) matrices for F.affine_grid (align_corners=False) that carry out `moves`.

    Pixel offsets from the image's centre u (x right, y down): an output pixel u shows the input at
    M (u - shift), M = R(-angle) / scale. affine_grid works in [-1, 1] units, D u with D = diag(2/W, 2/H),
    so its matrix is D M D⁻¹ and its offset -D M shift; this keeps angles right on non-square images.
    """
    a = torch.deg2rad(moves.angle.double())
    cos, sin = torch.cos(a) / moves.scale.double(), torch.sin(a) / moves.scale.double()
    # R(-angle) on screen, y down: a counter-clockwise turn on screen is clockwise in (x, y-down) maths.
    m = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)   # (N, 2, 2)
    d = torch.tensor([2.0 / width, 2.0 / height], dtype=torch.float64)
    linear = d[None, :, None] * m / d[None, None, :]
    offset = -(linear @ (moves.shift.double() * d)[:, :, None])
    return torch.cat([linear, offset], 2).float()


def apply_moves(x: torch.Tensor, moves: Moves) -> torch.Tensor:
    """`x` (N, C, H, W) float moved by `moves`: flipped where asked (exactly), then one bilinear affine
    sample; what comes from outside the picture is background (0)."""
    n, _, h, w = x.shape
    if len(moves) != n:
        raise ValueError(f"{len(moves)} moves for {n} images.")
    flip = moves.flip.to(x.device)
    if flip.any():
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    theta = affine_matrices(moves, h, w).to(x.device)
    grid = F.affine_grid(theta, [n, x.shape[1], h, w], align_corners=False)
    return F.grid_sample(x, grid.to(x.dtype), mode="bilinear", padding_mode="zeros", align_corners=False)


def as_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 0..255 -> float 0..1; float images as they are."""
    return images.float().div_(255.0) if images.dtype == torch.uint8 else images


def augment_batch(images: torch.Tensor, generator: torch.Generator, *, flips: bool = False) -> torch.Tensor:
    """A batch (N, C, H, W), uint8 or float, gray or colour, as training sees it: float in [0, 1] (uint8
    input is scaled), each image shifted, turned and scaled at random (and mirrored, with `flips`).
    The same generator state gives the same batch."""
    if images.ndim != 4:
        raise ValueError(f"images must be (N, C, H, W); got shape {tuple(images.shape)}.")
    x = as_float(images)
    n, _, h, w = x.shape
    if n == 0:
        return x
    return apply_moves(x, draw_moves(n, h, w, generator, flips=flips))


def copies(image: torch.Tensor, count: int, generator: torch.Generator, *, flips: bool = False) -> torch.Tensor:
    """`count` augmented copies (count, C, H, W) of one image (C, H, W): what a preview shows."""
    return augment_batch(image[None].expand(count, *image.shape).contiguous(), generator, flips=flips)

