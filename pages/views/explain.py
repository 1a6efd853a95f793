"""What the current model makes of an input, cached per (model file, input, settings): a click or a
rerun never computes a trace, Grad-CAM, saliency or occlusion map twice. st.cache_data hands every
session its own copy, so nothing one session does to a result reaches another.

`model_key` names the model's file and version (the model object itself is shared and not hashed).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn import inspect
from pages.views import model_menu


def _key(choice: str) -> str:
    path = model_menu.model_path(choice).with_suffix(".safetensors")
    return f"{choice}@{path.stat().st_mtime if path.exists() else 0}"


@st.cache_data(max_entries=64, show_spinner=False)
def _trace(model_key: str, _model, _spec, x: np.ndarray) -> inspect.Trace:
    return inspect.trace(_model, _spec, x)


@st.cache_data(max_entries=64, show_spinner=False)
def _grad_cam(model_key: str, _model, _spec, x: np.ndarray, target: int, layer: int | None) -> dict:
    return inspect.grad_cam(_model, _spec, x, target=target, layer=layer)


@st.cache_data(max_entries=64, show_spinner=False)
def _saliency(model_key: str, _model, _spec, x: np.ndarray, target: int) -> np.ndarray:
    return inspect.saliency(_model, _spec, x, target)


@st.cache_data(max_entries=64, show_spinner=False)
def _occlusion(model_key: str, _model, _spec, x: np.ndarray, target: int) -> dict:
    return inspect.occlusion(_model, _spec, x, target)


def _input(x) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64)


def trace(choice: str, model, spec, x) -> inspect.Trace:
    return _trace(_key(choice), model, spec, _input(x))


def grad_cam(choice: str, model, spec, x, target: int, layer: int | None = None) -> dict:
    return _grad_cam(_key(choice), model, spec, _input(x), int(target), layer)


def saliency(choice: str, model, spec, x, target: int) -> np.ndarray:
    return _saliency(_key(choice), model, spec, _input(x), int(target))


def occlusion(choice: str, model, spec, x, target: int) -> dict:
    return _occlusion(_key(choice), model, spec, _input(x), int(target))
