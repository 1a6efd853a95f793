"""The Lab in a real browser (Debian Chromium + Playwright): what a new user clicks, drags and draws.

Each step waits for the change it expects to see, never for a fixed time.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from harness import ROOT, open_page, screenshot_whole, wait_idle
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from cnn import images, kernels, ops
from pages import registry

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "tests" / "e2e" / "artifacts"))
SLIDERS = '[data-testid="stSlider"], .live-slider'   # Streamlit's sliders and ours (pages/views/live_slider.py)
PAGES = [entry.url for entry in registry.PAGES]


def _nudge_slider(page, label: str, presses: int) -> None:
    slider = page.locator(SLIDERS).filter(has_text=label).first
    thumb = slider.locator('input[type="range"]')
    thumb.focus()
    for _ in range(abs(presses)):
        thumb.press("ArrowRight" if presses > 0 else "ArrowLeft")


def _set_slider(page, label: str, value: int) -> None:
    """Move a slider to `value`, pressing again when a rerun that replaced the slider lost a press."""
    for _ in range(5):
        now = int(_slider_value(page, label))
        if now == value:
            return
        _nudge_slider(page, label, value - now)
        wait_idle(page)
    raise AssertionError(f"the slider {label!r} never showed {value}: {_slider_value(page, label)!r}")


def _slider(page, label: str):
    return page.locator(SLIDERS).filter(has_text=label).first.locator('input[type="range"]')


def _slider_value(page, label: str) -> str:
    return _slider(page, label).get_attribute("aria-valuenow") or _slider(page, label).input_value()


def _slider_count(page, label: str) -> int:
    return page.locator(SLIDERS).filter(has_text=label).count()


def _box(page, selector: str) -> dict:
    """On-screen box of an element, re-found if a rerun replaced it while we looked."""
    for _ in range(10):
        wait_idle(page)
        try:
            element = page.locator(selector).first
            element.scroll_into_view_if_needed(timeout=5_000)
            box = element.bounding_box()
            if box:
                return box
        except PlaywrightError:
            pass
    raise AssertionError(f"{selector} never settled on screen")


def _empty_cell(page, x: float, y: float, message) -> None:
    """Empty the cell at fractions (x, y) of the first table editor, until `message` shows."""
    for _ in range(3):  # the first click after a dropdown may only take focus back from it
        box = _box(page, '[data-testid="stDataFrame"]')
        page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
        page.keyboard.press("Delete")
        try:
            expect(message).to_be_visible(timeout=4_000)
            break
        except AssertionError:
            continue
    expect(message).to_be_visible()


@pytest.fixture()
def lab(chromium, app_url):
    page = open_page(chromium, app_url + "/lab")
    expect(page.get_by_text("Feature map · 26×26")).to_be_visible()
    yield page
    page.close()


def test_stride_and_padding_change_the_output_shape(lab):
    _nudge_slider(lab, "Stride ↓ rows", 1)
    expect(lab.get_by_text("Feature map · 13×26")).to_be_visible()
    _choose(lab, "Padding", "same")
    expect(lab.get_by_text("Feature map · 14×28")).to_be_visible()
    expect(lab.get_by_text("Padded input · 1×30×30")).to_be_visible()


FEATURE = ".labmaps .panel:nth-child(2) canvas"


def _point_at_cell(page, row: int, col: int, shape: tuple[int, int], click: bool = False) -> None:
    """Move the mouse to (row, col) of the feature map (shape = its rows, columns); click if asked."""
    box = _box(page, FEATURE)
    x = box["x"] + (col + 0.5) * box["width"] / shape[1]
    y = box["y"] + (row + 0.5) * box["height"] / shape[0]
    (page.mouse.click if click else page.mouse.move)(x, y)


def _arith(page) -> dict:
    return json.loads(page.locator(".labmaps").get_attribute("data-arith"))


def test_clicking_a_feature_map_cell_shows_its_arithmetic(lab):
    _choose(lab, "Image source", "Number grid (6×6 example)")
    expect(lab.get_by_text("Feature map · 4×4")).to_be_visible()
    _choose(lab, "Start from", "Diagonal (6×6 example)")
    wait_idle(lab)
    _point_at_cell(lab, 0, 2, (4, 4), click=True)
    expect(lab.get_by_text("Cell (0, 2) of kernel 1's feature map")).to_be_visible()
    expect(lab.get_by_text(re.compile(r"The feature map holds -3\.000 here"))).to_be_visible()
    wait_idle(lab)                                   # the click is kept by the server: a rerun keeps it
    lab.mouse.move(0, 0)
    expect(lab.locator(".labmaps")).to_have_attribute("data-cell", "0,2")


def test_hovering_shows_the_same_arithmetic_as_the_engine(lab):
    """The browser's patch, products and sum for random cells, strides, paddings and dilations are
    cnn.ops.window's numbers."""
    image, _ = images.mnist_digit(0)
    kernel = kernels.preset("sobel_x")
    rng = np.random.default_rng(3)
    for stride_rows, stride_cols, pad, dilation in ((1, 1, 0, 1), (2, 1, 1, 1), (3, 2, 2, 2)):
        if _slider_count(lab, "Padding on each side") == 0:
            _choose(lab, "Padding", "custom")
            wait_idle(lab)
        settings = {"Stride ↓ rows": stride_rows, "Stride → columns": stride_cols, "Padding on each side": pad,
                    "Dilation": dilation}
        for label, value in settings.items():
            _set_slider(lab, label, value)
        assert {label: int(_slider_value(lab, label)) for label in settings} == settings
        shape = ops.conv_output_shape((28, 28), (3, 3), stride=(stride_rows, stride_cols), padding=pad,
                                      dilation=dilation)
        # The shape alone does not tell the settings apart (stride 3×2 gives 10×14 with padding 1 and dilation
        # 1 as with 2 and 2); the padded input's size pins the padding.
        expect(lab.locator(".labmaps")).to_have_attribute("data-shape", f"{shape[0]}x{shape[1]}")
        expect(lab.locator(".labmaps")).to_contain_text(f"1×{28 + 2 * pad}×{28 + 2 * pad}")
        for _ in range(4):
            row, col = int(rng.integers(shape[0])), int(rng.integers(shape[1]))
            _point_at_cell(lab, row, col, shape)
            expect(lab.locator(".labmaps")).to_have_attribute("data-cell", f"{row},{col}")
            shown = _arith(lab)
            want = ops.window(image, kernel, row, col, stride=(stride_rows, stride_cols), padding=pad,
                              dilation=dilation)
            np.testing.assert_allclose(np.ravel(shown["patch"]), want.patch.ravel(), rtol=0, atol=1e-12)
            np.testing.assert_allclose(np.ravel(shown["products"]), want.products.ravel(), rtol=0, atol=1e-12)
            assert shown["value"] == pytest.approx(want.value, abs=1e-9)


def test_play_slides_the_window_on_its_own(lab):
    maps = lab.locator(".labmaps")
    before = maps.get_attribute("data-cell")
    lab.get_by_role("button", name="▶ Play").click()
    expect(maps).not_to_have_attribute("data-cell", before, timeout=10_000)
    moved = maps.get_attribute("data-cell")
    expect(maps).not_to_have_attribute("data-cell", moved, timeout=10_000)   # and keeps going
    lab.get_by_role("button", name="⏸ Pause").click()
    expect(maps).to_have_attribute("data-playing", "0")


def test_drawing_on_the_canvas_makes_a_feature_map(lab):
    _choose(lab, "Image source", "Draw")
    expect(lab.get_by_text("The canvas is empty")).to_be_visible()
    box = _box(lab, '[data-testid="stBidiComponentIsolated"] canvas.upper-canvas')
    lab.mouse.move(box["x"] + 140, box["y"] + 40)
    lab.mouse.down()
    for step in range(1, 21):                        # a vertical stroke, like a "1"
        lab.mouse.move(box["x"] + 140, box["y"] + 40 + step * 10)
    lab.mouse.up()
    expect(lab.get_by_text("Feature map · 26×26")).to_be_visible(timeout=20_000)
    expect(lab.get_by_text("The canvas is empty")).to_have_count(0)


def test_bad_upload_and_empty_kernel_cell_give_messages(lab, tmp_path):
    fake = tmp_path / "not-really.png"
    fake.write_text("this is text, not an image")
    _choose(lab, "Image source", "Upload an image")
    lab.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(fake))
    expect(lab.get_by_text("This file is not a picture CNN Lab can read.")).to_be_visible()
    # The page stays usable: back to a digit, then empty one kernel cell.
    _choose(lab, "Image source", "MNIST digit")
    expect(lab.get_by_text("Feature map · 26×26")).to_be_visible()
    message = lab.get_by_text(re.compile(r"of the kernel is empty, NaN or infinite"))
    centre = lab.locator(".kernelgrid input").nth(4)
    centre.fill("")
    centre.press("Enter")
    expect(message).to_be_visible()
    expect(lab.locator(".kernelgrid input.bad")).to_have_count(1)   # the cell is outlined, and keeps its text
    centre.fill("abc")
    centre.press("Enter")
    expect(message).to_be_visible()
    expect(centre).to_have_value("abc")


SEEN = """() => { window.__seen = []; const maps = document.querySelector('.labmaps');
  new MutationObserver(() => window.__seen.push({version: maps.dataset.version, shape: maps.dataset.shape,
    arith: JSON.parse(maps.dataset.arith), pool: maps.dataset.pool ? JSON.parse(maps.dataset.pool) : null,
    poolCell: maps.dataset.poolCell}))
    .observe(maps, {attributes: true, attributeFilter: ['data-version']}); }"""


def _choose(page, label: str, option: str) -> None:
    """Pick `option` in the menu labelled `label`: one of the Lab's own (pages/views/choice.py) or a selectbox."""
    ours = page.locator(".lab-choice").filter(has_text=label)
    if ours.count():
        ours.first.get_by_role("radio", name=option, exact=True).click()
    else:
        page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
        page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def _change(page, kind: str, what) -> None:
    """One change through one of the Lab's own controls: a live slider one step right, a kernel cell, a menu's
    option (clicked, or "→": the arrow key from the chosen one), the bias ("+", "-" or a typed number)."""
    if kind == "slider":
        slider = page.locator(".live-slider").filter(has_text=what).first.locator("input")
        slider.focus()
        slider.press("ArrowRight")
    elif kind == "cell":
        cell = page.locator(".kernelgrid input").nth(what)
        cell.fill("-2.5")
        cell.press("Enter")
    elif kind.startswith("menu:"):
        menu = page.locator(".lab-choice").filter(has_text=kind.partition(":")[2]).first
        if what == "→":
            menu.locator('[aria-checked="true"]').focus()
            page.keyboard.press("ArrowRight")
        else:
            menu.get_by_role("radio", name=what, exact=True).click()
    elif kind == "bias":
        field = page.locator(".lab-number").filter(has_text="Bias b").first
        if what in ("+", "-"):
            field.locator(".plus" if what == "+" else ".minus").click()
        else:
            field.locator("input").fill(what)
            field.locator("input").press("Enter")


def test_a_control_change_is_drawn_at_once_with_the_numbers_python_then_sends(lab):
    """The map view redraws from a changed control before Python answers (assets/lab_maps.js, versions "n.k");
    Python's maps, when they come, show the same shape, cell, patch, products, sum and pooling window, to 1e-12.
    Every control of the Lab's geometry, kernel and after-convolution cards is our own and announces its change:
    the live sliders, the kernel grid, each menu (padding, fill, activation, pooling), the bias and the kernel
    size. Nothing of Streamlit's is read."""
    for panel in (2, 4):    # picked cells at the far corner: the preview fits them to smaller maps as Python does
        box = lab.locator(f".labmaps .panel:nth-child({panel}) canvas").bounding_box()
        lab.mouse.click(box["x"] + box["width"] - 2, box["y"] + box["height"] - 2)
        wait_idle(lab)
    changes = [("menu:Padding", "custom"), ("menu:Fill with", "reflect"), ("slider", "Stride ↓ rows"),
               ("slider", "Padding on each side"), ("slider", "Dilation"), ("slider", "Window"), ("cell", 5),
               ("menu:Fill with", "→"), ("slider", "Stride → columns"), ("menu:Activation function", "Leaky ReLU"),
               ("bias", "+"), ("cell", 2), ("menu:Activation function", "none"), ("slider", "Kernel size"),
               ("slider", "Dilation"), ("menu:Pooling", "average"), ("slider", "Window"), ("bias", "0.123456789"),
               ("menu:Fill with", "circular"), ("menu:Padding", "same"), ("menu:Pooling", "none"),
               ("menu:Activation function", "→"), ("bias", "-"), ("menu:Pooling", "max"), ("slider", "Kernel size"),
               ("menu:Padding", "full"), ("menu:Fill with", "zeros"), ("menu:Padding", "valid (none)")]
    for kind, what in changes:
        wait_idle(lab)
        lab.evaluate(SEEN)
        _change(lab, kind, what)
        lab.wait_for_function("() => window.__seen.some((s) => !s.version.includes('.'))")   # Python's answer
        wait_idle(lab)
        seen = lab.evaluate("() => window.__seen")
        previews = [s for s in seen if "." in s["version"]]
        assert previews, f"{what}: no map drawn before Python's answer"
        preview, answer = previews[0], seen[-1]
        assert "." not in answer["version"], what
        assert preview["shape"] == answer["shape"] and preview["arith"]["row"] == answer["arith"]["row"], what
        assert preview["arith"]["col"] == answer["arith"]["col"], what
        for name in ("patch", "products"):
            np.testing.assert_allclose(preview["arith"][name], answer["arith"][name], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(preview["arith"]["value"], answer["arith"]["value"], rtol=1e-12, atol=1e-12)
        assert (preview["pool"] is None) == (answer["pool"] is None), what
        assert preview["poolCell"] == answer["poolCell"], what
        if preview["pool"]:
            np.testing.assert_allclose(preview["pool"]["values"], answer["pool"]["values"], rtol=1e-12, atol=1e-12)


def test_the_pooled_cell_follows_the_picked_cell_and_every_map_has_a_colour_bar(lab):
    """Click feature-map cell (7, 11): the pooled cell shown is (3, 5), whose 2x2 window holds it, before and
    after Python answers; a click on a pooled cell picks the map cell where its maximum is. Each shown map has a
    legend with its range; with no activation there is no third panel, and without padding no "Padded input"."""
    lab.set_viewport_size({"width": 1440, "height": 1000})
    wait_idle(lab)
    _point_at_cell(lab, 7, 11, (26, 26), click=True)
    expect(lab.locator(".labmaps")).to_have_attribute("data-pool-cell", "3,5")
    wait_idle(lab)
    lab.mouse.move(0, 0)
    expect(lab.locator(".labmaps")).to_have_attribute("data-cell", "7,11")
    expect(lab.locator(".labmaps")).to_have_attribute("data-pool-cell", "3,5")
    box = _box(lab, ".labmaps .panel:nth-child(4) canvas")
    lab.mouse.click(box["x"] + box["width"] * 6.5 / 13, box["y"] + box["height"] * 4.5 / 13)   # pooled (4, 6)
    expect(lab.locator(".labmaps")).to_have_attribute("data-pool-cell", "4,6")
    row, col = (int(v) for v in lab.locator(".labmaps").get_attribute("data-cell").split(","))
    assert 8 <= row <= 9 and 12 <= col <= 13
    pool = json.loads(lab.locator(".labmaps").get_attribute("data-pool"))
    assert pool["value"] == max(pool["values"])
    legends = lab.locator(".labmaps .panel .legend .bar")
    expect(legends).to_have_count(4)
    expect(lab.get_by_text("Input · 1×28×28")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    lab.locator(".labmaps").scroll_into_view_if_needed()
    lab.screenshot(path=str(SHOTS / "lab-maps-en.png"))
    lab.mouse.wheel(0, -5000)
    _choose(lab, "Activation function", "none")
    expect(lab.locator(".labmaps .panel:nth-child(3)")).to_be_hidden()
    expect(legends.locator("visible=true")).to_have_count(3)


def test_edits_faster_than_python_answers_all_reach_it_and_the_maps_end_on_its_answer(lab):
    """Nine kernel cells typed without a pause (Tab from cell to cell), then a bias with more decimals than
    its field shows: once idle, Python holds every number, and the maps are Python's, not a preview."""
    first = lab.locator(".kernelgrid input").first
    first.click()
    for value in range(11, 20):
        lab.keyboard.press("Control+A")
        lab.keyboard.type(str(value))
        lab.keyboard.press("Tab")
    lab.get_by_role("heading", name="Convolution Lab").click()
    expect(lab).to_have_url(re.compile("w=" + "(,|%2C)".join(rf"{v}(\.0)?" for v in range(11, 20)) + "&"))
    bias = lab.locator(".lab-number").filter(has_text="Bias b").first.locator("input")
    bias.fill("0.123")
    bias.press("Enter")
    expect(lab).to_have_url(re.compile(r"b=0\.123"))
    wait_idle(lab)
    lab.wait_for_function("() => !document.querySelector('.labmaps').dataset.version.includes('.')")
    arith = json.loads(lab.locator(".labmaps").get_attribute("data-arith"))
    assert abs(arith["value"] - (arith["total"] + 0.123)) < 1e-12
    products = np.array(arith["products"][0]), np.array(arith["patch"][0])
    shown = products[1] != 0
    np.testing.assert_allclose(products[0][shown] / products[1][shown], np.arange(11, 20)[shown], rtol=1e-12)


def test_a_typed_kernel_number_reaches_the_maps_and_their_arithmetic(lab):
    centre = lab.locator(".kernelgrid input").nth(4)
    expect(centre).to_have_value("0")                   # Sobel x's centre
    centre.fill("5")
    centre.press("Enter")                               # sent at once; the focus moves down, as in a sheet
    # The centre product of the shown cell is now 5 × its pixel (the strongest cell, so the pixel is not 0).
    lab.wait_for_function("""() => { const a = JSON.parse(document.querySelector('.labmaps').dataset.arith || 'null');
        return a && a.patch[0][4] !== 0 && Math.abs(a.products[0][4] - 5 * a.patch[0][4]) < 1e-12; }""")
    expect(lab.locator(".kernelgrid input").nth(7)).to_be_focused()
    expect(centre).to_have_value("5")


def test_switching_to_chinese_changes_the_page_and_the_link(lab):
    box = lab.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    box.click()
    lab.get_by_role("option", name="简体中文").click()
    expect(lab.get_by_role("heading", name="卷积实验室")).to_be_visible()
    expect(lab).to_have_url(re.compile(r"lang=zh"))
    # Menus show their choice in the new language too (the browser would keep the old label); ours (choice.py)
    # are told their labels by Python.
    for label, shown in (("填充方式", "零"), ("池化", "最大池化"), ("激活函数", "ReLU")):
        menu = lab.locator(".lab-choice").filter(has_text=label).first
        expect(menu.locator('[aria-checked="true"]')).to_have_text(shown)
    menu = lab.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(has_text="图像来源").first
    expect(menu.get_by_role("combobox")).to_have_value("MNIST 手写数字")
    expect(lab.locator(".lab-number").filter(has_text="偏置 b")).to_be_visible()
    expect(lab.locator(".live-slider").filter(has_text="卷积核大小")).to_be_visible()
    lab.locator('[data-testid="stSidebarNav"]').get_by_text("首页").click()
    expect(lab.get_by_text("CNN Lab —— 看卷积神经网络如何读懂一张图像")).to_be_visible()


SCREENS = {"wide": (1440, 1000), "phone": (390, 844)}


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", PAGES)
def test_screenshot_every_page(chromium, app_url, name, lang, screen):
    """Every page opens without an error on a wide screen and on a phone; the whole page is kept as a PNG
    (tests/e2e/artifacts/<page>-<lang>.png for wide screens, <page>-<lang>-phone.png) to be looked at."""
    path = "" if name == "home" else name            # the default page lives at the root
    page = open_page(chromium, f"{app_url}/{path}?lang={lang}", viewport=SCREENS[screen])
    expect(page.locator("h1").first).to_be_visible()
    if name == "lab":
        expect(page.locator(".labmaps canvas").first).to_be_visible()
    wait_idle(page)
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0)   # every widget has drawn
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Page not found").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if screen == "wide" else f"-{screen}"
    page.screenshot(path=str(SHOTS / f"{name}-{lang}{suffix}.png"))                  # what a first look sees
    screenshot_whole(page, str(SHOTS / f"{name}-{lang}{suffix}-whole.png"))
    page.close()


def test_train_a_model_watch_the_curve_grow_and_stop_it(chromium, app_url):
    page = open_page(chromium, app_url + "/train", viewport=(1600, 1400))
    expect(page.get_by_text("No run yet")).to_be_visible()
    # 30 epochs, so the run is still going while we watch it (3 epochs of mnist-5k take seconds).
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="Epochs").locator('input[type="range"]')
    thumb.focus()
    thumb.press("End")
    expect(page.locator('[data-testid="stSlider"]').filter(has_text="Epochs")).to_contain_text("30")
    wait_idle(page)
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text(re.compile(r"epoch \d+/30 · step \d+/\d+"))).to_be_visible(timeout=60_000)
    curve = page.locator(".st-key-train_curves .curves")       # our chart keeps its point count on itself
    expect(curve).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"), timeout=30_000)
    first = curve.get_attribute("data-points")
    expect(curve).not_to_have_attribute("data-points", first, timeout=30_000)   # the curve grows while we watch
    page.reload()                                                       # the page re-attaches to the run
    expect(page.get_by_text(re.compile(r"epoch \d+/30 · step \d+/\d+"))).to_be_visible(timeout=30_000)
    expect(curve).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"), timeout=30_000)
    assert int(curve.get_attribute("data-points")) > int(first)        # the whole history came back after the reload
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
    expect(page.get_by_text(re.compile("Stopped by you"))).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="Test accuracy")).to_be_visible(timeout=60_000)
    # Click the confusion matrix's cell for true 1, answered 1: its images appear beside it.
    box = _box(page, ".st-key-confusion_chart .nsewdrag")
    page.mouse.click(box["x"] + 1.5 * box["width"] / 10, box["y"] + 1.5 * box["height"] / 10)
    expect(page.get_by_text(re.compile(r"1 read as 1: \d+ shown"))).to_be_visible(timeout=20_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "train-after-run-en.png"), full_page=True)
    page.close()


def test_the_grid_keeps_an_edit_after_a_trip_to_another_source(lab):
    _choose(lab, "Image source", "Number grid (6×6 example)")
    grid = lab.locator('[data-testid="stDataFrame"]').first
    grid.wait_for()
    message = lab.get_by_text(re.compile(r"of the grid is empty, NaN or infinite"))
    _empty_cell(lab, 1.5 / 6, 1.5 / 7, message)         # cell (0, 1), below a header row
    _choose(lab, "Image source", "MNIST digit")
    expect(message).to_have_count(0)
    _choose(lab, "Image source", "Number grid (6×6 example)")
    expect(message).to_be_visible()                  # the emptied cell is still empty


def test_a_copied_link_opens_the_same_maps_in_a_fresh_browser(chromium, lab):
    _nudge_slider(lab, "Stride ↓ rows", 1)
    expect(lab.locator(".labmaps")).to_have_attribute("data-shape", "13x26")
    _choose(lab, "Activation function", "tanh")
    wait_idle(lab)
    _point_at_cell(lab, 5, 9, (13, 26), click=True)
    wait_idle(lab)
    lab.mouse.move(0, 0)
    expect(lab.locator(".labmaps")).to_have_attribute("data-cell", "5,9")
    lab.get_by_role("button", name="Copy link to this view").click()
    expect(lab.locator(".copylink")).to_have_attribute("data-link", re.compile(r"sh=2"))
    link = lab.locator(".copylink").get_attribute("data-link")
    want = {name: lab.locator(".labmaps").get_attribute(name) for name in ("data-shape", "data-cell", "data-arith")}
    context = chromium.new_context(viewport={"width": 1600, "height": 1000})   # a fresh browser: no shared state
    try:
        other = context.new_page()
        other.goto(link)
        expect(other.locator(".labmaps")).to_have_attribute("data-cell", "5,9", timeout=30_000)
        for name, value in want.items():
            assert other.locator(".labmaps").get_attribute(name) == value, name
        expect(other.get_by_text("After tanh · 13×26")).to_be_visible()
    finally:
        context.close()


def test_dragging_a_geometry_slider_updates_the_maps_during_the_drag(lab):
    thumb = lab.locator(SLIDERS).filter(has_text="Stride ↓ rows").first.locator('input[type="range"]')
    thumb.scroll_into_view_if_needed()
    box = thumb.bounding_box()
    y = box["y"] + box["height"] / 2

    def at(value: int) -> float:     # where the thumb's centre sits for a value
        return box["x"] + 7 + (box["width"] - 14) * (value - 1) / 3

    lab.mouse.move(at(1), y)
    lab.mouse.down()
    # The button stays down: each new shape must arrive while the thumb is still held.
    for stride, rows in ((2, 13), (3, 9), (4, 7)):
        lab.mouse.move(at(stride), y, steps=4)
        expect(lab.locator(".labmaps")).to_have_attribute("data-shape", f"{rows}x26", timeout=15_000)
    lab.mouse.up()
    wait_idle(lab)
    expect(lab.locator(".labmaps")).to_have_attribute("data-shape", "7x26")
    assert lab.locator('[data-testid="stException"]').count() == 0


ON_TOP = """(el) => { const r = el.getBoundingClientRect();   // not hidden under the pinned map view
  return el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_on_a_phone_the_feature_map_stays_in_view_while_its_controls_change(chromium, app_url, lang):
    """390×844: the map view is pinned under the header while the cards scroll beneath it. Scrolled down to the
    stride slider, then to the kernel grid, each change is seen at once: the feature map's canvas is inside the
    screen, shows the new shape, and the control itself is not hidden under the maps."""
    page = open_page(chromium, f"{app_url}/lab?lang={lang}", viewport=(390, 844))
    feature = page.locator(FEATURE)
    expect(feature).to_be_visible()
    wait_idle(page)
    main = page.locator('[data-testid="stMain"]')
    stride = page.locator(".live-slider").filter(has_text="Stride ↓ rows" if lang == "en" else "步长 ↓ 行").first

    def in_view() -> None:
        box = feature.bounding_box()
        assert box and box["width"] > 100, box
        assert 0 <= box["x"] and box["x"] + box["width"] <= 390, box
        assert 50 <= box["y"] and box["y"] + box["height"] <= 844, box

    thumb = stride.locator("input")
    thumb.evaluate("(el) => el.scrollIntoView({block: 'start'})")     # as the browser scrolls to a focused control
    assert main.evaluate("(el) => el.scrollTop") > 800                 # the cards were scrolled well past
    assert thumb.evaluate(ON_TOP)
    thumb.focus()
    thumb.press("ArrowRight")
    expect(page.locator(".labmaps")).to_have_attribute("data-shape", "13x26")
    in_view()
    title = "Feature map · 13×26" if lang == "en" else "特征图 · 13×26"
    expect(page.locator(".labmaps .panel:nth-child(2) .head")).to_have_text(title)
    wait_idle(page)
    in_view()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"lab-{lang}-phone-stride.png"))
    cell = page.locator(".kernelgrid input").nth(4)
    cell.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    assert cell.evaluate(ON_TOP)
    cell.fill("5")
    cell.press("Enter")
    page.wait_for_function("""() => { const a = JSON.parse(document.querySelector('.labmaps').dataset.arith || 'null');
        return a && a.patch[0][4] !== 0 && Math.abs(a.products[0][4] - 5 * a.patch[0][4]) < 1e-12; }""")
    in_view()
    wait_idle(page)
    in_view()
    page.screenshot(path=str(SHOTS / f"lab-{lang}-phone-kernel.png"))
    page.close()
