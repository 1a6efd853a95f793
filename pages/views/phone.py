"""Narrow screens (a phone held upright): keep what a control changes in sight.

Streamlit stacks columns on a narrow screen, so what answers a control can end up a screen away from it.
`pin_to_bottom` keeps one keyed container (st.container(key=...)) fixed at the bottom of the screen there,
and leaves wide screens alone. Page-level rules target our own keys, never Streamlit's generated classes."""

from __future__ import annotations

import streamlit as st

NARROW = 640   # px: Streamlit stacks its columns below this width


def pin_to_bottom(key: str) -> None:
    st.html(f"""<style>
@media (max-width: {NARROW}px) {{
  .st-key-{key} {{
    position: fixed; left: 0; right: 0; bottom: 0; z-index: 999; background: var(--background-color, #fff);
    border-top: 1px solid rgba(49, 51, 63, 0.2); box-shadow: 0 -4px 12px rgba(0, 0, 0, 0.08);
    min-height: 4.5rem; padding: 0.5rem 1rem; flex-direction: row; align-items: center; justify-content: center;
    gap: 1rem;
  }}
  .st-key-{key} > div {{ width: auto !important; flex: 0 1 auto; margin: 0 !important; }}
  .st-key-{key} [data-testid="top-guess"] {{ font-size: 2.4rem !important; }}
  [data-testid="stMainBlockContainer"]:has(.st-key-{key}) {{ padding-bottom: 7rem; }}
}}
</style>""")
