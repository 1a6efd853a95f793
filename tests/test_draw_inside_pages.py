"""Draw & Predict and Inside the Network, headless: an injected drawing is read; every preset renders."""

import base64
import html
import io
import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from cnn import data, i18n, models, runs, viz

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(parts + [e.value for e in at.error] + [w.value for w in at.warning])


def _drawing(pixels: np.ndarray) -> dict:
    """What the draw pad leaves in session state after a stroke (its PNG as a data URL)."""
    rgba = np.zeros(pixels.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = pixels[..., None]
    rgba[..., 3] = 255
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {"drawing": {"seq": 1, "png": url}}


def _open(page: str, lang: str = "en", **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _image_captions(at: AppTest) -> list[str]:
    return [img.caption for element in at.get("image") for img in element.proto.imgs]


def _label(caption: str) -> str:
    """The label in "Its true label: 7 · where it comes from"."""
    return caption.split(":", 1)[1].split("·")[0].strip()


def _top_guess(at: AppTest) -> str:
    markup = next(m.value for m in at.markdown if "top-guess" in m.value)
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def test_an_injected_one_is_read_as_one():
    canvas = np.zeros((280, 280), dtype=np.uint8)
    canvas[40:240, 130:150] = 255                       # one vertical stroke
    at = _open("pages/draw.py", draw_pad=_drawing(canvas))
    assert _top_guess(at) == "1"
    text = _text(at)
    assert "confidence" in text and "mnist-default" in text
    captions = _image_captions(at)
    for stage in ("drawn · 280×280", "cropped · 200×20", "scaled · 20×2", "centred · 28×28"):
        assert any(stage in c for c in captions), (stage, captions)
    assert at.session_state["drawn_input"].shape == (28, 28)


def test_empty_canvas_and_a_dot_give_hints_not_errors():
    at = _open("pages/draw.py")
    assert "Draw a digit on the canvas" in _text(at)
    dot = np.zeros((280, 280), dtype=np.uint8)
    dot[140:150, 140:150] = 255
    at = _open("pages/draw.py", draw_pad=_drawing(dot))
    assert "only a dot" in _text(at)
    assert not any("top-guess" in m.value for m in at.markdown)


def test_a_test_sample_and_a_bad_upload():
    at = _open("pages/draw.py")
    at.radio(key="draw_source").set_value("sample").run()
    assert not at.exception
    label = next(c.value for c in at.caption if c.value.startswith("Its true label"))
    assert _top_guess(at) == _label(label)               # the shipped model reads this digit correctly
    assert "training image" in label or "test set" in label     # and the page says where the digit comes from
    at.radio(key="draw_source").set_value("upload").run()
    assert not at.exception


def test_the_draw_page_reads_in_chinese():
    canvas = np.zeros((280, 280), dtype=np.uint8)
    canvas[40:240, 130:150] = 255
    at = _open("pages/draw.py", "zh", draw_pad=_drawing(canvas))
    assert at.title[0].value == "手写识别"
    assert "置信度" in _text(at) and "居中 · 28×28" in _image_captions(at)


# ---------------------------------------------------------------- Inside, for every preset


@pytest.fixture(scope="module")
def preset_runs():
    """An untrained model of each preset, saved as a run the sidebar can choose."""
    made = []
    for name in models.PRESETS:
        torch.manual_seed(0)
        spec = models.preset(name)
        folder = runs.run_dir(f"test-inside-{name}")
        models.save(models.build(spec), spec, folder / "model", dataset=None, metrics={})
        (folder / "info.json").write_text(json.dumps({"name": f"untrained {name}", "dataset": None}))
        made.append((name, folder))
    yield made
    for _, folder in made:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("name", list(models.PRESETS))
def test_inside_renders_every_layer_of_each_preset(preset_runs, name):
    spec = models.preset(name)
    at = _open("pages/inside.py", current_model=f"test-inside-{name}")
    strip = at.radio(key=f"inside_layer_{spec.name}")
    assert len(strip.options) == len(spec.layers)
    shapes = [row.output_shape for row in models.summary(spec)]
    for i, shape in enumerate(shapes):
        assert "×".join(map(str, shape)) in strip.options[i]
    text = _text(at)
    assert "Every layer at once" in [e.label for e in at.expander]
    drawn = len(at.get("imgs")) + len(at.get("image"))
    at.session_state["inside_all_layers"] = True                 # opened: every layer is drawn in it
    at.run()
    assert not at.exception and len(at.get("imgs")) + len(at.get("image")) > drawn
    for i in range(len(spec.layers)):                   # pick each layer: its maps or its units show
        at.radio(key=f"inside_layer_{spec.name}").set_value(i).run()
        assert not at.exception, (name, i, at.exception)
        text = _text(at)
        if len(shapes[i]) == 3:
            assert f"{shapes[i][0]} feature maps" in text or "Feature map 0" in text
        else:
            assert f"{shapes[i][0]} values" in text
    assert "Why this prediction?" in [s.value for s in at.subheader]


@pytest.mark.parametrize("name", list(models.PRESETS))
def test_draw_page_reads_a_sample_with_each_preset(preset_runs, name):
    at = _open("pages/draw.py", current_model=f"test-inside-{name}")
    at.radio(key="draw_source").set_value("sample").run()
    assert not at.exception, (name, at.exception)
    assert _top_guess(at) in models.preset(name).classes


def test_inside_first_layer_arithmetic_matches_the_map():
    at = _open("pages/inside.py")
    at.slider(key="inside_row").set_value(10).run()
    at.slider(key="inside_col").set_value(7).run()
    line = next(m.value for m in at.markdown if m.value.startswith("Σ products"))
    value = float(line.split("**")[1])
    check = float(line.rsplit(" ", 1)[1].rstrip("."))
    assert value == pytest.approx(check, abs=2e-4)
    assert "cell (10, 7) of map 0" in line


def test_inside_starts_from_the_drawing():
    canvas = np.zeros((280, 280), dtype=np.uint8)
    canvas[40:240, 130:150] = 255
    at = _open("pages/draw.py", draw_pad=_drawing(canvas))
    at.switch_page("pages/inside.py").run()
    assert not at.exception
    assert at.radio(key="inside_source").value == "drawing"
    assert "the network says **1**" in _text(at)


def test_a_model_file_that_does_not_match_its_spec_is_reported(preset_runs):
    folder = runs.run_dir("test-inside-broken")
    spec = models.preset("seed-mnist")
    models.save(models.build(spec), spec, folder / "model")
    sidecar = json.loads((folder / "model.json").read_text())
    sidecar["spec"]["layers"][0]["filters"] = 16          # the weights hold 32 filters
    (folder / "model.json").write_text(json.dumps(sidecar))
    try:
        for page in ("pages/draw.py", "pages/inside.py"):
            at = _open(page, current_model="test-inside-broken")
            assert any("cannot be used" in e.value and "shape" in e.value for e in at.error), _text(at)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_shapes_model_switches_the_draw_page_to_shapes():
    torch.manual_seed(0)
    spec = models.preset("shapes")
    folder = runs.run_dir("test-draw-shapes")
    models.save(models.build(spec), spec, folder / "model", dataset="shapes", metrics={"test_accuracy": 0.5})
    (folder / "info.json").write_text(json.dumps({"name": "shapes run", "dataset": "shapes"}))
    try:
        at = _open("pages/draw.py", current_model="test-draw-shapes")
        assert "trained on Shapes" in _text(at)
        at.radio(key="draw_source").set_value("sample").run()
        label = next(c.value for c in at.caption if c.value.startswith("Its true label"))
        assert _label(label) in ("triangle", "circle", "rectangle")
        assert _top_guess(at) in ("triangle", "circle", "rectangle")
        assert any("scaled · 72×72" in c for c in _image_captions(at))   # the shapes framing: no crop
        canvas = np.zeros((280, 280), dtype=np.uint8)
        canvas[60:200, 80:220] = 255                                     # a drawn square still works
        at = _open("pages/draw.py", current_model="test-draw-shapes", draw_pad=_drawing(canvas))
        assert _top_guess(at) in ("triangle", "circle", "rectangle")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("shape", ["triangle", "circle"])
def test_the_shipped_shapes_model_reads_a_drawn_outline(shape):
    """What a student draws is an outline in a pen, not a filled shape: the shipped shapes model reads it."""
    pad = Image.new("L", (280, 280), 0)
    draw = ImageDraw.Draw(pad)
    if shape == "triangle":
        draw.line([(140, 50), (230, 220), (50, 220), (140, 50)], fill=255, width=16, joint="curve")
    else:
        draw.ellipse([60, 60, 220, 220], outline=255, width=16)
    at = _open("pages/draw.py", current_model="shipped-shapes", draw_pad=_drawing(np.asarray(pad)))
    assert "trained on Shapes" in _text(at)
    assert _top_guess(at) == shape


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_what_each_filter_looks_for(lang):
    at = _open("pages/inside.py", lang)
    at.toggle(key="filters_show").set_value(True).run()
    assert not at.exception
    prefix = i18n.t("filters.responses", lang, values="")[:6]

    def responses():
        return [c for c in _image_captions(at) if c.startswith(prefix)]
    # Searched once per server in the background: until it is done, the page shows its progress (an earlier
    # test in this process may have searched already).
    assert responses() or at.get("progress"), _text(at)
    deadline = time.monotonic() + 120
    while not responses():
        assert time.monotonic() < deadline, "the search did not finish in 120 s"
        at.run()
        assert not at.exception and not at.error, _text(at)
    found = responses()
    assert len(found) == 8                                          # the first eight filters, nine patches each
    values = [float(v) for v in found[0].split(":" if lang == "en" else "：")[1].split("·")]
    assert values == sorted(values, reverse=True) and len(values) == 9


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_shapes_model_asks_for_a_shape_not_a_digit(lang):
    at = _open("pages/draw.py", lang, current_model="shipped-shapes")
    text = _text(at)
    assert i18n.t("draw.subtitle.shape", lang) in text and i18n.t("draw.empty.shape", lang) in text
    assert i18n.t("draw.subtitle.digit", lang) not in text and i18n.t("draw.empty.digit", lang) not in text
    assert [m.value for m in at.sidebar.markdown if m.value == i18n.t("draw.help.shape", lang)]
    at = _open("pages/draw.py", lang)                                   # the digits model still asks for a digit
    assert i18n.t("draw.subtitle.digit", lang) in _text(at)


@pytest.mark.parametrize("subject", sorted(set(data.SUBJECTS.values())))
def test_every_data_sets_subject_has_its_sentences(subject):
    for key in ("draw.subtitle", "draw.empty", "draw.dot", "draw.help"):
        assert i18n.t(f"{key}.{subject}", "en") and i18n.t(f"{key}.{subject}", "zh")


def test_probabilities_are_shown_with_the_precision_that_means_something():
    pad = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(pad).ellipse([60, 60, 220, 220], outline=255, width=16)
    at = _open("pages/draw.py", current_model="shipped-shapes", draw_pad=_drawing(np.asarray(pad)))
    bars = next(m.value for m in at.markdown if "probability-bars" in m.value)
    probs = json.loads(html.unescape(re.search(r'data-probs="([^"]+)"', bars).group(1)))
    shown = re.findall(r"white-space:nowrap\">([^<]+)</span></div>", bars)
    assert shown == [html.escape(viz.probability_text(p)) for p in probs]
    text = _text(at)
    assert "100.0%" not in text and "100.0%" not in bars
    top = max(probs)
    assert i18n.t("draw.confidence", "en", p=viz.probability_text(top)) in html.unescape(re.sub(r"<[^>]+>", "", text))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_coloured_map_has_its_colour_bar(lang):
    at = _open("pages/inside.py", lang)
    legends = [m.value for m in at.markdown if "colour-legend" in m.value]
    titles = "".join(legends)
    for key in ("legend.each_map", "legend.value", "legend.gradcam", "legend.saliency", "legend.occlusion"):
        assert html.escape(i18n.t(key, lang)) in titles, key
    assert len(legends) >= 8          # mosaic, one map, kernel, the arithmetic's two maps, the three "why" maps
    canvas = np.zeros((280, 280), dtype=np.uint8)
    canvas[40:240, 130:150] = 255
    at = _open("pages/draw.py", lang, draw_pad=_drawing(canvas))
    titles = "".join(m.value for m in at.markdown if "colour-legend" in m.value)
    for key in ("legend.gradcam", "legend.each_map"):
        assert html.escape(i18n.t(key, lang)) in titles, key


def _pad_data(at: AppTest) -> dict:
    pads = [e.proto for e in at.get("bidi_component") if e.proto.component_name.endswith("draw_pad")]
    assert len(pads) == 1
    return json.loads(pads[0].json)


def test_the_pad_hears_which_drawing_python_reads_and_odd_states_are_harmless():
    """The pad keeps the server's pace by the number of the drawing each run reads (draw_pad.js); a state a
    hostile page could send instead of a drawing is an empty pad, not an error."""
    canvas = np.zeros((280, 280), dtype=np.uint8)
    canvas[40:240, 130:150] = 255
    drawing = _drawing(canvas)
    drawing["drawing"]["seq"] = 7
    at = _open("pages/draw.py", draw_pad=drawing)
    assert _top_guess(at) == "1"
    assert _pad_data(at)["answering"] == 7
    for odd, number in (({"drawing": {"seq": "7", "png": 5}}, 0), ({"drawing": {"seq": True, "png": None}}, 0),
                        ({"drawing": "x"}, 0), ({"drawing": {"seq": 2 ** 70, "png": "data:image/png;base64,AAAA"}},
                                                2 ** 70)):
        at = _open("pages/draw.py", draw_pad=odd)
        assert "Draw a digit on the canvas" in _text(at), odd
        assert _pad_data(at)["answering"] == number
