"""serve.py answers Streamlit's hashed static files from memory, exactly as they are on disk, and passes
everything else (index.html, the app's pages, paths that leave the folder) to Streamlit."""

import asyncio
import os
import re
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import serve

ROOT = Path(__file__).resolve().parent.parent   # (not from conftest: tests/e2e has a conftest too)


def _call(middleware, path: str, method: str = "GET") -> dict:
    """One request through the middleware; what it sent, or that it passed the request on."""
    sent, passed = [], []

    async def downstream(scope, receive, send):
        passed.append(scope["path"])

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    middleware.app = downstream
    scope = {"type": "http", "method": method, "path": path, "headers": []}
    # A thread of its own: in the whole suite, Playwright's sync API already runs an event loop here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, middleware(scope, receive, send)).result()
    if passed:
        return {"passed": True}
    return {"passed": False, "status": sent[0]["status"], "headers": dict(sent[0]["headers"]),
            "body": sent[1]["body"]}


def _some_asset() -> tuple[str, Path]:
    for folder, _, files in os.walk(serve.ASSETS_DIR):
        for name in files:
            if name.endswith(".js"):
                full = Path(folder) / name
                return "/" + str(full.relative_to(serve.STATIC_DIR)), full
    pytest.fail("Streamlit ships no JavaScript file?")


def test_a_static_file_is_answered_with_its_bytes_its_type_and_a_long_cache():
    cache = serve.StaticFileCache(None)
    path, full = _some_asset()
    for _ in range(2):   # read from disk, then from memory: the same answer
        got = _call(cache, path)
        assert not got["passed"]
        assert got["status"] == 200 and got["body"] == full.read_bytes()
        assert got["headers"][b"content-type"].startswith(b"text/javascript") or \
            got["headers"][b"content-type"].startswith(b"application/javascript")
        assert got["headers"][b"content-length"] == str(full.stat().st_size).encode()
        assert b"immutable" in got["headers"][b"cache-control"]
    assert path in cache.answers
    head = _call(cache, path, "HEAD")
    assert head["body"] == b"" and head["headers"][b"content-length"] == str(full.stat().st_size).encode()


@pytest.mark.parametrize("path", ["/static/../index.html", "/static/js/../../index.html", "/index.html", "/",
                                  "/lab", "/static/js/no-such-file.js", "/static/js", "/static/%2e%2e/index.html",
                                  "/static/../../../../etc/passwd", "/_stcore/health", "/static/js/a\x00.js"])
def test_anything_but_a_hashed_static_file_goes_to_streamlit(path):
    assert _call(serve.StaticFileCache(None), path)["passed"]


def test_a_post_goes_to_streamlit():
    path, _ = _some_asset()
    assert _call(serve.StaticFileCache(None), path, "POST")["passed"]


def test_the_served_app_loads_its_static_files_from_the_cache():
    """A real server started as `make run` starts it: the files index.html names come back whole."""
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from harness import streamlit_server

    with streamlit_server() as url:
        html = urllib.request.urlopen(url + "/", timeout=30).read().decode()
        refs = re.findall(r'(?:src|href)="\./(static/[^"]+)"', html)
        assert refs, "index.html names no static file"
        for ref in refs:
            with urllib.request.urlopen(f"{url}/{ref}", timeout=30) as r:
                assert r.read() == (Path(serve.STATIC_DIR) / ref).read_bytes()
                # Streamlit's own answer carries an ETag; the cache's does not: this came from the cache.
                assert r.headers.get("etag") is None
        with urllib.request.urlopen(url + "/_stcore/health", timeout=30) as r:
            assert r.status == 200
