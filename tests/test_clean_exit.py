"""A Python process that ran the app exits cleanly: no thread the app started is left inside torch's C++
code when the interpreter tears it down (that aborts the process: "terminate called without an active
exception", exit status 134)."""

import subprocess
import sys
import textwrap
from pathlib import Path

from test_app import APP, PAGES

ROOT = Path(__file__).resolve().parent.parent   # (not from conftest: tests/e2e has a conftest too)


def _run(script: str, tmp_path) -> subprocess.CompletedProcess:
    env_script = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + textwrap.dedent(script)
    return subprocess.run([sys.executable, "-c", env_script], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)


def test_a_background_thread_busy_in_torch_lets_the_process_exit(tmp_path):
    """The thread is inside a convolution when the script ends; a plain daemon thread aborts here."""
    done = _run("""
        import threading, torch
        from pages.views import background

        busy = threading.Event()
        def work():
            x, w = torch.randn(32, 16, 64, 64), torch.randn(16, 16, 3, 3)
            while True:
                background.stop_point()
                torch.nn.functional.conv2d(x, w)
                busy.set()
        background.start(work, name="busy")
        assert busy.wait(60)
    """, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "terminate called" not in done.stderr


def test_a_script_that_ran_every_page_through_apptest_exits_cleanly(tmp_path):
    done = _run(f"""
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({APP!r}, default_timeout=120)
        at.run()
        for page in {PAGES!r}:
            at.switch_page(page).run()
            assert not at.exception, (page, at.exception)
        print("every page rendered")
    """, tmp_path)
    assert "every page rendered" in done.stdout, done.stderr[-2000:]
    assert done.returncode == 0, done.stderr[-2000:]
    assert "terminate called" not in done.stderr
