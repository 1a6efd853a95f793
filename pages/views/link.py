"""Links that open a view: the Lab's whole state in the URL, so a shared link opens exactly that view.

Each field is one query parameter with its own reader and writer. A session's first run of the Lab
reads the link (restore); every run writes the current state back (store), so the address bar always
holds the link to what is on screen. A parameter that cannot be read (stale, typed by hand, from a newer
version) falls back to its default, and the page says which ones with a short notice, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnn import images, kernels
from pages.views import controls, lab_settings
from pages.views.assets import component
from pages.views.language import tr

MAX_NUMBERS = 4 * 3 * kernels.MAX_SIZE ** 2    # the most weights a link may carry


def _int(low: int, high: int) -> Callable[[str], int]:
    def read(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value
    return read


def _choice(options) -> Callable[[str], str]:
    def read(text: str) -> str:
        if text not in options:
            raise ValueError(text)
        return text
    return read


def _pair(low: int, high: int) -> Callable[[str], tuple[int, int]]:
    def read(text: str) -> tuple[int, int]:
        a, b = text.split(",")
        return _int(low, high)(a), _int(low, high)(b)
    return read


def _numbers(text: str) -> np.ndarray:
    parts = text.split(",")
    if len(parts) > MAX_NUMBERS:
        raise ValueError("too many numbers")
    values = np.array([float(p) for p in parts], dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(np.abs(values) > images.MAX_VALUE):
        raise ValueError("not finite")
    return values


def _write_numbers(values) -> str:
    return ",".join(repr(float(v)) for v in np.ravel(values))   # repr: the shortest text that reads back exactly


@dataclass(frozen=True)
class Field:
    param: str                          # the query parameter
    key: str                            # the kept control it sets
    read: Callable[[str], object]
    write: Callable[[object], str] = str


# Plain controls: one parameter each.
FIELDS = (
    Field("src", "source", _choice(("digit", "grid", "photo", "draw", "upload"))),
    Field("digit", "digit_index", _int(0, images.MNIST_5K_SIZE - 1)),
    Field("photo", "photo", _choice(images.PHOTOS)),
    Field("psize", "photo_size", _choice(("32", "64", "128", "256", "512"))),
    Field("rgb", "photo_rgb", _choice(("0", "1"))),
    # The Lab's controls, as their one description names and bounds them.
    *(Field(c.param, c.key, c.read) for c in lab_settings.LINKED),
    Field("cell", "cell", _pair(0, 4096), lambda v: f"{v[0]},{v[1]}"),
)
# Values that are not kept as widget types: converted on the way in.
_CONVERT = {"photo_size": int, "photo_rgb": lambda v: v == "1"}
_WRITE = {"photo_size": str, "photo_rgb": lambda v: "1" if v else "0"}


def restore_lab(set_kernels: Callable[[np.ndarray], None]) -> None:
    """On a session's first Lab run, take the Lab's state from the link. `set_kernels` stores an
    (M, C, k, k) bank. Unreadable parameters are named in a notice and left at their defaults."""
    state = st.session_state
    if state.get("lab_link_read"):
        return
    state.lab_link_read = True
    params = st.query_params
    ignored = []
    for field in FIELDS:
        if field.param not in params:
            continue
        try:
            value = field.read(params[field.param])
            controls.put(field.key, _CONVERT.get(field.key, lambda v: v)(value))
        except (ValueError, TypeError):
            ignored.append(field.param)
    if "grid" in params:
        try:
            values = _numbers(params["grid"])
            side = int(round(len(values) ** 0.5))
            if side * side != len(values) or not 3 <= side <= 8:
                raise ValueError("not a square grid")
            controls.put("grid_size", side)
            controls.kept()[f"grid_values_{side}"] = values.reshape(side, side)
            controls.kept().pop(f"grid_base_{side}", None)
        except (ValueError, TypeError):
            ignored.append("grid")
    if "w" in params:
        try:
            count, size = controls.get("n_filters", 1), controls.get("kernel_size", 3)
            values = _numbers(params["w"])
            channels = len(values) // (count * size * size)
            if channels not in (1, 3) or channels * count * size * size != len(values):
                raise ValueError("wrong number of weights")
            set_kernels(values.reshape(count, channels, size, size))
            for m in range(count):
                controls.put(f"preset_{m}", "custom")
        except (ValueError, TypeError):
            ignored.append("w")
    if "b" in params:
        try:
            for m, bias in enumerate(_numbers(params["b"])[:4]):
                controls.put(f"bias_{m}", float(bias))
        except (ValueError, TypeError):
            ignored.append("b")
    if ignored:
        state.lab_link_notice = tr("link.ignored", names=", ".join(ignored))


def notice() -> None:
    """The notice about a link's unreadable parameters, once."""
    message = st.session_state.pop("lab_link_notice", None)
    if message:
        st.toast(message, icon=":material/link_off:")
        st.info(message, icon=":material/link_off:")


def store_field(key: str) -> None:
    """Write one kept control into the address bar (a cell picked by a click reruns only the map view)."""
    for field in FIELDS:
        if field.key == key and controls.get(key) is not None:
            st.query_params[field.param] = _WRITE.get(key, field.write)(controls.get(key))


def store_lab(weights: np.ndarray, biases: np.ndarray) -> None:
    """Write the Lab's state into the address bar (keeping the language)."""
    values = {}
    for field in FIELDS:
        value = controls.get(field.key)
        if value is not None:
            values[field.param] = _WRITE.get(field.key, field.write)(value)
    if controls.get("source") == "grid":
        size = controls.get("grid_size", 6)
        grid = controls.get(f"grid_values_{size}")
        if grid is not None and np.all(np.isfinite(grid)):
            values["grid"] = _write_numbers(grid)
    values["w"] = _write_numbers(weights)
    values["b"] = _write_numbers(biases)
    current = st.query_params.to_dict()
    wanted = {"lang": current.get("lang", "en"), **values}
    if current != wanted:
        st.query_params.from_dict(wanted)


def lab_url(*, weights=None, biases=None, grid=None, **values) -> str:
    """The address that opens the Lab with these controls (keyed as kept: kernel_size=3, activation="none",
    source="grid"...), an (M, C, k, k) or (k, k) kernel and a grid of numbers. A key or value the Lab would
    not read raises ValueError, so a lesson's link cannot silently open another view."""
    fields = {f.key: f for f in FIELDS}
    query = []
    for key, value in values.items():
        field = fields[key]
        text = _WRITE.get(key, field.write)(value)
        field.read(text)                                  # raises when a link would not read back
        query.append(f"{field.param}={text}")
    if grid is not None:
        query.append(f"grid={_write_numbers(grid)}")
    if weights is not None:
        query.append(f"w={_write_numbers(weights)}")
    if biases is not None:
        query.append(f"b={_write_numbers(biases)}")
    return "/lab?" + "&".join(query)


_copy = component("cnn_lab_copy_link", "copy_link", isolate_styles=False)


def copy_button() -> None:
    """A button that copies this view's link."""
    _copy(key="copy_link", data={"labels": {"copy": tr("link.copy"), "copied": tr("link.copied"),
                                            "help": tr("link.copy_help")}}, width="content")
