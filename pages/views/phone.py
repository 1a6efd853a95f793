"""Narrow screens (a phone held upright): keep what a control changes in sight.

Streamlit stacks columns on a narrow screen, so what answers a control can end up a screen away from it.
`pin_to_top` and `pin_to_bottom` keep one keyed container (st.container(key=...)) in sight there and leave
wide screens alone. Page-level rules target our own keys, never Streamlit's generated classes."""

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


def pin_to_top(page: str, view: str) -> None:
    """Within the container `page`, the container `view` comes first and stays pinned under Streamlit's header,
    about 40% of the screen high, while the rest scrolls beneath it (the Lab: the cards would otherwise stack
    some 1,500 px above the maps). A control scrolled to lands below the pinned view, label and all."""
    st.html(f"""<style>
@media (max-width: {NARROW}px) {{
  .st-key-{page} div:has(.st-key-{view}) {{ display: contents; }}  /* the wrappers between: out of the way */
  .st-key-{page} .st-key-{view} {{ order: -1; position: sticky; top: 3.75rem; z-index: 20;
    height: min(40vh, 400px) !important; overflow-y: auto; overscroll-behavior: contain; background: #fff;
    margin: 0 -1rem; padding: 0.25rem 1rem 0; width: calc(100% + 2rem) !important; max-width: none !important;
    flex: 0 0 auto; box-shadow: 0 6px 8px -6px rgba(0, 0, 0, 0.35); }}
  .st-key-{page} :is(input, button, textarea, [tabindex]):not(.st-key-{view} *) {{
    scroll-margin-top: calc(min(40vh, 400px) + 8rem); }}
}}
</style>""")
