"""The awkward files a class of students uploads, made on the fly (no data committed). Shared by the unit
tests, the headless page tests and the browser tests: each entry is (file name, bytes, what should happen),
where what should happen is an ImageError code, or "ok" for a picture that must load."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def _png(array: np.ndarray, **kwargs) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", **kwargs)
    return buffer.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def decompression_bomb(side: int = 20000) -> bytes:
    """A side x side 1-bit PNG of zeros: about 60 KB on disk, 400 megapixels once decoded."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def sixteen_bit() -> bytes:
    """A 16-bit gray PNG: a bright square (60000 of 65535) on black."""
    pixels = np.zeros((40, 40), np.uint16)
    pixels[10:30, 10:30] = 60000
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")    # uint16 gives mode I;16
    return buffer.getvalue()


def cmyk_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("CMYK", (40, 40), (0, 0, 0, 255)).save(buffer, format="JPEG")   # black ink
    return buffer.getvalue()


def palette_with_transparency() -> bytes:
    """A palette PNG: a dark digit-like bar on a fully transparent background."""
    img = Image.new("P", (40, 40), 0)
    img.putpalette([255, 255, 255, 20, 20, 20] + [0, 0, 0] * 254)
    img.paste(1, (15, 5, 25, 35))
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", transparency=0)
    return buffer.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("L", (30, 30), value) for value in (0, 128, 255)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def truncated_png() -> bytes:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    data = _png(noise)
    return data[: len(data) // 2]


def too_big() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * (20 * 1024 * 1024 + 1)


BAD_UPLOADS = [  # (file name as uploaded, bytes maker, expected outcome)
    ("notes.png", lambda: b"these are my notes, not a picture", "not_image"),
    ("cut.png", truncated_png, "damaged"),
    ("empty.png", lambda: b"", "empty"),
    ("huge.png", too_big, "too_big"),
    ("bomb.png", decompression_bomb, "too_many_pixels"),
    ("dot.png", lambda: _png(np.full((1, 1), 255, np.uint8)), "too_small"),
    ("deep.png", sixteen_bit, "ok"),
    ("print.jpg", cmyk_jpeg, "ok"),
    ("sheet.png", palette_with_transparency, "ok"),
    ("cat.png", animated_gif, "wrong_format"),
]
