"""Figures: the right trace for the map size, click targets per cell, overlays where asked."""

import numpy as np

from cnn import ops, viz


def test_small_map_is_a_heatmap_with_one_click_target_per_cell():
    values = np.arange(12.0).reshape(3, 4) - 5
    assert len(viz.map_figure(values).data) == 1   # no click layer unless asked: it is costly to draw
    fig = viz.map_figure(values, clickable=True)
    heatmap, targets = fig.data
    assert heatmap.type == "heatmap" and targets.type == "scatter"
    assert len(targets.x) == 12
    # Row-major: point 6 is row 1, column 2, and carries that cell's value.
    assert (targets.y[6], targets.x[6], targets.customdata[6]) == (1, 2, values[1, 2])
    assert heatmap.zmin == -heatmap.zmax == -6  # diverging scale centred on zero


def test_large_map_is_sent_as_one_png():
    fig = viz.map_figure(np.random.default_rng(0).normal(size=(200, 300)))
    assert [t.type for t in fig.data] == ["image"]
    assert fig.data[0].source.startswith("data:image/png;base64,")


def test_overlays_mark_padding_receptive_field_and_cell():
    fig = viz.map_figure(np.zeros((8, 8)), pads=((1, 1), (2, 2)),
                         receptive=(np.array([0, 2, 4]), np.array([1, 3, 5])), cell=(3, 3))
    fills = [s for s in fig.layout.shapes if s.fillcolor == viz.PADDING_FILL]
    assert len(fills) == 4                   # the four padding bands
    sampled = [s for s in fig.layout.shapes if s.fillcolor == "rgba(0, 200, 83, 0.15)"]
    assert len(sampled) == 9                 # one square per sampled pixel (dilation 2)
    assert (sampled[0].x0, sampled[0].y0) == (0.5, -0.5)


def test_colorize_uses_the_ends_of_the_scale():
    rgb = viz.colorize(np.array([[-2.0, 0.0, 2.0]]), signed=True)
    assert tuple(rgb[0, 0]) == (0x21, 0x66, 0xAC)
    assert np.abs(rgb[0, 1].astype(int) - 0xF7).max() <= 3     # zero sits on the white middle (256 steps)
    assert tuple(rgb[0, 2]) == (0xB2, 0x18, 0x2B)
    gray = viz.colorize(np.array([[0.0, 1.0]]), signed=False)
    assert tuple(gray[0, 0]) == (0, 0, 0) and tuple(gray[0, 1]) == (255, 255, 255)


def test_formula_shows_the_numbers_in_lesson_2s_form_unless_there_is_dilation():
    text = viz.size_formula_html("h", 28, 3, 2, (1, 1), 1, 14)
    assert text == "o<sub>h</sub> = ⌊ (28 + 2·1 − 3) / 2 ⌋ + 1 = <b>14</b>"          # ⌊(i + 2p − k)/s⌋ + 1
    assert "(6 + 1 + 2 − " in viz.size_formula_html("w", 6, 4, 1, (1, 2), 1, 6)
    dilated = viz.size_formula_html("h", 28, 3, 1, (0, 0), 2, 24)
    assert dilated == "o<sub>h</sub> = ⌊ (28 + 2·0 − 2·(3 − 1) − 1) / 1 ⌋ + 1 = <b>24</b>"
    assert ops.output_size(28, 3, 1, 0, 2) == 24 and ops.output_size(28, 3, 2, 1) == 14


def test_every_kind_of_figure_passes_plotly_validation():
    """map_figure skips plotly's validation for speed; here every variant is rebuilt with it on."""
    import plotly.graph_objects as go

    from cnn import ops

    rng = np.random.default_rng(1)
    figures = [
        viz.map_figure(rng.normal(size=(6, 6)), title="t", pads=((1, 1), (1, 1)), cell=(2, 2),
                       receptive=(np.array([0, 2]), np.array([1, 3])), show_colorbar=True, clickable=True),
        viz.map_figure(rng.normal(size=(40, 40)), signed=False),
        viz.map_figure(rng.normal(size=(100, 90))),
        viz.map_figure(rng.uniform(size=(3, 20, 20))),
        viz.map_figure(rng.uniform(size=(3, 80, 80))),
        viz.matrix_figure(ops.conv_weight_index((4, 4), (2, 2)), ops.conv_matrix((4, 4), np.ones((2, 2)))),
        viz.matrix_figure(ops.conv_weight_index((4, 4), (2, 2)), ops.conv_matrix((4, 4), np.eye(2)), kernel=np.eye(2)),
    ]
    for fig in figures:
        go.Figure(fig.to_dict())  # raises on any invalid property


def test_large_maps_are_palette_pngs_with_the_heatmap_colours():
    import base64
    import io

    from PIL import Image

    values = np.linspace(-1, 1, 100 * 100).reshape(100, 100)
    source = viz.map_figure(values).data[0].source
    img = Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("RGB")
    decoded = np.asarray(img)
    np.testing.assert_array_equal(decoded, viz.colorize(values, signed=True))


def test_large_map_png_carries_colours_and_overlays():
    import io

    from PIL import Image

    def decode(png):
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)

    values = np.linspace(-1, 1, 400 * 420).reshape(400, 420)   # large: one PNG pixel per cell
    plain = decode(viz.map_png(values))
    assert np.abs(plain - viz.colorize(values, signed=True)).max() <= 6   # 254 levels instead of 256
    marked = decode(viz.map_png(values, pads=((2, 2), (3, 3)), receptive=(np.arange(10, 13), np.arange(20, 23)),
                                cell=(50, 60)))
    assert marked.shape == (400, 420, 3)
    assert tuple(marked[1, 50]) == viz.ORANGE                 # the edge of the original image
    assert tuple(marked[9, 21]) == viz.GREEN                  # the receptive field's box
    assert tuple(marked[11, 21]) == tuple(plain[11, 21])      # what it encloses stays readable
    assert tuple(marked[50, 55]) == viz.GREEN                 # the chosen cell's box (margin 4)
    assert tuple(marked[50, 60]) == tuple(plain[50, 60])


def test_small_map_png_is_enlarged_with_overlays_on_cell_borders():
    import io

    from PIL import Image

    values = np.arange(20 * 20, dtype=float).reshape(20, 20)
    png = viz.map_png(values, signed=False, receptive=(np.array([2, 4]), np.array([6, 8])), cell=(10, 10))
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    scale = viz.DISPLAY_SIDE // 20
    assert pixels.shape == (20 * scale, 20 * scale, 3)
    inside = pixels[10 * scale + scale // 2, 10 * scale + scale // 2]
    assert tuple(pixels[10 * scale, 10 * scale + scale // 2]) == viz.GREEN     # the cell's top border
    assert tuple(inside) != viz.GREEN                                          # its inside stays its value
    assert tuple(pixels[2 * scale, 6 * scale + 3]) == viz.GREEN                # a sampled pixel (dilation 2)
    assert tuple(pixels[3 * scale + scale // 2, 7 * scale + scale // 2]) != viz.GREEN  # the gap between them


def test_picture_or_chart():
    assert viz.as_picture((512, 512), clickable=True)          # too many cells to click
    assert not viz.as_picture((26, 26), clickable=True)        # clickable maps stay charts
    assert viz.as_picture((26, 26), clickable=False)           # nothing to click or read: a picture
    assert not viz.as_picture((3, 6, 6), clickable=False)      # small grids keep their written values


def test_the_loss_curve_starts_at_step_0_and_turns_logarithmic_once_the_loss_falls_a_hundredfold():
    one = viz.loss_curve_figure([1.98], x_title="step", y_title="loss")
    assert list(one.data[0].x) == [0] and list(one.data[0].y) == [1.98]
    assert one.layout.yaxis.type == "linear" and one.layout.xaxis.range[0] < 0 < one.layout.xaxis.range[1]
    falling = [2.0 * 0.5 ** k for k in range(12)]
    assert viz.loss_curve_figure(falling, x_title="step", y_title="loss").layout.yaxis.type == "log"
    assert viz.loss_curve_figure(falling[:5] + [0.0], x_title="s", y_title="l").layout.yaxis.type == "linear"


def test_probabilities_never_round_to_certainty():
    assert viz.probability_text(1.0) == "> 99.9%" and viz.probability_text(0.99951) == "> 99.9%"
    assert viz.probability_text(0.9991) == "> 99.9%"         # 99.91% is above 99.9%, not "99.9%"
    assert viz.probability_text(0.999) == "99.9%" and viz.probability_text(0.5) == "50.0%"
    assert viz.probability_text(0.001) == "0.1%" and viz.probability_text(0.00099) == "< 0.1%"
    assert viz.probability_text(0.0) == "< 0.1%" and viz.probability_text(1e-9) == "< 0.1%"


def test_the_new_figures_pass_plotly_validation():
    import plotly.graph_objects as go

    rng = np.random.default_rng(2)
    a, b = np.linspace(-1, 1, 5), np.linspace(0, 2, 4)
    figures = [
        viz.confusion_figure(rng.integers(0, 900, (3, 3)), "%{customdata}", ["triangle", "circle", "rectangle"],
                             x_title="answer", y_title="true", count_title="images"),
        viz.landscape_figure(a, b, rng.uniform(size=(4, 5)), [0.1, 0.2], [1.0, 1.1], x_title="k[0, 0]",
                             y_title="k[1, 1]", loss_title="loss", start="start", now="now"),
        viz.loss_curve_figure([2.0, 0.5, 0.01, 0.001], x_title="steps", y_title="loss"),
        viz.compare_figure({"a": ([1, 2, 3], [0.5, 0.7, 0.8])}, x_title="epoch", y_title="accuracy"),
    ]
    for fig in figures:
        go.Figure(fig.to_dict())


def test_the_confusion_matrix_names_its_classes_on_both_axes():
    classes = ["triangle", "circle", "rectangle"]
    fig = viz.confusion_figure(np.array([[50, 2, 0], [1, 48, 3], [0, 0, 51]]), "%{customdata}", classes,
                               x_title="the network's answer", y_title="true class", count_title="images")
    layout = fig.layout
    assert list(layout.xaxis.ticktext) == classes and list(layout.yaxis.ticktext) == classes
    assert list(layout.xaxis.tickvals) == [0, 1, 2] and layout.xaxis.visible and layout.yaxis.visible
    assert layout.xaxis.title.text == "the network's answer" and layout.yaxis.title.text == "true class"
    heatmap = fig.data[0]
    assert heatmap.textfont.size >= 12 and heatmap.showscale and heatmap.colorbar.title.text == "images"
    assert list(heatmap.colorbar.ticktext) == ["0", "1", "10"]        # the colour bar reads in counts


def test_epochs_and_steps_are_whole_numbers_and_log_ticks_read_as_numbers():
    compare = viz.compare_figure({"a": (list(range(1, 24)), [0.5] * 23)}, x_title="epoch", y_title="accuracy")
    assert compare.layout.xaxis.dtick == 5 and compare.layout.xaxis.tickformat == "d"
    assert compare.layout.xaxis.title.text == "epoch" and compare.layout.yaxis.title.text == "accuracy"
    curve = viz.loss_curve_figure([3.0 * 0.5 ** k for k in range(40)], x_title="steps", y_title="loss")
    assert curve.layout.xaxis.dtick in (1, 2, 5, 10) and curve.layout.yaxis.type == "log"
    assert list(curve.layout.yaxis.ticktext) == ["10⁻¹²", "10⁻¹¹", "10⁻¹⁰", "10⁻⁹", "10⁻⁸", "10⁻⁷", "10⁻⁶",
                                                 "10⁻⁵", "10⁻⁴", "0.001", "0.01", "0.1", "1", "10"]
    assert viz.log_ticks(0.05, 2.0) == ([0.01, 0.1, 1.0, 10.0], ["0.01", "0.1", "1", "10"])


def test_colour_scales_as_css_run_from_the_low_end():
    assert viz.css_gradient("diverging").startswith("linear-gradient(to right, #2166ac 0%")
    assert viz.css_gradient("heat").endswith("#fcffa4 100%)") and viz.css_gradient("gray").count("#") == 2
    assert viz.map_range(np.array([[-2.0, 1.0]]), True) == (-2.0, 2.0)
    assert viz.map_range(np.array([[0.2, 0.7]]), False) == (0.2, 0.7)


def test_a_colour_bar_states_the_range_and_colours_a_map_is_drawn_with():
    """legend.map_bar's bar: the gradient of the maps' scale, its ends at the range map_png and map_figure colour
    with (signed maps: symmetric around 0)."""
    import re

    from pages.views import legend

    values = np.array([[-0.5, 2.0], [1.0, 0.0]])
    html = legend.colour_bar_html("diverging", *viz.map_range(values, True), middle="0")
    assert re.findall(r"<span>([^<]+)</span>", html) == ["−2", "0", "2"]
    assert viz.css_gradient("diverging") in html
    figure = viz.map_figure(values)
    assert (figure.data[0].zmin, figure.data[0].zmax) == viz.map_range(values, True) == (-2.0, 2.0)
    assert viz.map_range(np.array([[3.0, 5.0]]), False) == (3.0, 5.0)


def test_the_conv_matrix_colour_bar_names_each_shared_weight():
    from cnn import ops

    kernel = np.array([[1.0, -2.0], [0.5, 3.0]])
    figure = viz.matrix_figure(ops.conv_weight_index((3, 3), (2, 2)), ops.conv_matrix((3, 3), kernel), kernel=kernel,
                               rows_title="输出单元", cols_title="输入像素", entry_title="卷积核权重")
    bar = figure.data[0].colorbar
    assert figure.data[0].showscale and list(bar.tickvals) == [0, 1, 2, 3]
    assert list(bar.ticktext) == ["w[0,0] = 1", "w[0,1] = -2", "w[1,0] = 0.5", "w[1,1] = 3"]
    assert figure.layout.yaxis.title.text == "输出单元" and figure.layout.xaxis.title.text == "输入像素"


def test_a_colour_thumbnail_keeps_its_colours_and_pads_to_a_square():
    picture = np.zeros((2, 4, 3))
    picture[0, 0] = (1.0, 0.5, 0.0)
    big = viz.enlarge(picture, 8)
    assert big.shape == (8, 8, 3) and big.dtype == np.uint8
    np.testing.assert_array_equal(big[2, 0], [255, 128, 0])          # row 0 moved down by 1 cell (2 px) to centre
    np.testing.assert_array_equal(big[:2], 0)
    np.testing.assert_array_equal(viz.enlarge(picture[..., 0], 8), big[..., 0])   # gray as before


def test_an_accuracy_reads_as_a_percentage_or_a_dash_when_there_is_none():
    assert viz.accuracy_text(0.925) == "92.50%" and viz.accuracy_text(1) == "100.00%"
    assert viz.accuracy_text(None) == viz.accuracy_text(float("nan")) == "—"
