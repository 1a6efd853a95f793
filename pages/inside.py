"""Inside the Network: one input through every layer of the current model, its kernels, and why it chose."""

import streamlit as st

from cnn import inspect, viz
from pages.views import arithmetic, bars, controls, explain, filter_gallery, layers, model_menu, sources, text
from pages.views.language import tr
from pages.views.page import begin

begin("inside", "nav.inside")

model, spec, sidecar = model_menu.current_model_or_stop()
choice = model_menu.current_choice()
dataset = sidecar.get("dataset")
model_menu.caption(spec, sidecar)

source_col, picture_col, guess_col = st.columns([2, 1, 3])
with source_col:
    x = sources.inside_input(spec, dataset)
if x is None:
    st.stop()
look = explain.trace(choice, model, spec, x)
shown = x if x.ndim == 2 else x.transpose(1, 2, 0) if x.shape[0] == 3 else x.mean(0)   # colour stays colour
picture_col.image(viz.enlarge(shown, 140),
                  caption=tr("inside.input", shape=layers.shape_of(x)), width=140)
with guess_col:
    guess = tr("inside.guess", label=text.md(spec.classes[look.top]),
               p=viz.probability_text(look.probabilities[look.top]))
    st.markdown(f"**{tr('inside.softmax')}** — {guess}")
    bars.probability_bars(look.probabilities, spec.classes, look.top)

chosen = layers.layer_strip(model, spec, look)
convs = inspect.conv_layers(spec)
if convs and chosen == convs[0]:
    arithmetic.first_layer(model, spec, look.layers[chosen], chosen, x)

explain.why(choice, model, spec, look, x)

st.subheader(tr("filters.title"))
if controls.toggle(tr("filters.show"), "filters_show", help=tr("filters.show_help")):
    filter_gallery.filter_gallery(choice, model, spec, dataset)

layers.every_layer(look)
