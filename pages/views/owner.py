"""Who this browser is, for the Train page: only the browser that started a run may pause or stop it.

A random token kept in a cookie (set by a tiny component, since Streamlit reads cookies but cannot write
them), so a reload or a second tab of the same browser still controls its runs; another student, or a
teacher watching, sees them but cannot stop them. Where cookies are off, the token lasts the session.
"""

from __future__ import annotations

import re
import secrets

import streamlit as st

COOKIE = "cnn_lab_owner"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

_JS = """
export default function ({ data, setStateValue }) {
  const name = data.cookie;
  const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  let token = found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(token)) {
    token = data.token;
    document.cookie = `${name}=${token}; path=/; max-age=31536000; SameSite=Lax`;
  }
  if (token !== data.token) setStateValue("token", token);
}
"""

_cookie_keeper = st.components.v2.component("cnn_lab_owner_cookie", js=_JS)


def _adopt() -> None:
    token = (st.session_state.get("owner_cookie") or {}).get("token")
    if isinstance(token, str) and TOKEN.match(token):
        st.session_state.owner = token


def browser_token() -> str:
    """This browser's token: from its cookie when there is one, else a new one that the cookie keeps."""
    cookie = st.context.cookies.get(COOKIE) if hasattr(st, "context") else None
    if isinstance(cookie, str) and TOKEN.match(cookie):
        st.session_state.owner = cookie
        return cookie
    token = st.session_state.setdefault("owner", secrets.token_urlsafe(18))
    _cookie_keeper(key="owner_cookie", data={"cookie": COOKIE, "token": token}, height=0,
                   on_token_change=_adopt)
    return st.session_state.owner
