"""CNN Lab as a server for a class: app.py behind a cache of Streamlit's own static files.

    streamlit run serve.py      (what `make run` does; `streamlit run app.py` still works, a little slower)

A browser that opens the app for the first time fetches about 100 of Streamlit's JavaScript, CSS and font
files. Streamlit's server reads each from disk through its whole middleware stack: measured here, that was
most of what a first Lab open cost the server (about 150 of 210 ms of CPU), paid again by every student of
a class arriving at once. The files never change while the server runs (their names carry a hash of their
content), so they are read once and answered from memory before Streamlit's stack; everything else, the
app's pages, its websocket and its components' files, goes to Streamlit as before.
"""

from __future__ import annotations

import mimetypes
import os

import streamlit as st
from starlette.middleware import Middleware
from streamlit import file_util

STATIC_DIR = os.path.realpath(file_util.get_static_dir())
ASSETS_DIR = os.path.join(STATIC_DIR, "static")    # the hashed files; index.html and the rest stay Streamlit's
PREFIX = "/static/"
# Streamlit sends the same for these files: their names change whenever their content does.
CACHE_CONTROL = b"public, immutable, max-age=31536000"


def static_file(path: str) -> str | None:
    """The file under Streamlit's static folder that a request path names; None for anything else (a path
    that leaves the folder, a folder, a missing file)."""
    if not path.startswith(PREFIX) or "\x00" in path:
        return None
    full = os.path.realpath(os.path.join(STATIC_DIR, path.lstrip("/")))   # /static/js/x.js: static/js/x.js
    return full if full.startswith(ASSETS_DIR + os.sep) and os.path.isfile(full) else None


class StaticFileCache:
    """ASGI middleware: GET and HEAD of /static/... answered from memory once read; all else passed on."""

    def __init__(self, app):
        self.app = app
        self.answers: dict[str, tuple[list, bytes]] = {}

    def answer(self, path: str) -> tuple[list, bytes] | None:
        found = self.answers.get(path)
        if found is None:
            full = static_file(path)
            if full is None:
                return None
            with open(full, "rb") as f:
                body = f.read()
            kind = mimetypes.guess_type(full)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
                kind += "; charset=utf-8"
            headers = [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode()),
                       (b"cache-control", CACHE_CONTROL)]
            found = self.answers[path] = (headers, body)   # a race reads the same bytes twice: harmless
        return found

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            found = self.answer(scope.get("path", ""))
            if found is not None:
                headers, body = found
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
                return
        await self.app(scope, receive, send)


app = st.App("app.py", middleware=[Middleware(StaticFileCache)])
