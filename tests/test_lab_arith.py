"""The Lab's browser arithmetic (pages/views/assets/lab_arith.js) against cnn.ops: Python writes hundreds of
random configurations and what cnn.ops makes of each into a temporary folder, then Node checks the module
against them (tests/js/lab_arith.test.mjs, `node --test`, no npm packages) to 1e-12."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cnn import ops

ROOT = Path(__file__).resolve().parents[1]
NODE_TEST = ROOT / "tests" / "js" / "lab_arith.test.mjs"
CASES = 480


def _listed(a: np.ndarray) -> list:
    return np.asarray(a, dtype=np.float64).ravel().tolist()


def _case(rng: np.random.Generator, pad_mode: str, activation: str, pooling: str, padding) -> dict:
    channels = int(rng.choice([1, 3]))
    h, w = int(rng.integers(2, 11)), int(rng.integers(2, 11))
    size, dilation = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    stride = [int(rng.integers(1, 5)), int(rng.integers(1, 5))]
    image = rng.normal(0, 2, (channels, h, w)).round(int(rng.integers(0, 4)))
    kernel = rng.normal(0, 1, (channels, size, size))
    bias = float(rng.normal(0, 1))
    pool = None if pooling == "none" else {"size": int(rng.integers(1, 4)), "stride": int(rng.integers(1, 4)),
                                            "mode": pooling}
    settings = {"size": size, "stride": stride, "dilation": dilation, "padding": padding, "pad_mode": pad_mode,
                "bias": bias, "activation": activation, "pool": pool}
    case = {"image": {"c": channels, "h": h, "w": w, "v": _listed(image)},
            "kernel": {"c": channels, "h": size, "w": size, "v": _listed(kernel)}, "settings": settings,
            "expected": None}
    pads = ops.resolve_padding(padding, (size, size), (dilation, dilation))
    try:
        padded = ops.pad(image, pads, pad_mode)
        feature = ops.conv2d(image, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias,
                             pad_mode=pad_mode, method="numpy")
    except ValueError:
        return case                           # an impossible fill or an empty output: Python explains
    activated = ops.activate(feature, activation)
    pooled = None
    if pool is not None:
        try:
            pooled = ops.pool2d(activated, size=pool["size"], stride=pool["stride"], mode=pooling, method="numpy")
        except ValueError:
            return case
    cells = [(int(rng.integers(0, feature.shape[0])), int(rng.integers(0, feature.shape[1]))) for _ in range(3)]
    windows = []
    for row, col in cells:
        win = ops.window(image, kernel, row, col, stride=stride, padding=padding, dilation=dilation, bias=bias,
                         pad_mode=pad_mode)
        windows.append({"row": row, "col": col, "patch": _listed(win.patch), "products": _listed(win.products),
                        "total": win.total, "value": win.value, "rows": win.rows.tolist(), "cols": win.cols.tolist()})
    expected = {"pads": [list(p) for p in pads], "input": _listed(padded), "input_hw": list(padded.shape[1:]),
                "feature": _listed(feature), "feature_hw": list(feature.shape), "activated": _listed(activated),
                "strongest": [int(v) for v in np.unravel_index(np.argmax(np.abs(feature)), feature.shape)],
                "windows": windows, "pooled": None}
    if pooled is not None:
        size_, stride_ = pool["size"], pool["stride"]
        pool_cells = []
        for row, col in cells:
            (pr, pc), contains = ops.pooled_cell_for(row, col, size=size_, stride=stride_, pooled_hw=pooled.shape)
            win = ops.pool_window(activated, pr, pc, size=size_, stride=stride_, mode=pooling)
            patch = activated[pr * stride_:pr * stride_ + size_, pc * stride_:pc * stride_ + size_]
            if pooling == "max":    # the cell a pooled cell stands for: where its maximum is (the first such)
                r, c = np.unravel_index(np.argmax(patch), patch.shape)
                stands_for = [int(pr * stride_ + r), int(pc * stride_ + c)]
            else:
                stands_for = [pr * stride_, pc * stride_]
            assert (win.rows[0] <= row <= win.rows[-1] and win.cols[0] <= col <= win.cols[-1]) == contains
            pool_cells.append({"cell": [row, col], "pool_cell": [pr, pc], "contains": contains,
                               "values": _listed(win.patch), "value": win.value, "stands_for": stands_for})
        expected["pooled"] = {"values": _listed(pooled), "hw": list(pooled.shape), "cells": pool_cells}
    case["expected"] = expected
    return case


def fixtures(count: int = CASES, seed: int = 17) -> list[dict]:
    """`count` configurations; every fill, activation, pooling and kind of padding comes round in turn."""
    rng = np.random.default_rng(seed)
    paddings = ["valid", "same", "full", 0, 1, 2, 3]
    combos = itertools.cycle(itertools.product(ops.PAD_MODES, ops.ACTIVATIONS, ("none",) + ops.POOL_MODES))
    return [_case(rng, *next(combos), paddings[i % len(paddings)]) for i in range(count)]


def test_the_fixtures_cover_every_setting():
    cases = fixtures()
    settings = [c["settings"] for c in cases]
    assert {s["pad_mode"] for s in settings} == set(ops.PAD_MODES)
    assert {s["activation"] for s in settings} == set(ops.ACTIVATIONS)
    assert {s["pool"]["mode"] if s["pool"] else "none" for s in settings} == {"none", "max", "avg"}
    assert {s["stride"][0] for s in settings} == {1, 2, 3, 4} and {s["dilation"] for s in settings} == {1, 2, 3}
    answered = [c for c in cases if c["expected"]]
    assert len(answered) >= 300 and len(cases) - len(answered) >= 10     # and some Python must explain
    assert {c["settings"]["pad_mode"] for c in answered} == set(ops.PAD_MODES)
    assert any(not p["contains"] for c in answered if c["expected"]["pooled"] for p in c["expected"]["pooled"]["cells"])


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_the_browser_arithmetic_is_cnn_ops(tmp_path):
    path = tmp_path / "lab_arith_fixtures.json"
    path.write_text(json.dumps(fixtures()), encoding="utf-8")
    result = subprocess.run(["node", "--test", str(NODE_TEST)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "LAB_ARITH_FIXTURES": str(path)})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
