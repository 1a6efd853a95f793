"""Draw & Predict: draw a digit, watch the current model read it, see the preprocessing and a glimpse inside."""

import numpy as np
import streamlit as st

from cnn import preprocess, viz
from pages.views import bars, controls, draw_pad, errors, explain, model_menu, sources, text
from pages.views.language import tr
from pages.views.page import begin

begin("draw", "nav.draw")

model, spec, sidecar = model_menu.current_model_or_stop()
dataset = sidecar.get("dataset")
framing = preprocess.framing_for(dataset, spec.input_shape[-1])
model_menu.caption(spec, sidecar)

source = controls.select(tr("draw.source"), ("draw", "sample", "upload"), "draw_source", widget=st.radio,
                         horizontal=True, format_func=lambda s: tr(f"draw.source.{s}"))


@errors.fragment
def reader(source: str, model, spec, dataset, framing) -> None:
    """The input and what the model reads in it. A fragment: each send of the pad reruns only this."""
    left, right = st.columns([2, 3], gap="large")
    with left:
        raw, seq = None, 0
        if source == "draw":
            stroke = controls.slider(tr("draw.stroke"), 6, 40, "draw_stroke", default=20)
            raw, seq = draw_pad.draw_pad("draw_pad", stroke)
            st.caption(tr("draw.canvas_help"))
        elif source == "sample":
            raw = sources.sample(spec, dataset, "draw_sample", start=7)
            if raw is not None and raw.ndim == 3:          # (C, H, W) colour -> (H, W, C), as a picture
                raw = raw.transpose(1, 2, 0)
        else:
            raw = sources.upload("draw_upload")
    with right:
        read(raw, model, spec, framing, seq)


def read(raw, model, spec, framing, seq: int = 0) -> None:
    """The top guess, every class's probability, the preprocessing steps and a glimpse inside."""
    if raw is None:
        st.info(tr("draw.empty"))
        return
    try:
        stages = preprocess.steps(raw, framing)
    except preprocess.EmptyDrawing as exc:
        st.info(tr(f"draw.{exc.code}"))
        return
    x = stages[-1][1]
    if spec.input_shape[0] > 1:
        x = np.repeat(x[None], spec.input_shape[0], axis=0)
    look = explain.trace(model_menu.current_choice(), model, spec, x)
    probs, top = look.probabilities, look.top
    st.session_state.drawn_input = x   # the Inside page starts from what was drawn here

    guess, chart = st.columns([1, 3])
    guess.markdown(f"<div style='font-size:5em;font-weight:700;line-height:1;text-align:center' "
                   f"data-testid='top-guess'>{text.html_text(spec.classes[top])}</div>", unsafe_allow_html=True)
    confidence = tr("draw.confidence", p=f"{100 * probs[top]:.1f}%")
    guess.markdown(f"<div style='text-align:center;font-size:1.2em'>{confidence}</div>", unsafe_allow_html=True)
    with chart:
        bars.probability_bars(probs, spec.classes, top, answers=seq)

    st.markdown(f"**{tr('draw.steps')}**")
    cells = st.columns(len(stages))
    for cell, (name, picture) in zip(cells, stages):
        size = f"{picture.shape[0]}×{picture.shape[1]}"
        cell.image(viz.enlarge(picture, 112), caption=f"{tr(f'preprocess.{name}')} · {size}", width=112)

    with st.expander(tr("draw.inside"), expanded=True):
        first = next((layer for layer in look.layers if layer.kind == "conv"), None)
        a, b = st.columns([3, 2])
        if first is not None:
            cam = explain.grad_cam(model_menu.current_choice(), model, spec, x, top)
            a.image(viz.mosaic_picture(first.values, side=360),
                    caption=tr("draw.first_maps", n=first.values.shape[0],
                               shape="×".join(map(str, first.values.shape))))
            b.image(viz.overlay(x, cam["map"], side=168), caption=tr("draw.gradcam", label=spec.classes[top]))
        st.page_link("pages/inside.py", label=tr("draw.open_inside"), icon=":material/layers:")


reader(source, model, spec, dataset, framing)
