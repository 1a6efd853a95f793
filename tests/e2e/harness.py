"""Run the app and drive it in Debian's Chromium: shared by the browser tests and bench/lab_latency.py.

Waits are on the app's own state (the script-run flag Streamlit puts on the page), never fixed sleeps.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerURL(str):
    """The server's base URL, which also knows where the server writes its log and its process."""

    log: Path
    process: subprocess.Popen


@contextlib.contextmanager
def streamlit_server(timeout: float = 90.0, env: dict | None = None, script: str = "serve.py"):
    """Start `streamlit run <script>` on a free port; yield its base URL (with .log and .process); stop it
    afterwards. `env` adds to the environment (CNN_LAB_RUNS, for one)."""
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
           "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    log = open(ROOT / "tests" / "e2e" / f"server-{port}.log", "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **{k: str(v) for k, v in (env or {}).items()}})
    url = ServerURL(f"http://127.0.0.1:{port}")
    url.log, url.process = Path(log.name), proc
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early; see {log.name}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("streamlit did not become healthy")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if not os.environ.get("CNN_LAB_KEEP_SERVER_LOGS"):
            Path(log.name).unlink(missing_ok=True)


def chromium_path() -> str | None:
    """Debian's chromium (Playwright cannot download a browser here); None = Playwright's own build."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


IDLE_JS = """() => new Promise((done) => {
  // Idle: "notRunning" (and connected) on three animation frames in a row. A single look could fall
  // between a click and the rerun it asks for; by the third frame that rerun has begun.
  let frames = 0;
  const look = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const idle = app && app.getAttribute('data-test-script-state') === 'notRunning'
      && app.getAttribute('data-test-connection-state') === 'CONNECTED';
    frames = idle ? frames + 1 : 0;
    if (frames >= 3) done(true); else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})"""


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished running the script (and any fragment) for the last change."""
    page.wait_for_function(IDLE_JS, timeout=timeout_ms)


def open_page(b, url: str, viewport=(1600, 1000)):
    """A page of a fresh browser (`b` a Browser), or a new tab of one browser's context (`b` a BrowserContext,
    which keeps its cookies: the same student)."""
    size = {"width": viewport[0], "height": viewport[1]}
    if hasattr(b, "new_context"):
        page = b.new_page(viewport=size)
    else:
        page = b.new_page()
        page.set_viewport_size(size)
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"]')
    wait_idle(page)
    return page


def screenshot_whole(page, path: str, max_height: int = 9000) -> None:
    """The whole page as one PNG. Streamlit scrolls its main area, not the document, so a full-page shot
    would stop at the window: grow the window to the page's height for the shot, then put it back."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    whole = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(height, min(whole, max_height))})
    wait_idle(page)
    page.screenshot(path=path)
    page.set_viewport_size({"width": width, "height": height})
