"""Each lesson's live view (pages/lessons.py): the Lab's map view, the channel sums, the conv-as-matrix view
or a summary table on a prepared input, and a link that opens the Lab in the same state."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import streamlit as st

from cnn import images, kernels, lessons, models, ops, viz
from pages.views import channel_maps, controls, conv_matrix, lab_maps, legend, link, network_editor
from pages.views.language import lang, tr


def _lab_link(**values) -> str:
    """A link that opens the Convolution Lab in a prepared state: controls named as the Lab keeps them
    (pages/views/lab_settings.py), checked by link.lab_url."""
    return f"{link.lab_url(**values)}&lang={lang()}"


def _maps(image: np.ndarray, kernel: np.ndarray, *, stride=(1, 1), padding=0, activation="none", pooling="none",
          key: str, **options) -> None:
    """The Lab's map view on a prepared input (one channel)."""
    feature = ops.conv2d(image, kernel, stride=stride, padding=padding)
    activated = ops.activate(feature, activation)
    pooled = ops.pool2d(activated, size=2, stride=2, mode=pooling) if pooling != "none" else None
    pads = ops.resolve_padding(padding, kernel.shape, (1, 1))
    lab_maps.lab_maps(padded=ops.pad(image[None], pads, "zeros"), pads=pads, kernel=kernel[None], bias=0.0,
                      stride=stride, dilation=1, feature=feature, activated=activated, pooled=pooled,
                      pool=(2, 2, pooling if pooling != "none" else "max"), activation=activation, focus=0, key=key,
                      **options)


def _shape(*sizes: int) -> str:
    return "×".join(str(v) for v in sizes)


def _png(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _kernel_text(kernel: np.ndarray) -> str:
    """A small kernel as aligned numbers (shown as text, never as Markdown)."""
    cells = [[f"{v:g}".replace("-", "−") for v in row] for row in kernel]
    width = max(len(c) for row in cells for c in row)
    return "\n".join(" ".join(c.rjust(width) for c in row) for row in cells)


def several_kernels() -> None:
    """Lesson 1: M line kernels on the 6x6 grid give M maps, stacked (M, 4, 4)."""
    st.subheader(tr("lesson.1.several.title"))
    st.markdown(tr("lesson.1.several.help"))
    count = controls.slider(tr("lesson.1.several.count"), 1, len(lessons.LINE_KERNELS), "lesson_1_kernels",
                            default=3)
    names, stack, maps = lessons.several_maps(count)
    st.markdown(tr("lesson.1.several.shape", m=count, shape=_shape(*maps.shape)))
    cols = st.columns(len(lessons.LINE_KERNELS))
    for m, name in enumerate(names):
        with cols[m]:
            st.caption(tr("lesson.1.several.kernel", n=m + 1, name=tr(f"lesson.1.line.{name}")))
            st.code(_kernel_text(stack[m]), language=None)
            st.caption(tr("lesson.1.several.map", n=m + 1, shape=_shape(*maps[m].shape)))
            st.image(viz.map_png(maps[m]), width="stretch")
            legend.map_bar(maps[m], True, tr("legend.value"))
    st.caption(tr("lesson.colours"))


def view_1() -> None:
    # The outputs' numbers stay hidden: the exercises ask for them. Pointing at a cell shows its arithmetic.
    _maps(images.SEED_GRID, lessons.DIAGONAL, key="lesson_1", numbers=False, start=(2, 3))
    url = _lab_link(source="grid", grid=images.SEED_GRID, kernel_size=3, weights=lessons.DIAGONAL, activation="none",
                    pooling="none", pad_kind="valid")
    st.link_button(tr("lessons.open_lab"), url, icon=":material/grid_on:")
    several_kernels()


def view_2() -> None:
    digit, _ = images.mnist_digit(0)
    _maps(digit, kernels.preset("sobel_x"), stride=(2, 2), padding=1, key="lesson_2")
    st.caption(tr("lesson.2.maps"))
    url = _lab_link(source="digit", digit_index=0, kernel_size=3, stride_h=2, stride_w=2, pad_kind="custom",
                    pad_amount=1, activation="none", pooling="none")
    st.link_button(tr("lessons.open_lab"), url, icon=":material/grid_on:")
    stride_side_by_side()


CELL_PX = 10        # the stride view draws every map at this many pixels a cell, so sizes compare by eye


def _cells(pixels: np.ndarray) -> np.ndarray:
    return np.repeat(np.repeat(pixels, CELL_PX, axis=0), CELL_PX, axis=1)


def stride_side_by_side() -> None:
    """Lesson 2: one digit and kernel at stride 1 and at stride s, drawn at the same scale, with the formula."""
    st.subheader(tr("lesson.2.side.title", s=controls.get("lesson_2_stride", 2)))
    st.markdown(tr("lesson.2.side.halve"))
    st.markdown(tr("lesson.2.side.same"))
    row = st.columns(2)
    with row[0]:
        stride = controls.slider(tr("lesson.2.side.stride"), 2, 4, "lesson_2_stride", default=2)
    with row[1]:
        padding = controls.slider(tr("lesson.2.side.padding"), 0, 2, "lesson_2_padding", default=1)
    digit, one, strided = lessons.stride_maps(stride, padding)
    kernel = kernels.preset(lessons.STRIDE_KERNEL).shape[0]
    # One colour scale for both maps: the same value has the same colour in each.
    colours = viz.colorize(np.concatenate([one.ravel(), strided.ravel()]), signed=True)
    one_px = colours[:one.size].reshape(*one.shape, 3)
    strided_px = colours[one.size:].reshape(*strided.shape, 3)
    marked = _cells(one_px)
    dot = slice(CELL_PX // 2 - 2, CELL_PX // 2 + 2)
    for r in range(0, one.shape[0], stride):          # the cells the larger stride keeps
        for c in range(0, one.shape[1], stride):
            marked[r * CELL_PX:(r + 1) * CELL_PX][dot, c * CELL_PX:(c + 1) * CELL_PX][:, dot] = 0
    size = digit.shape[0]
    st.markdown(tr("lesson.2.side.input", shape=_shape(*digit.shape), k=kernel))
    cols = st.columns(2)
    for column, s, pixels, shape in ((cols[0], 1, marked, one.shape),
                                     (cols[1], stride, _cells(strided_px), strided.shape)):
        with column:
            st.markdown(f"**{tr('lesson.2.side.map', s=s, shape=_shape(*shape))}**")
            st.image(_png(pixels), width=pixels.shape[1])
            st.code(f"o = ⌊({size} + 2·{padding} − {kernel}) / {s}⌋ + 1 = {shape[0]}", language=None)
    legend.map_bar(np.concatenate([one.ravel(), strided.ravel()]), True, tr("legend.value"))   # both maps' scale
    st.caption(tr("lesson.2.side.dots", s=stride, s2=2 * stride) + " " + tr(f"lesson.2.side.pad_{padding}") + " "
               + tr("lesson.colours"))


def view_3() -> None:
    photo = images.sample_photo("astronaut", rgb=True, size=64)
    kernel = np.stack([kernels.preset("sobel_x"), kernels.preset("sobel_y"), kernels.preset("laplacian")])
    bias = 0.1
    feature = ops.conv2d(photo, kernel[None], bias=np.array([bias]))[0]
    channel_maps.rgb_partials(photo, kernel, bias, feature)
    one_by_one_kernel()
    st.markdown(tr("lesson.3.layouts"))
    nchw, nhwc = ("N", "C", "H", "W"), ("N", "H", "W", "C")
    sizes = {"N": 16, "C": 3, "H": 32, "W": 32}
    cols = st.columns(2)
    for column, name, axes in ((cols[0], "NCHW (PyTorch)", nchw), (cols[1], "NHWC (TensorFlow / Keras)", nhwc)):
        column.markdown(f"**{name}** · ({', '.join(str(sizes[a]) for a in axes)})")
        column.dataframe(pd.DataFrame({tr("lesson.3.axis"): list(range(4)), tr("lesson.3.meaning"): list(axes),
                                       tr("lesson.3.size"): [sizes[a] for a in axes]}), hide_index=True)
    st.link_button(tr("lessons.open_lab"), _lab_link(source="photo", photo="astronaut", photo_rgb=True, photo_size=64,
                                                     kernel_size=3, weights=kernel, biases=[bias],
                                                     activation="none", pooling="none"),
                   icon=":material/grid_on:")


MIX_KEYS = {"R": "lesson_3_wr", "G": "lesson_3_wg", "B": "lesson_3_wb"}


def _apply_mix_preset() -> None:
    for key, weight in zip(MIX_KEYS.values(), lessons.MIX_PRESETS[controls.get("lesson_3_mix")], strict=True):
        controls.put(key, float(weight))


def one_by_one_kernel() -> None:
    """Lesson 3: one 1x1 kernel (w_R, w_G, w_B) on a colour photo: one map, the photo's height and width."""
    st.subheader(tr("lesson.3.mix.title"))
    st.markdown(tr("lesson.3.mix.help"))
    presets = list(lessons.MIX_PRESETS)
    controls.select(tr("lesson.3.mix.preset"), presets, "lesson_3_mix", widget=st.segmented_control,
                    format_func=lambda p: tr(f"lesson.3.mix.preset.{p}"), on_change=_apply_mix_preset)
    start = lessons.MIX_PRESETS[presets[0]]
    cols = st.columns(3)
    weights = []
    for column, (channel, key), default in zip(cols, MIX_KEYS.items(), start, strict=True):
        with column:
            weights.append(controls.slider(tr("lesson.3.mix.weight", channel=channel), -1.0, 1.0, key,
                                           default=float(default), step=0.001, format="%.3f"))
    photo, mixed = lessons.mix_channels(weights)
    before, after = _shape(*photo.shape), _shape(1, *mixed.shape)
    pictures = st.columns(2)
    with pictures[0]:
        st.markdown(f"**{tr('lesson.3.mix.input', shape=before)}**")
        st.image(viz.map_png(photo), width="stretch")
    with pictures[1]:
        st.markdown(f"**{tr('lesson.3.mix.output', shape=after)}**")
        st.image(viz.map_png(mixed, signed=bool(mixed.min() < 0)), width="stretch")
        legend.map_bar(mixed, bool(mixed.min() < 0), tr("legend.value"))
    st.caption(tr("lesson.colours"))
    st.markdown(tr("lesson.3.mix.kept", before=before, after=after))
    row, col = lessons.MIX_PIXEL
    r, g, b = (f"{photo[c, row, col]:.3f}" for c in range(3))
    wr, wg, wb = (f"{w:.3f}" for w in weights)
    st.code(tr("lesson.3.mix.pixel", row=row, col=col, wr=wr, r=r, wg=wg, g=g, wb=wb, b=b,
               value=f"{mixed[row, col]:.3f}"), language=None)


def view_4() -> None:
    digit, _ = images.mnist_digit(0)
    kernel = kernels.preset("sobel_x")
    _maps(digit, kernel, activation="relu", pooling="max", key="lesson_4")
    feature = ops.conv2d(digit, kernel)
    row = feature[int(np.argmax(np.abs(feature).max(axis=1)))]
    values = np.unique(np.round(row[row != 0], 3))[:8] if np.any(row) else np.linspace(-2, 2, 8)
    table = {"x": values}
    for name in ("relu", "leaky_relu", "sigmoid", "tanh"):
        table[tr(f"activation.{name}")] = ops.activate(values, name)
    exps = np.exp(values - values.max())
    table["softmax"] = exps / exps.sum()
    st.markdown(tr("lesson.4.values"))
    st.dataframe(pd.DataFrame(table).round(4), hide_index=True)


def view_5() -> None:
    image, kernel = images.SEED_GRID, lessons.DIAGONAL
    feature = ops.conv2d(image, kernel)
    counts = ops.connection_parameters(image.shape, kernel.shape)
    st.table(pd.DataFrame({tr("lab.params.kind"): [tr("lab.params.dense"), tr("lab.params.local"),
                                                   tr("lab.params.shared")],
                           tr("lab.params.count"): [f"{counts[k]:,}" for k in ("dense", "local", "shared")]})
             .set_index(tr("lab.params.kind")))
    conv_matrix.conv_matrix(image, kernel, 0.0, feature, stride=(1, 1), padding=0, dilation=1, pad_mode="zeros",
                            max_side=8, expanded=True, key="lesson_matrix")


def view_6() -> None:
    network_editor.summary_table(models.summary(models.preset("seed-mnist")))
    cols = st.columns(2)
    cols[0].page_link("pages/train.py", label=tr("lesson.6.open_train"), icon=":material/model_training:")
    cols[1].page_link("pages/draw.py", label=tr("lesson.6.open_draw"), icon=":material/draw:")


VIEWS = {1: view_1, 2: view_2, 3: view_3, 4: view_4, 5: view_5, 6: view_6}

# Lessons 7-9 (the lecture's ideas of shifts and layers, scaled pixels, dropout and the loss) live in their own module.
from pages.views import lesson_ideas  # noqa: E402

VIEWS.update(lesson_ideas.VIEWS)
