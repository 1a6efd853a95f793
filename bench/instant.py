"""Instant: how long a person waits, in Chromium, against Streamlit's floor measured in the same run.

    python bench/instant.py [--trials 16] [--cold 3]

The floor is bench/floor_app.py: one slider and one line of text, the fastest a Streamlit control can
answer. Then, on the app: a Lab control change until all maps are redrawn; hovering a cell until its
arithmetic is shown; the end of a stroke on Draw & Predict until the probabilities change, and how many
times a second they change during a slow stroke; `streamlit run` until the Lab is interactive; Train opened
at once after that, while the server still warms up; and every page opened on a warm server (once its log
says the warm-up has finished). Each as p50/p90 and as a ratio to the floor. Every wait is on the page's
(or the server log's) state; a step that times out is reported and the rest is still measured.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import measure  # noqa: F401, I001 (first: it puts tests/e2e on the path)
from harness import IDLE_JS, browser, streamlit_server, wait_idle
from measure import Results

SLIDERS = '[data-testid="stSlider"], .live-slider'   # Streamlit's sliders and ours (pages/views/live_slider.py)
FLOOR = "floor: one slider, one text"
CONTROLS = ("stride", "padding", "dilation", "kernel size", "bias", "activation", "pooling", "pooling window",
            "kernel cell")
READY_JS = """() => {
  return document.querySelector('.labmaps canvas') && !document.querySelector('[data-testid="stSkeleton"]')
    && document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state') === 'notRunning'; }"""


def changed(page, selector: str, attribute: str, before, timeout_ms: int) -> None:
    page.wait_for_function(
        "([sel, attr, before]) => { const el = document.querySelector(sel);"
        " return el && el.getAttribute(attr) !== null && el.getAttribute(attr) !== before; }",
        arg=[selector, attribute, before], polling="raf", timeout=timeout_ms)


def floor(results: Results, chromium, trials: int, timeout_ms: int) -> None:
    with streamlit_server(script="bench/floor_app.py") as url:
        page = chromium.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        page.get_by_test_id("floor-value").wait_for()
        wait_idle(page)
        thumb = page.locator('input[type="range"]').first
        for i in range(trials + 2):
            before = page.get_by_test_id("floor-value").inner_text()
            thumb.focus()

            def step(i=i, before=before):
                thumb.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                page.wait_for_function(
                    "(b) => { const e = document.querySelector('[data-testid=floor-value]');"
                    " return e && e.textContent !== b; }",
                    arg=before, polling="raf", timeout=timeout_ms)
            results.attempt(FLOOR if i >= 2 else "warm-up", step, record=i >= 2)
            wait_idle(page)
        page.close()


def slider(page, label: str):
    return page.locator(SLIDERS).filter(has_text=label).first.locator('input[type="range"]')


def lab_controls(results: Results, page, trials: int, timeout_ms: int) -> None:
    maps = ".labmaps"

    def timed(name: str, act) -> None:
        wait_idle(page)
        before = page.locator(maps).get_attribute("data-version")

        def step():
            act()
            changed(page, maps, "data-version", before, timeout_ms)
        results.attempt(f"Lab: {name} -> all maps redrawn", step)

    def at_once(locator):
        """A click as a hand makes it: one pointer press at the element's centre. Playwright's own click first
        scrolls, waits for two stable frames and hit-tests, which would add its waiting to the page's; a key
        press (the floor's slider, the Lab's) goes straight in, and so does this."""
        box = locator.bounding_box()
        return lambda: page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    def choose(label: str, option: str):
        """The step that picks `option` in one of the Lab's own menus (pages/views/choice.py): one click."""
        menu = page.locator(".lab-choice").filter(has_text=label).first
        menu.scroll_into_view_if_needed()
        return at_once(menu.get_by_role("radio", name=option, exact=True))

    for i in range(trials):
        right = i % 2 == 0
        slider(page, "Stride ↓ rows").focus()
        timed("stride", lambda right=right: slider(page, "Stride ↓ rows").press("ArrowRight" if right else "ArrowLeft"))
        click = results.attempt("open a menu", record=False,
                                action=lambda right=right: choose("Padding", "same" if right else "valid (none)"))
        if click:
            timed("padding", click)
        size = slider(page, "Kernel size")
        size.focus()
        timed("kernel size", lambda right=right, size=size: size.press("ArrowRight" if right else "ArrowLeft"))
        slider(page, "Dilation").focus()
        timed("dilation", lambda right=right: slider(page, "Dilation").press("ArrowRight" if right else "ArrowLeft"))
        bias = page.locator(".lab-number").filter(has_text="Bias b").first
        bias.scroll_into_view_if_needed()
        timed("bias", at_once(bias.locator(".plus" if right else ".minus")))
        click = results.attempt("open a menu", lambda right=right: choose(
            "Activation function", "Sigmoid" if right else "ReLU"), record=False)
        if click:
            timed("activation", click)
        click = results.attempt("open a menu", lambda right=right: choose("Pooling", "average" if right else "max"),
                                record=False)
        if click:
            timed("pooling", click)
        slider(page, "Window").focus()
        timed("pooling window",
              lambda right=right: slider(page, "Window").press("ArrowRight" if right else "ArrowLeft"))
        # The kernel's middle cell: type a new number; the time counts from Enter.
        centre = page.locator(".kernelgrid input").nth(4)
        if results.attempt("type into a kernel cell", lambda centre=centre, i=i: centre.fill(str(i % 3 + 1)) or True,
                           record=False):                # 1, 2, 3: always a change (the cell starts at 0)
            timed("kernel cell", lambda centre=centre: centre.press("Enter"))


def hover(results: Results, page, trials: int, timeout_ms: int) -> None:
    canvas = page.locator(".labmaps .panel:nth-child(2) canvas")
    canvas.scroll_into_view_if_needed()
    wait_idle(page)
    box = canvas.bounding_box()
    shape = [int(n) for n in page.locator(".labmaps").get_attribute("data-shape").split("x")]
    for i in range(trials * 2):
        row, col = (3 + 5 * i) % shape[0], (7 + 3 * i) % shape[1]
        x = box["x"] + (col + 0.5) * box["width"] / shape[1]
        y = box["y"] + (row + 0.5) * box["height"] / shape[0]

        def step(x=x, y=y, want=f"{row},{col}"):
            page.mouse.move(x, y)
            page.wait_for_function("(w) => document.querySelector('.labmaps').dataset.cell === w && "
                                   "document.querySelector('.labmaps').dataset.arith.includes('\"row\"')",
                                   arg=want, polling="raf", timeout=timeout_ms)
        if page.locator(".labmaps").get_attribute("data-cell") != f"{row},{col}":
            results.attempt("Lab: hover a cell -> its arithmetic shown", step)


RECORD = """(() => {
  // When the pen lifts, and every change of the drawing the probabilities answer (the page echoes the
  // number of the send it answered as data-seq on the bars).
  window.__changes = 0;
  document.addEventListener('pointerup', () => { window.__up = performance.now(); }, true);
  const look = () => {
    const bars = document.querySelector('[data-testid=probability-bars]');
    const seq = bars ? bars.dataset.seq : null;
    if (seq !== window.__seq) { window.__seq = seq; window.__changes += 1; }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();"""

ANSWERED = """(sent) => { const bars = document.querySelector('[data-testid=probability-bars]');
  return bars && bars.dataset.seq === sent && performance.now() - window.__up; }"""


def strokes(results: Results, chromium, url: str, trials: int, timeout_ms: int) -> None:
    context = chromium.new_context(viewport={"width": 1400, "height": 1100})
    context.add_init_script(RECORD)
    page = context.new_page()
    page.goto(url + "/draw")
    canvas = page.locator(".drawpad canvas")
    canvas.wait_for()
    wait_idle(page)
    box = canvas.bounding_box()
    for trial in range(trials + 1):
        if trial % 4 == 0:
            page.get_by_role("button", name="Clear").click()
            wait_idle(page)
        x0 = box["x"] + 60 + 40 * (trial % 4)

        def stroke(x0=x0):
            # A quick stroke, as a digit's strokes are: down, ten moves, up; timed from the lift.
            page.mouse.move(x0, box["y"] + 40)
            page.mouse.down()
            for step in range(1, 11):
                page.mouse.move(x0 + 3 * step, box["y"] + 40 + 20 * step)
            page.mouse.up()
            sent = page.locator(".drawpad").get_attribute("data-sent")
            return page.wait_for_function(ANSWERED, arg=sent, polling="raf", timeout=timeout_ms).json_value()
        waited = results.attempt("a stroke", stroke, record=False)
        if waited is not None and trial > 0:           # the first stroke wakes the page: not counted
            results.add("Draw: end of stroke -> new probabilities", float(waited))
        wait_idle(page)

    # A slow stroke, about 2 s at a hand's pace: how often the prediction follows it.
    for trial in range(3):
        page.get_by_role("button", name="Clear").click()
        wait_idle(page)
        x0 = box["x"] + 70 + 60 * trial
        page.mouse.move(x0, box["y"] + 30)
        start_changes = page.evaluate("window.__changes")
        start = time.perf_counter()
        page.mouse.down()
        for step in range(1, 61):
            page.mouse.move(x0 + 40 * (step / 60), box["y"] + 30 + 220 * (step / 60))
            time.sleep(0.033)                           # the pen's pace (not a wait for the app)
        seconds = time.perf_counter() - start
        updates = page.evaluate("window.__changes") - start_changes
        page.mouse.up()
        results.add("Draw: prediction updates per second of stroke", updates / seconds)
        wait_idle(page)
    context.close()


def cold_start(results: Results, chromium, trials: int, timeout_ms: int) -> None:
    for _ in range(trials):
        start = time.perf_counter()
        with streamlit_server() as url:
            page = chromium.new_page(viewport={"width": 1600, "height": 1200})

            def ready(page=page):
                page.goto(url + "/lab")
                page.wait_for_function(READY_JS, polling="raf", timeout=timeout_ms)
            results.attempt("warm-up", ready, record=False)
            results.add("cold start: streamlit run -> Lab interactive", (time.perf_counter() - start) * 1000)
            # A first visit to another page right now competes with the warm-up (the training worker importing
            # torch, the shipped model's first explanations): timed apart from visits to a warm server.
            first_visit(results, chromium, url, "train", "first visit during warm-up: open /train", timeout_ms)
            results.attempt("warm-up", lambda url=url: warmed(url, timeout_ms), record=False)
            for path in ("", "draw", "train", "inside", "lab"):
                first_visit(results, chromium, url, path, f"warm server: open /{path}", timeout_ms)
            page.close()


def first_visit(results: Results, chromium, url: str, path: str, name: str, timeout_ms: int) -> None:
    """Open /path in a fresh browser page until every element has drawn."""
    other = chromium.new_page(viewport={"width": 1600, "height": 1200})

    def opened():
        other.goto(f"{url}/{path}")
        other.wait_for_selector('[data-testid="stApp"]')
        other.wait_for_function(IDLE_JS, timeout=timeout_ms)
        other.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]')", timeout=timeout_ms)
    results.attempt(name, opened)
    other.close()


def warmed(url, timeout_ms: int) -> None:
    """Wait until the server's log says its warm-up has finished (pages/views/shared.warm_up)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while "warm-up finished" not in url.log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise TimeoutError("the server's log never said its warm-up had finished")
        time.sleep(0.2)   # polling the log for that line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--cold", type=int, default=3, help="fresh servers for the cold start")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a step counts as timed out")
    args = parser.parse_args()
    os.environ["CNN_LAB_RUNS"] = tempfile.mkdtemp(prefix="cnn-lab-bench-runs-")   # never the user's runs
    results = Results()
    timeout_ms = int(args.timeout * 1000)
    with browser() as chromium:
        floor(results, chromium, args.trials, timeout_ms)
        with streamlit_server() as url:
            page = chromium.new_page(viewport={"width": 1600, "height": 1300})

            def open_lab():
                page.goto(url + "/lab")
                page.wait_for_function(READY_JS, polling="raf", timeout=120_000)
            if results.attempt("open the Lab", open_lab, record=False) is not None or page.locator(".labmaps").count():
                results.attempt("Lab controls", lambda: lab_controls(results, page, args.trials, timeout_ms),
                                record=False)
                results.attempt("Lab hover", lambda: hover(results, page, args.trials, timeout_ms), record=False)
            page.close()
            results.attempt("Draw strokes", lambda: strokes(results, chromium, url, args.trials, timeout_ms),
                            record=False)
        results.attempt("cold start", lambda: cold_start(results, chromium, args.cold, 120_000), record=False)
        floor(results, chromium, args.trials, timeout_ms)               # the floor again: has the machine changed?

    print(f"\nChromium, {args.trials} trials each; ratios to the floor's p50 measured in this run")
    print(results.line(FLOOR))
    for name in CONTROLS:
        print(results.line(f"Lab: {name} -> all maps redrawn", FLOOR))
    floor_p50 = results.p(FLOOR, 0.5) or 0
    print(f"  target: every Lab control change <= 1.5x the floor = {1.5 * floor_p50:.0f} ms p50")
    print(results.line("Lab: hover a cell -> its arithmetic shown", FLOOR, target=50))
    print(results.line("Draw: end of stroke -> new probabilities", FLOOR, target=200))
    rates = sorted(results.series.get("Draw: prediction updates per second of stroke", []))
    if rates:
        print(f"  {'Draw: prediction updates per second of stroke':<48} p50 {rates[len(rates) // 2]:6.1f} /s"
              f"  (sends every 150 ms: at most 6.7/s)")
    print(results.line("cold start: streamlit run -> Lab interactive", FLOOR, target=5000))
    print(results.line("first visit during warm-up: open /train", FLOOR))
    for path in ("", "draw", "train", "inside", "lab"):
        print(results.line(f"warm server: open /{path}", FLOOR, target=2000))


if __name__ == "__main__":
    main()
