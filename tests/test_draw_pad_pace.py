"""The draw pad's pace under Node (tests/js/draw_pad.test.mjs): while the pen moves it sends a picture only
once Python has taken up the last one, pausing after a late take-up, so a class drawing at once does not
queue pictures nobody sees answered."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_the_pad_sends_while_the_pen_moves_only_while_python_keeps_up():
    result = subprocess.run(["node", "--test", str(ROOT / "tests" / "js" / "draw_pad.test.mjs")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# pass 7" in result.stdout and "# fail 0" in result.stdout, result.stdout[-2000:]
