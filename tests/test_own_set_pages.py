"""The pages with a student's own data set, headless: a fake own source (tests/own_source.py: three classes of
colour pictures, named with marks Markdown and HTML would read) and a small model trained on it here. The
Train page offers the set and builds for its three channels; Draw & Predict and Inside read with its classes;
the filter gallery searches its pictures; the results name its classes."""

import base64
import html
import io
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from own_source import fake_set, own_sets
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnn import data, datasets, i18n, models, preprocess, runner, runs, train
from pages.views import text

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CLASSES = ("✓", "✗ <b>x</b>", "○ *ring*")
LABEL = "My **symbols**"


@pytest.fixture(scope="module")
def own_model():
    """(run id, the fake set, its test split) with the source registered for the module's tests."""
    fake = fake_set(channels=3, per_class=20, classes=CLASSES, label=LABEL)
    with own_sets({"own-rgb": fake}):
        run_id = runs.new_id("mine")
        spec = datasets.preset_spec("own-rgb", "seed-mnist")
        config = train.TrainConfig(epochs=4, batch_size=16, lr=3e-3, device="cpu", precision="fp32")
        outcome = runner.run(runs.run_dir(run_id), runner.RunPlan("mine", spec, config, "own-rgb"))
        assert outcome.status == "finished" and outcome.report["accuracy"] >= 0.9
        yield run_id, fake, fake.split("test")


def _open(page: str, lang: str = "en", **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(parts + [e.value for e in at.error] + [w.value for w in at.warning])


def _image_captions(at: AppTest) -> list[str]:
    return [img.caption for element in at.get("image") for img in element.proto.imgs]


def _drawing(pixels: np.ndarray) -> dict:
    rgba = np.zeros(pixels.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = pixels[..., None]
    rgba[..., 3] = 255
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    return {"drawing": {"seq": 1, "png": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}}


def _top_guess(at: AppTest) -> str:
    markup = next(m.value for m in at.markdown if "top-guess" in m.value)
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def _bars(at: AppTest) -> tuple[list[str], list[float]]:
    markup = next(m.value for m in at.markdown if "probability-bars" in m.value)
    probs = json.loads(html.unescape(re.search(r'data-probs="([^"]+)"', markup).group(1)))
    labels = [html.unescape(s) for s in re.findall(r'font-family:monospace">([^<]*)</span>', markup)]
    return labels, probs


def _predict(run_id: str, x: np.ndarray) -> int:
    model, _ = models.load(runs.run_dir(run_id) / "model")
    with torch.no_grad():
        return int(model.eval()(torch.as_tensor(x, dtype=torch.float32)[None]).argmax())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_train_page_offers_the_own_set_and_builds_for_three_channels(own_model, lang):
    at = _open("pages/train.py", lang)
    menu = at.selectbox(key="train_dataset")
    shown = i18n.t("dataset.own", lang, name=LABEL, n=3)
    assert menu.options == [i18n.t(f"dataset.{n}", lang) for n in datasets.builtin_names()] + [shown]
    menu.set_value("own-rgb").run()
    assert not at.exception, at.exception
    presets = at.selectbox(key="train_preset_own-rgb").options
    assert presets == list(datasets.describe("own-rgb").presets) and "seed-mnist" in presets
    assert i18n.t("train.own_input", lang, shape="3×28×28", n=3) in _text(at)
    table = at.table[0].value
    shapes, params = table.iloc[:, 2].tolist(), table.iloc[:, 3].tolist()
    assert shapes[0] == "32×26×26" and params[0] == f"{3 * 3 * 3 * 32 + 32:,}"     # 3 input channels
    assert shapes[-1] == "3" and params[-1] == f"{100 * 3 + 3:,}"                   # one unit per class
    start = next(b for b in at.button if b.label == i18n.t("train.start", lang))
    assert not start.disabled


def test_the_results_name_the_own_classes_and_a_cell_shows_its_pictures(own_model):
    run_id, fake, test_rows = own_model
    at = _open("pages/train.py", watch=run_id)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    chart = next(c for c in charts if len(c["layout"].get("xaxis", {}).get("ticktext", [])) == 3)
    axis = chart["layout"]["xaxis"]["ticktext"]
    assert axis == [html.escape(c) for c in CLASSES] == chart["layout"]["yaxis"]["ticktext"]
    scatter = next(t for t in chart["data"] if t["type"] == "scatter")
    # Cell (row 0, column 1): its hover names the true class and the answer, escaped as the axes are.
    assert scatter["customdata"][1][1:] == [html.escape(CLASSES[0]), html.escape(CLASSES[1])]
    report = json.loads((runs.run_dir(run_id) / "test.json").read_text())
    true, answered = 1, 1
    at.session_state["kept"] = {**at.session_state["kept"], f"confusion_{run_id}": (true, answered)}
    at.run()
    assert not at.exception, at.exception
    title = i18n.t("train.cell_images", "en", true=text.md(CLASSES[1]), predicted=text.md(CLASSES[1]),
                   n=int(np.array(report["confusion"])[true, answered]))
    assert f"**{title}**" in [m.value for m in at.markdown]
    # The pictures are the set's own test pictures of that cell, in colour.
    labels = fake.labels[test_rows]
    cell = np.nonzero((labels == true) & (np.array(report["predicted"]) == answered))[0]
    assert [c for c in _image_captions(at) if c in {str(i) for i in cell}] == [str(i) for i in cell[:24]]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_draw_reads_a_drawing_as_the_own_classes_framed_as_its_set(own_model, lang):
    run_id, _, _ = own_model
    canvas = np.zeros((280, 280), dtype=np.uint8)
    canvas[30:120, 40:130] = 255                                  # a square up in a corner
    at = _open("pages/draw.py", lang, current_model=run_id, draw_pad=_drawing(canvas))
    everything = _text(at)
    classes = i18n.t("list_separator", lang).join(text.md(c) for c in CLASSES)
    assert i18n.t("draw.subtitle.sample", lang, classes=classes) in everything
    assert text.md(LABEL) in everything                            # "trained on My **symbols**", as typed
    assert [m.value for m in at.sidebar.markdown if m.value == i18n.t("draw.help.sample", lang)]
    x = at.session_state["drawn_input"]
    framed = preprocess.to_model_input(canvas, preprocess.Framing(28, 20, "mass"))
    assert x.shape == (3, 28, 28) and all(np.allclose(x[c], framed) for c in range(3))
    labels, probs = _bars(at)
    assert labels == list(CLASSES) and len(probs) == 3
    assert _top_guess(at) == CLASSES[_predict(run_id, x)] == CLASSES[int(np.argmax(probs))]


def test_draw_reads_a_sample_of_the_own_set_in_colour(own_model):
    run_id, fake, test_rows = own_model
    at = _open("pages/draw.py", current_model=run_id)
    at.radio(key="draw_source").set_value("sample").run()
    assert not at.exception, at.exception
    row = test_rows[7 % len(test_rows)]                           # the page's first sample: the 8th test picture
    expected = fake.images[row] / 255.0
    np.testing.assert_allclose(at.session_state["drawn_input"], expected)
    assert i18n.t("sample.label", "en", label=text.md(CLASSES[fake.labels[row]])) in _text(at)
    assert _top_guess(at) == CLASSES[_predict(run_id, expected)]


def test_inside_shows_an_own_sample_and_the_filter_gallery_searches_the_own_pictures(own_model):
    run_id, fake, test_rows = own_model
    at = _open("pages/inside.py", current_model=run_id)
    assert not at.error, _text(at)
    row = test_rows[0]
    assert i18n.t("sample.label", "en", label=text.md(CLASSES[fake.labels[row]])) in _text(at)
    guess = CLASSES[_predict(run_id, fake.images[row] / 255.0)]
    assert any(text.md(guess) in m.value for m in at.markdown if "—" in m.value)
    from pages.views import filter_gallery

    spec = models.ModelSpec.from_dict(models.read_sidecar(runs.run_dir(run_id) / "model")["spec"])
    np.testing.assert_allclose(filter_gallery._images(spec, "own-rgb"), fake.images[test_rows] / 255.0)
    at.toggle(key="filters_show").set_value(True).run()
    prefix = i18n.t("filters.responses", "en", values="")[:6]
    deadline = time.monotonic() + 180
    while not [c for c in _image_captions(at) if c.startswith(prefix)]:
        assert time.monotonic() < deadline, "the search did not finish in 180 s"
        time.sleep(0.5)
        at.run()
        assert not at.exception and not at.error, _text(at)
    assert len([c for c in _image_captions(at) if c.startswith(prefix)]) == 8
    assert i18n.t("filters.help", "en", n=len(test_rows)) in _text(at)


def test_a_model_whose_own_set_is_gone_still_reads_and_says_why_samples_are_missing(own_model):
    run_id, _, _ = own_model
    kept = datasets.source_for("own-rgb")

    def gone(name, split, *, validation=True):
        raise data.DatasetUnavailable(f"{name} was deleted", "set_gone", name=name)

    datasets.register_source("own-", names=list, describe=lambda name: None, load=gone)
    try:
        at = _open("pages/draw.py", current_model=run_id)
        at.radio(key="draw_source").set_value("sample").run()
        assert not at.exception, at.exception
        assert i18n.t("draw.subtitle.sample", "en", classes=", ".join(text.md(c) for c in CLASSES)) in _text(at)
        assert at.warning and "not here any more" in at.warning[0].value
        at = _open("pages/train.py", watch=run_id)
        assert not at.exception, at.exception
        assert at.metric and any("not here any more" in w.value for w in at.warning)
    finally:
        datasets.register_source("own-", names=kept.names, describe=kept.describe, load=kept.load, sizes=kept.sizes)
