"""Draw & Predict: draw a digit, watch the current model read it, see the preprocessing and a glimpse inside."""

import html

import numpy as np
import streamlit as st

from cnn import datasets, preprocess, viz
from pages.views import bars, controls, draw_pad, errors, explain, layers, legend, model_menu, phone, sidebar, sources
from pages.views.language import tr
from pages.views.page import begin
from pages.views.text import md

begin("draw", "nav.draw", subtitle_key="", help_key="")

model, spec, sidecar = model_menu.current_model_or_stop()
dataset = sidecar.get("dataset")
subject = datasets.subject(dataset)    # "Draw a digit", "Draw a shape", "Draw one of your classes (✓, ✗, ○)"
st.caption(tr(f"draw.subtitle.{subject}", classes=tr("list_separator").join(md(c) for c in spec.classes)))
sidebar.help_box("draw", f"draw.help.{subject}")
framing = preprocess.framing_for(dataset, spec.input_shape[-1])
model_menu.caption(spec, sidecar)

source = controls.select(tr("draw.source"), ("draw", "sample", "upload"), "draw_source", widget=st.radio,
                         horizontal=True, format_func=lambda s: tr(f"draw.source.{s}"))


@errors.fragment
def reader(source: str, model, spec, dataset, framing, subject: str) -> None:
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
            colour = spec.input_shape[0] == 3      # a colour model reads a colour picture in colour
            raw = sources.upload("draw_upload", rgb=colour)
            if raw is not None and colour:
                raw = preprocess.colour_picture(raw, spec.input_shape[-1]).transpose(1, 2, 0)
    with right:
        read(raw, model, spec, framing, subject, seq)


def top_label_html(label: str) -> str:
    """The top guess, large. It wraps only between words (each word is one unbreakable span: no
    "tria/ngl/e"), and its font shrinks so the longest word fits the column (1cqi = 1% of its width)."""
    words = str(label).split() or [""]
    longest = max(len(w) for w in words)
    spans = " ".join(f'<span style="white-space:nowrap">{html.escape(w)}</span>' for w in words)
    # A glyph is at most about 0.62 em wide in the app's bold font: `longest` of them fill 100cqi at 100/0.62/n.
    size = f"min(5em, {100 / (0.62 * max(longest, 1)):.2f}cqi)"
    return (f"<div style='container-type:inline-size;width:100%'><div data-testid='top-guess' "
            f"style='font-size:{size};font-weight:700;line-height:1.05;text-align:center;"
            f"overflow-wrap:normal;word-break:keep-all;hyphens:none'>{spans}</div></div>")


def _colour_sample(raw, spec) -> bool:
    """An (H, W, 3) picture for a colour model at its input size: a sample of its set, or an upload made so."""
    return (raw is not None and np.ndim(raw) == 3 and np.shape(raw)[-1] == 3 and spec.input_shape[0] == 3
            and tuple(np.shape(raw)[:2]) == tuple(spec.input_shape[1:]))


def read(raw, model, spec, framing, subject: str, seq: int = 0) -> None:
    """The top guess, every class's probability, the preprocessing steps and a glimpse inside."""
    if raw is None:
        st.info(tr(f"draw.empty.{subject}"))
        return
    if _colour_sample(raw, spec):     # a colour sample or upload, already at the input size: read in colour
        stages, x = [("drawn", raw)], np.asarray(raw, dtype=np.float64).transpose(2, 0, 1)
    else:
        try:
            stages = preprocess.steps(raw, framing)
        except preprocess.EmptyDrawing as exc:
            st.info(tr(f"draw.{exc.code}.{subject}"))
            return
        x = stages[-1][1]
        if spec.input_shape[0] > 1:      # a drawing is gray: the same in each colour channel of an RGB model
            x = np.repeat(x[None], spec.input_shape[0], axis=0)
    look = explain.trace(model_menu.current_choice(), model, spec, x)
    probs, top = look.probabilities, look.top
    st.session_state.drawn_input = x   # the Inside page starts from what was drawn here

    guess, chart = st.columns([1, 3])
    guess = guess.container(key="draw_guess")      # on a phone, pinned to the bottom of the screen while drawing
    phone.pin_to_bottom("draw_guess")
    guess.markdown(top_label_html(spec.classes[top]), unsafe_allow_html=True)
    # The sentence may wrap, never inside the number ("> 99.9%" stays on one line).
    number = f"<span style='white-space:nowrap'>{html.escape(viz.probability_text(probs[top]))}</span>"
    confidence = html.escape(tr("draw.confidence", p="\x00")).replace("\x00", number)
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
            layers.own_scale(bool(first.values.min() < 0), where=a)
            b.image(viz.overlay(x, cam["map"], side=168), caption=tr("draw.gradcam", label=md(spec.classes[top])))
            legend.colour_bar("heat", "0", "1", tr("legend.gradcam"), where=b, width=168)
        st.page_link("pages/inside.py", label=tr("draw.open_inside"), icon=":material/layers:")


reader(source, model, spec, dataset, framing, subject)
