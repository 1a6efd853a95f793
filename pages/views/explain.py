"""What the current model makes of an input, cached per (model file, input, settings): a click or a
rerun never computes a trace, Grad-CAM, saliency or occlusion map twice; and `why`, the view that shows
them side by side. st.cache_data hands every
session its own copy, so nothing one session does to a result reaches another.

`model_key` names the model's file and version (the model object itself is shared and not hashed).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn import inspect, viz
from pages.views import controls, layers, legend, model_menu
from pages.views.language import tr


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


def why(choice: str, model, spec, look: inspect.Trace, x: np.ndarray) -> None:
    """Why this prediction: Grad-CAM (at a chosen layer), saliency and occlusion for a chosen class."""
    st.subheader(tr("inside.why"))
    target = controls.select(tr("inside.target"), list(range(len(spec.classes))), f"inside_target_{spec.name}",
                             default=look.top,
                             format_func=lambda k: f"{spec.classes[k]} ({viz.probability_text(look.probabilities[k])})")
    gray = x if x.ndim == 2 else x.mean(0)
    shown = st.columns(3)
    convs = inspect.conv_layers(spec)
    if convs:
        # Grad-CAM is defined on the last conv layer; earlier layers give finer (if less abstract) maps.
        spatial = [each.index for each in look.layers if each.values.ndim == 3 and each.index >= convs[0]]
        cam_at = controls.select(tr("inside.cam_layer"), spatial, f"inside_cam_{spec.name}",
                                 default=inspect.cam_layer(spec),
                                 format_func=lambda i: layers.layer_name(look.layers[i]))
        cam = grad_cam(choice, model, spec, x, target, cam_at)
        shown[0].image(viz.overlay(gray, cam["map"], side=224),
                       caption=tr("inside.gradcam", layer=cam["layer"] + 1), width="stretch")
        legend.colour_bar("heat", "0", "1", tr("legend.gradcam"), where=shown[0])
    else:
        shown[0].info(tr("inside.no_conv"))
    shown[1].image(viz.overlay(gray, saliency(choice, model, spec, x, target), side=224),
                   caption=tr("inside.saliency"), width="stretch")
    legend.colour_bar("heat", "0", "1", tr("legend.saliency"), where=shown[1])
    occ = occlusion(choice, model, spec, x, target)
    drop = np.clip(occ["map"], 0, None)
    shown[2].image(viz.overlay(gray, drop / drop.max() if drop.max() > 0 else drop, side=224),
                   caption=tr("inside.occlusion", patch=occ["patch"], p=viz.probability_text(occ["base"]),
                              worst=f"{100 * occ['map'].max():.1f}"), width="stretch")
    legend.colour_bar("heat", "0", f"{100 * drop.max():.1f}", tr("legend.occlusion"), where=shown[2])
    st.caption(tr("inside.why_help"))
