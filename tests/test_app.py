"""The app, headless (streamlit.testing): every page renders in both languages, and the Lab reacts."""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from cnn import images, kernels, ops
from pages import registry

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = [entry.file for entry in registry.PAGES]


def _open(page: str, lang: str = "en") -> AppTest:
    """Open a shared link (?lang=...) on the home page, then go to `page` as the sidebar would."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def _lab(lang: str = "en") -> AppTest:
    return _open("pages/lab.py", lang)


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
    parts += [e.value for e in at.error] + [i.value for i in at.info] + [s.value for s in at.subheader]
    return "\n".join(parts)


def _output_shape(at: AppTest) -> tuple[int, int]:
    """(H', W') as the two substituted formulas state it."""
    formula = next(m.value for m in at.markdown if "size-formula" in m.value)
    rows, cols = (int(n) for n in re.findall(r"= <b>(\d+)</b>", formula))
    return rows, cols


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_both_languages(page, lang):
    at = _open(page, lang)
    assert at.title, "every page has a title"
    has_chinese = bool(re.search(r"[\u4e00-\u9fff]", at.title[0].value))
    assert has_chinese == (lang == "zh")


def test_language_switch_in_the_sidebar_changes_the_page_and_the_url():
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert at.title[0].value.startswith("CNN Lab — see how")
    at.sidebar.selectbox(key="language_choice").set_value("zh").run()
    assert at.title[0].value.startswith("CNN Lab —— 看卷积神经网络")
    at.switch_page("pages/lab.py").run()        # the choice follows the user to other pages
    assert at.title[0].value == "卷积实验室"


def test_changing_the_stride_changes_the_output_shape():
    at = _lab()
    assert _output_shape(at) == (26, 26)         # 28x28 digit, 3x3 kernel, no padding
    _control(at, "stride_h", 2)
    assert _output_shape(at) == (13, 26)
    assert "Feature map · 13×26" in _maps(at)["titles"]
    _control(at, "pad_kind", "same")
    assert _output_shape(at) == (14, 28)


def _components(at: AppTest) -> list:
    """Every Components v2 element the last run drew."""
    found = []

    def walk(node):
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else []):
            if child.type == "bidi_component":
                found.append(child)
            walk(child)

    walk(at._tree)
    return found


def _component(at: AppTest, key: str) -> dict:
    """The data the last run sent to our control for the kept value `key` (a live slider, menu or number)."""
    return next(json.loads(c.proto.json) for c in _components(at) if json.loads(c.proto.json).get("key") == key)


def _control(at: AppTest, key: str, value) -> AppTest:
    """Set one of the Lab's own controls (a live slider, menu or number field: components AppTest cannot
    operate) as the browser does: the component's trigger carries the value, its callback keeps it and reruns
    what it reruns. The whole page runs first when the last run did not draw the control."""
    nodes = [c for c in _components(at) if json.loads(c.proto.json).get("key") == key]
    if not nodes:
        at.run()
        nodes = [c for c in _components(at) if json.loads(c.proto.json).get("key") == key]
    node = nodes[0]
    event = "value" if node.proto.component_name == "cnn_lab_live_slider" else "pick"
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=_make_trigger_id(node.proto.id, "events"),
                                      json_trigger_value=json.dumps([{"event": event, "value": value}])))
    return at._run(states)


def _maps(at: AppTest) -> dict:
    """What the Lab sends its map view: the JSON, with every array decoded."""
    data = [json.loads(c.proto.json) for c in _components(at) if c.proto.component_name == "cnn_lab_maps"][-1]
    for name in ("input", "kernel", "feature", "activated", "pooled"):
        if data[name] is not None:
            m = data[name]
            values = np.frombuffer(base64.b64decode(m["b64"]), "<f8" if m["dtype"] == "f8" else "<f4")
            data[name] = values.reshape(m["c"], m["h"], m["w"])
    return data


def test_the_map_view_gets_the_lecture_example():
    at = _lab()
    at.selectbox(key="source").set_value("grid").run()
    at.selectbox(key="preset_0").set_value("diagonal").run()
    _control(at, "activation", "none")
    assert not at.exception
    data = _maps(at)
    np.testing.assert_array_equal(data["input"][0], images.SEED_GRID)
    np.testing.assert_array_equal(data["kernel"][0], kernels.preset("diagonal"))
    np.testing.assert_array_equal(data["feature"][0], ops.conv2d(images.SEED_GRID, kernels.preset("diagonal")))
    assert data["feature"][0][0, 2] == -3
    assert "Feature map · 4×4" in data["titles"]
    assert data["stride"] == [1, 1] and data["dilation"] == 1 and data["bias"] == 0


def _keys(at: AppTest) -> set[str]:
    """The keys of the controls the last run drew (Streamlit's and ours)."""
    ours = {json.loads(c.proto.json).get("key") for c in _components(at)} - {None}
    return {w.key for w in at.main.get("selectbox") + at.main.get("number_input")} | ours


def test_a_value_change_reruns_only_the_outputs_and_a_reshaping_change_the_cards():
    at = _lab()
    assert {"activation", "bias_0", "n_filters"} <= _keys(at)
    _control(at, "bias_0", 0.5)
    # Only the outputs ran (the browser keeps the cards; AppTest shows only what the run drew)...
    assert not at.exception and _keys(at) == set()
    data = _maps(at)
    assert data["bias"] == 0.5
    # The default digit with valid padding: the padded input is the digit itself.
    reference = F.conv2d(torch.tensor(data["input"][None]), torch.tensor(data["kernel"][None]),
                         bias=torch.tensor([0.5], dtype=torch.float64))
    np.testing.assert_allclose(data["feature"][0], reference[0, 0].numpy(), atol=1e-12)
    at.run()
    assert _maps(at)["bias"] == 0.5 and _component(at, "bias_0")["value"] == 0.5   # ...and the value is kept
    _control(at, "pooling", "none")      # the window sliders go: the cards rerun too
    assert {"activation", "pooling"} <= _keys(at) and _maps(at)["pooled"] is None


def test_kernel_larger_than_the_padded_input_gives_a_message_not_a_traceback():
    at = _lab()
    at.selectbox(key="source").set_value("grid").run()
    at.slider(key="grid_size").set_value(4).run()
    _control(at, "kernel_size", 7)
    assert not at.exception
    assert "the output would be empty" in " ".join(e.value for e in at.error)
    _control(at, "pad_kind", "full")   # the page recovers
    assert not at.error and _output_shape(at) == (10, 10)


def test_reflect_padding_wider_than_the_input_is_explained():
    at = _lab()
    at.selectbox(key="source").set_value("grid").run()
    _control(at, "pad_kind", "custom")
    _control(at, "pad_amount", 6)
    _control(at, "pad_mode", "reflect")
    assert not at.exception
    assert "must be smaller than the input" in " ".join(e.value for e in at.error)


def test_empty_canvas_asks_for_a_drawing():
    at = _lab()
    at.selectbox(key="source").set_value("draw").run()
    assert not at.exception
    assert "The canvas is empty" in " ".join(w.value for w in at.warning)


def test_several_kernels_make_several_maps_and_rgb_shows_the_channel_sum():
    at = _lab()
    at.number_input(key="n_filters").set_value(3).run()
    assert "All 3 feature maps · 3×26×26" in _texts(at)
    legends = [m.value for m in at.markdown if 'data-testid="colour-legend"' in m.value]
    assert len(legends) == 3                               # a colour bar with its values under each kernel's map
    maps = _maps(at)
    m = float(np.abs(maps["feature"]).max())
    assert f'data-range="{-m!r},{m!r}"' in legends[0]      # the first kernel's map is the one the main view shows
    at.selectbox(key="source").set_value("photo").run()
    at.toggle(key="photo_rgb").set_value(True).run()
    assert not at.exception
    assert "Colour input: one kernel slice per channel" in _texts(at)
    legends = sum('data-testid="colour-legend"' in m.value for m in at.markdown)
    assert legends == 5 + 3                                # R, G, B, Σ, Σ + b, and the 3 kernels' maps
    assert "Input · 3×64×64" in _maps(at)["titles"]     # no padding: the input, not a "padded" one
    assert _maps(at)["input"].shape == (3, 64, 64) and _maps(at)["kernel"].shape == (3, 3, 3)


def test_conv_as_matrix_and_parameter_counts_for_the_6x6_example():
    at = _lab()
    at.selectbox(key="source").set_value("grid").run()
    assert "W · x + b equals the feature map" not in _texts(at)      # closed expanders draw nothing
    at.session_state["lab_matrix"] = True                            # as opening them does
    at.session_state["lab_params"] = True
    at.run()
    text = _texts(at)
    assert "W · x + b equals the feature map" in text
    matrix = next(json.loads(c.proto.spec) for c in at.get("plotly_chart"))["data"][0]
    assert matrix["showscale"] and len(matrix["colorbar"]["ticktext"]) == 9    # each shared weight named
    assert matrix["colorbar"]["ticktext"][0].startswith("w[0,0] = ")
    counts = at.table[0].value.iloc[:, 0].tolist()
    assert counts == ["576", "144", "9"]
    at.number_input(key="calc_h").set_value(28).run()
    at.number_input(key="calc_w").set_value(28).run()
    at.number_input(key="calc_k").set_value(5).run()
    at.number_input(key="calc_f").set_value(10).run()
    at.checkbox(key="calc_b").check().run()
    assert at.table[0].value.iloc[2, 0] == "260"     # 10 filters of 5x5 with biases


def test_pooling_window_larger_than_the_map_is_explained():
    at = _lab()
    at.selectbox(key="source").set_value("grid").run()
    at.slider(key="grid_size").set_value(3).run()
    _control(at, "pool_size", 2)
    _control(at, "kernel_size", 3)   # 3x3 input, 3x3 kernel -> 1x1 map
    assert not at.exception
    assert "larger than the 1×1 map" in _maps(at)["no_pooling"]
    assert _maps(at)["pooled"] is None


def test_the_grid_keeps_its_size_and_numbers_after_a_trip_to_another_source():
    at = _lab()
    at.selectbox(key="source").set_value("grid").run()
    at.slider(key="grid_size").set_value(4).run()
    typed = np.arange(16, dtype=np.float64).reshape(4, 4)
    at.session_state["kept"]["grid_values_4"] = typed    # what the editor saved after the user typed
    at.selectbox(key="source").set_value("digit").run()
    assert "grid_editor_4" not in at.session_state       # Streamlit dropped the editor's own state...
    at.selectbox(key="source").set_value("grid").run()
    assert not at.exception
    assert at.slider(key="grid_size").value == 4         # ...but the size and the numbers come back
    np.testing.assert_array_equal(at.session_state["kept"]["grid_values_4"], typed)


def _lab_link(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in {"lang": "en", **params}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/lab.py").run()
    assert not at.exception, at.exception
    return at


def test_a_link_opens_exactly_the_view_it_holds():
    grid = np.arange(25, dtype=np.float64).reshape(5, 5) / 10
    kernel = np.array([[0.5, -1.25, 0.0], [2.0, 1.0, -0.125], [0.0, 3.5, -2.0]])
    at = _lab_link(src="grid", grid=",".join(repr(float(v)) for v in grid.ravel()), k="3",
                   w=",".join(repr(float(v)) for v in kernel.ravel()), b="0.75", sh="2", sw="1", pad="custom", padn="1",
                   act="tanh", pool="none", cell="1,2")
    data = _maps(at)
    np.testing.assert_array_equal(data["input"][0, 1:-1, 1:-1], grid)
    np.testing.assert_array_equal(data["kernel"][0], kernel)
    want = ops.conv2d(grid, kernel, stride=(2, 1), padding=1, bias=np.array([0.75]))
    np.testing.assert_array_equal(data["feature"][0], want)
    np.testing.assert_array_equal(data["activated"][0], np.tanh(want))
    assert data["pooled"] is None and data["cell"] == [1, 2] and data["stride"] == [2, 1] and data["bias"] == 0.75
    # ...and the page writes the same state back into the address bar.
    assert at.query_params["sh"] == "2" and at.query_params["act"] == "tanh"
    assert at.query_params["fill"] == "zeros" and at.query_params["d"] == "1"    # not in the link: written
    assert at.query_params["w"] == ",".join(repr(float(v)) for v in kernel.ravel())


def test_bad_or_stale_link_parameters_fall_back_with_a_notice():
    at = _lab_link(sh="9", act="softplus", w="1,2,3", grid="1,2,nan", digit="7", cell="x")
    assert not at.exception
    notice = " ".join(i.value for i in at.info)
    for name in ("sh", "act", "w", "cell"):
        assert name in notice
    data = _maps(at)
    assert data["stride"] == [1, 1]                               # the default, not 9
    assert data["input"].shape == (1, 28, 28)                      # digit 7 was readable and is used
    np.testing.assert_array_equal(data["input"][0], images.mnist_digit(7)[0])


def test_the_input_is_called_padded_only_with_padding_and_no_activation_has_no_panel_of_its_own():
    at = _lab()
    titles = _maps(at)["titles"]
    assert titles[0] == "Input · 1×28×28" and titles[2] == "After ReLU · 26×26"
    _control(at, "pad_kind", "same")
    assert _maps(at)["titles"][0] == "Padded input · 1×30×30"
    at.run()                                     # the whole page again (the change reran only the outputs)
    _control(at, "activation", "none")
    titles = _maps(at)["titles"]
    assert titles[2] is None                     # the panel is hidden: it would repeat the feature map
    assert not any("No activation" in (t or "") for t in titles)


def test_the_pooled_cell_shown_is_the_one_whose_window_holds_the_picked_cell():
    """The issue's example: cell (7, 11) picked, max pool 2 stride 2: pooled cell (3, 5), not (6, 9)."""
    at = _lab()
    at.session_state["kept"]["pool_cell"] = (6, 9)          # a pooled cell picked before, elsewhere
    at.session_state["kept"]["cell"] = (7, 11)
    at.run()
    data = _maps(at)
    assert data["cell"] == [7, 11] and data["pool_cell"] == [3, 5]
    _control(at, "pool_size", 3)                               # overlapping windows: a kept one that holds it stays
    at.session_state["kept"]["cell"] = (7, 10)            # in the windows of pooled columns 4 (8-10) and 5 (10-12)
    at.session_state["kept"]["pool_cell"] = (3, 4)
    at.run()
    assert _maps(at)["pool_cell"] == [3, 4]
    at.session_state["kept"]["pool_cell"] = None
    at.run()
    assert _maps(at)["pool_cell"] == [3, 5]                 # unpicked: the last window that holds it
    for cell, size, stride, hw, want in [((7, 11), 2, 2, (13, 13), ((3, 5), True)),
                                         ((2, 5), 1, 3, (9, 9), ((0, 1), False)),    # between windows
                                         ((25, 25), 2, 2, (12, 12), ((11, 11), False))]:   # past the last
        assert ops.pooled_cell_for(*cell, size=size, stride=stride, pooled_hw=hw) == want


def test_a_1x1_kernel_on_a_colour_photo_starts_from_grey_and_says_so():
    at = _lab()
    at.selectbox(key="source").set_value("photo").run()
    at.toggle(key="photo_rgb").set_value(True).run()
    _control(at, "kernel_size", 1)
    assert not at.exception
    assert at.selectbox(key="preset_0").value == "grey"
    options = set(at.selectbox(key="preset_0").options)
    assert options >= {"Grey = 0.299R + 0.587G + 0.114B", "R only (1×1: the red channel)"}
    data = _maps(at)
    photo = data["input"]
    np.testing.assert_allclose(data["feature"][0], 0.299 * photo[0] + 0.587 * photo[1] + 0.114 * photo[2], atol=1e-6)
    at.selectbox(key="preset_0").set_value("blue").run()
    np.testing.assert_allclose(_maps(at)["feature"][0], _maps(at)["input"][2], atol=1e-6)
    at.selectbox(key="source").set_value("digit").run()            # a grey input: identity, not a blank map
    assert at.selectbox(key="preset_0").value == "identity"
    data = _maps(at)
    np.testing.assert_array_equal(data["feature"][0], data["input"][0])


def test_the_formula_is_lesson_2s_unless_there_is_dilation():
    at = _lab()
    formula = next(m.value for m in at.markdown if "size-formula" in m.value)
    assert "⌊ (28 + 2·0 − 3) / 1 ⌋ + 1 = <b>26</b>" in formula
    assert "(i + 2p − k) / s" in _texts(at)
    _control(at, "dilation", 2)
    formula = next(m.value for m in at.markdown if "size-formula" in m.value)
    assert "⌊ (28 + 2·0 − 2·(3 − 1) − 1) / 1 ⌋ + 1 = <b>24</b>" in formula
    assert "d(k − 1) + 1 pixels" in _texts(at)


def test_the_controls_link_and_preview_read_one_description():
    from pages.views import lab_settings, link

    params = {f.key: f.param for f in link.FIELDS}
    for c in lab_settings.LINKED:
        assert params[c.key] == c.param
        field = next(f for f in link.FIELDS if f.key == c.key)
        assert field.read(str(c.default)) == c.default
        with pytest.raises(ValueError):
            field.read(str(c.high + 1) if c.options is None else "nonsense")
    url = link.lab_url(source="grid", kernel_size=3, stride_h=2, activation="none", weights=np.eye(3))
    assert url.startswith("/lab?src=grid&k=3&sh=2&act=none&w=1.0,0.0")
    for bad in ({"stride_h": 9}, {"activation": "softplus"}):
        with pytest.raises(ValueError):
            link.lab_url(**bad)
    at = _lab()
    assert _maps(at)["preview"]["controls"] == json.loads(json.dumps(lab_settings.as_data()))


def test_the_labs_own_menus_bias_field_and_kernel_size_read_the_one_description_in_the_users_language():
    """The menus, the bias field and the kernel size are our own components (their change is previewed in the
    browser): options, ranges and defaults come from lab_settings, labels from the catalog in the user's
    language, and only values come back. A bias typed with more decimals than shown is kept as typed; a value
    the control cannot hold is refused; a link's values show in them."""
    from cnn.i18n import t
    from pages.views import lab_settings

    at = _lab("zh")
    for key in ("pad_kind", "pad_mode", "activation", "pooling"):
        c, data = lab_settings.CONTROLS[key], _component(at, key)
        assert [o["value"] for o in data["options"]] == list(c.options) and data["value"] == c.default
        assert [o["label"] for o in data["options"]] == [t(c.option_label.format(v), "zh") for v in c.options]
        assert data["label"] == t(c.label, "zh")
    size, bias = _component(at, "kernel_size"), _component(at, "bias_0")
    assert (size["min"], size["max"], size["value"]) == (kernels.MIN_SIZE, kernels.MAX_SIZE, 3)
    assert (bias["min"], bias["max"], bias["value"], bias["label"]) == (-1e6, 1e6, 0.0, "偏置 b")
    _control(at, "bias_0", 0.123456789)
    assert _maps(at)["bias"] == 0.123456789 and at.query_params["b"] == "0.123456789"
    for key, bad in (("bias_0", 2e6), ("bias_0", "1"), ("activation", "softplus"), ("kernel_size", 9)):
        _control(at, key, bad)
        assert not at.exception
    data = _maps(at)
    assert data["bias"] == 0.123456789 and data["activation"] == "relu" and data["size"] == 3
    _control(at, "kernel_size", 5)
    assert _maps(at)["kernel"].shape == (1, 5, 5) and at.query_params["k"] == "5"
    _control(at, "pad_mode", "circular")
    assert at.query_params["fill"] == "circular"
    at = _lab_link(pad="full", fill="reflect", act="tanh", pool="avg", k="5", b="-0.0625")
    for key, value in (("pad_kind", "full"), ("pad_mode", "reflect"), ("activation", "tanh"), ("pooling", "avg"),
                       ("kernel_size", 5), ("bias_0", -0.0625)):
        assert _component(at, key)["value"] == value, key
