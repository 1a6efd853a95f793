"""The kernel as a grid of numbers to type into (assets/kernel_grid.js): each committed cell reaches Python
at once. What a student typed is kept as text until it is a number, so a bad cell stays on screen beside
the message that names it; cells nobody typed into keep their exact values."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from pages.views.assets import component
from pages.views.errors import callback

_grid = component("cnn_lab_kernel_grid", "kernel_grid", isolate_styles=False)   # our CSS is scoped by class


def shown(value: float) -> str:
    """A weight as the grid shows it: short, without a trailing .0."""
    return f"{value:.4g}"


def number(text: str) -> float:
    """A typed cell -> float; NaN for anything that is not a number (the caller names the cell)."""
    try:
        return float(str(text).strip().replace("−", "-"))   # a typographic minus, pasted from the notes
    except ValueError:
        return float("nan")


def numbers(values: np.ndarray, typed: dict) -> np.ndarray:
    """`values` with the typed cells ({(row, col): text}) in place: NaN where a cell is not a number."""
    result = np.array(values, dtype=np.float64)
    for (r, c), text in typed.items():
        result[r, c] = number(text)
    return result


def kernel_grid(values: np.ndarray, typed: dict, *, key: str, label: str, bad: tuple[int, int] | None,
                on_edit: Callable[[], None] | None = None, slice_of: tuple[int, int] | None = None) -> None:
    """Draw `values` (k, k) with the cells in `typed` as typed, `bad` outlined; a committed edit is written
    into `typed` by the callback, before the rerun that shows it; then `on_edit` runs. `slice_of` = (kernel,
    channel) this grid edits: a good number is then announced on the page for the Lab's map view."""
    size = len(values)

    def keep() -> None:
        edit = (st.session_state.get(key) or {}).get("edit")
        if not isinstance(edit, dict):
            return
        cells = edit.get("cells")
        if isinstance(cells, list) and len(cells) == size and all(isinstance(r, list) and len(r) == size
                                                                  for r in cells):
            # The whole grid as it stands: cells edited faster than Python answered are all in it.
            for r, c in np.ndindex(size, size):
                text = str(cells[r][c])[:64]
                if text != shown(values[r, c]) or (r, c) in typed:
                    typed[(r, c)] = text
        elif {"row", "col", "text"} <= edit.keys() and 0 <= int(edit["row"]) < size and 0 <= int(edit["col"]) < size:
            typed[(int(edit["row"]), int(edit["col"]))] = str(edit["text"])[:64]
        else:
            return
        if on_edit is not None:
            on_edit()

    cells = [[typed.get((r, c), shown(values[r, c])) for c in range(size)] for r in range(size)]
    where = {"focus": slice_of[0], "channel": slice_of[1]} if slice_of and bad is None else {}
    _grid(key=key, data={"cells": cells, "label": label, "bad": list(bad) if bad else None, **where},
          on_edit_change=callback(keep))
