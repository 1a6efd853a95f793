"""Draw & Predict: draw a digit, watch the current model read it, see the preprocessing and a glimpse inside."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnn import data, images, inspect, preprocess, viz
from pages._ui import current_model_or_stop, model_caption, sample_image, sidebar_help, tr

st.title(tr("nav.draw"))
st.caption(tr("draw.subtitle"))
sidebar_help("draw")

model, spec, sidecar = current_model_or_stop()
dataset = sidecar.get("dataset")
framing = preprocess.framing_for(dataset, spec.input_shape[-1])
st.caption(model_caption(spec, sidecar))

left, right = st.columns([2, 3], gap="large")
with left:
    source = st.radio(tr("draw.source"), ("draw", "sample", "upload"), horizontal=True, key="draw_source",
                      format_func=lambda s: tr(f"draw.source.{s}"))
    raw = None
    if source == "draw":
        from streamlit_drawable_canvas import st_canvas  # only importable inside a running app

        stroke = st.slider(tr("draw.stroke"), 6, 40, 20, key="draw_stroke")
        drawing = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                            height=280, width=280, drawing_mode="freedraw", return_image_data=True,
                            key="draw_canvas")
        st.caption(tr("draw.canvas_help"))
        raw = drawing.image_data
    elif source == "sample":
        if st.button(tr("draw.another"), icon=":material/casino:", key="draw_another"):
            st.session_state.draw_sample = int(np.random.default_rng().integers(0, 1_000_000))
        index = st.session_state.setdefault("draw_sample", 7)
        try:
            raw, label = sample_image(dataset, spec, index)
            if raw.ndim == 3:                  # (C, H, W) colour -> (H, W, C), as a picture
                raw = raw.transpose(1, 2, 0)
            st.caption(tr("draw.sample_label", label=label))
        except data.DatasetUnavailable as exc:
            st.warning(str(exc))
    else:
        upload = st.file_uploader(tr("draw.upload"), type=["png", "jpg", "jpeg"], key="draw_upload")
        st.caption(tr("draw.upload_help"))
        if upload is not None:
            try:
                raw = images.load_upload(upload.getvalue())
            except images.ImageError as exc:
                st.error(tr(f"lab.error.{exc.code}", detail=str(exc)))

with right:
    if raw is None:
        st.info(tr("draw.empty"))
        st.stop()
    try:
        stages = preprocess.steps(raw, framing)
    except preprocess.EmptyDrawing as exc:
        st.info(tr(f"draw.{exc.code}"))
        st.stop()
    except ValueError as exc:
        st.error(str(exc))
        st.stop()
    x = stages[-1][1]
    if spec.input_shape[0] > 1:
        x = np.repeat(x[None], spec.input_shape[0], axis=0)
    look = inspect.trace(model, spec, x)   # one forward pass: the probabilities and the glimpse inside
    probs, top = look.probabilities, look.top
    st.session_state.drawn_input = x   # the Inside page starts from what was drawn here

    guess, chart = st.columns([1, 3])
    guess.markdown(f"<div style='font-size:5em;font-weight:700;line-height:1;text-align:center' "
                   f"data-testid='top-guess'>{spec.classes[top]}</div>", unsafe_allow_html=True)
    confidence = tr("draw.confidence", p=f"{100 * probs[top]:.1f}%")
    guess.markdown(f"<div style='text-align:center;font-size:1.2em'>{confidence}</div>", unsafe_allow_html=True)
    colours = ["#e53935" if k == top else "#90a4ae" for k in range(len(probs))]
    bars = go.Figure(go.Bar(x=[str(c) for c in spec.classes], y=probs, marker_color=colours,
                            text=[f"{100 * p:.0f}%" if p >= 0.01 else "" for p in probs], textposition="outside",
                            hovertemplate="%{x}: %{y:.2%}<extra></extra>"))
    bars.update_layout(height=240, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(range=[0, 1.15], tickformat=".0%"),
                       xaxis=dict(type="category"))
    chart.plotly_chart(bars, key="draw_probs", config={"displayModeBar": False})

    st.markdown(f"**{tr('draw.steps')}**")
    cells = st.columns(len(stages))
    for cell, (name, picture) in zip(cells, stages):
        size = f"{picture.shape[0]}×{picture.shape[1]}"
        cell.image(viz.enlarge(picture, 112), caption=f"{tr(f'preprocess.{name}')} · {size}", width=112)

    with st.expander(tr("draw.inside"), expanded=True):
        first = next((layer for layer in look.layers if layer.kind == "conv"), None)
        cam = inspect.grad_cam(model, spec, x, target=top) if first is not None else None
        a, b = st.columns([3, 2])
        if first is not None:
            a.image(viz.mosaic_picture(first.values, side=360),
                    caption=tr("draw.first_maps", n=first.values.shape[0],
                               shape="×".join(map(str, first.values.shape))))
            b.image(viz.overlay(x, cam["map"], side=168),
                    caption=tr("draw.gradcam", label=spec.classes[top]))
        st.page_link("pages/inside.py", label=tr("draw.open_inside"), icon=":material/layers:")
