"""How fast the Convolution Lab answers. Run by hand: `make bench` (or python bench/lab_latency.py).

1. Server side: the work of one Lab update (pad, convolve, activate, pool, build the four figures and
   serialise them as Streamlit does) for 28x28 and 512x512 inputs with 3x3 and 7x7 kernels, against a
   reference in the same process: the exact numpy path with every map as a full plotly heatmap.
   Targets: <= 50 ms p50 at 512x512 with 7x7.
2. Browser: the time from a stride change to the updated feature map in Chromium, for a 28x28 digit
   (also while a training job runs in another tab: target within 500 ms) and a 512x512 photo with a
   7x7 kernel. Target: <= 150 ms p50.
Numbers depend on the machine; the ratios are the point, measured side by side in one process.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from cnn import images, kernels, ops, viz  # noqa: E402


def ours(values, clickable=False, **overlays) -> int:
    """As the Lab page shows a map: a chart where cells are clicked or numbered, else a picture."""
    if viz.as_picture(values.shape, clickable=clickable):
        return len(viz.map_png(values, **overlays))
    return len(viz.map_figure(values, clickable=clickable, **overlays).to_json())


def heatmap_everywhere(values, signed=True, **_) -> int:
    """The reference: every map as a plotly heatmap, every cell as a number in the JSON."""
    return len(go.Figure(go.Heatmap(z=values, colorscale="RdBu" if signed else "gray")).to_json())


def lab_update(image, kernel, *, stride=1, method="auto", show=ours) -> int:
    """What the page computes for one change; returns the bytes sent so nothing is optimised away."""
    pads = ops.resolve_padding("same", kernel.shape)
    padded = ops.pad(image[None], pads)
    feature = ops.conv2d(image, kernel, stride=stride, padding="same", method=method)
    activated = ops.activate(feature, "relu")
    pooled = ops.pool2d(activated, size=2, method=method)
    win = ops.window(image, kernel, 0, 0, stride=stride, padding="same")
    return (show(padded[0], signed=False, pads=pads, receptive=(win.rows, win.cols))
            + show(feature, cell=(0, 0), clickable=True) + show(activated, cell=(0, 0))
            + show(pooled, cell=(0, 0), clickable=True))


def timed(fn, repeats: int) -> list[float]:
    fn()  # warm-up: lazy imports, caches
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def server_side() -> None:
    print("Server side, one Lab update (ms): ours vs reference (numpy conv + full heatmaps)")
    print(f"{'input':>8} {'kernel':>6} {'ours p50':>9} {'ours p90':>9} {'ref p50':>8} {'ref/ours':>9} {'MB sent':>8}")
    for side in (28, 512):
        image = images.sample_photo("camera", size=side) if side > 28 else images.mnist_digit(0)[0]
        for k in (3, 7):
            kernel = kernels.preset("gaussian", k) - kernels.preset("box_blur", k)  # a signed kernel
            repeats = 30 if side == 28 else 15
            ours = timed(lambda image=image, kernel=kernel: lab_update(image, kernel), repeats)
            ref = timed(lambda image=image, kernel=kernel: lab_update(image, kernel, method="numpy",
                                                                       show=heatmap_everywhere), repeats)
            sent = lab_update(image, kernel) / 1e6
            p50, p90, r50 = np.percentile(ours, 50), np.percentile(ours, 90), np.percentile(ref, 50)
            print(f"{side:>6}^2 {k:>4}x{k} {p50:>9.1f} {p90:>9.1f} {r50:>8.1f} {r50 / p50:>8.1f}x {sent:>8.2f}")


def browser_side(trials: int = 16) -> None:
    from harness import browser, open_page, streamlit_server, wait_idle
    from playwright.sync_api import expect

    def stride_changes(page, small: str, halved: str) -> list[float]:
        """Milliseconds from a stride key press to the feature map's new shape on screen."""
        thumb = page.locator('[data-testid="stSlider"], .live-slider').filter(has_text="Stride ↓ rows").first
        thumb = thumb.locator('input[type="range"]')
        times = []
        for i in range(trials):
            key, title = ("ArrowRight", halved) if i % 2 == 0 else ("ArrowLeft", small)
            thumb.focus()
            start = time.perf_counter()
            thumb.press(key)
            page.get_by_text(title).wait_for(state="visible", timeout=30_000)
            times.append((time.perf_counter() - start) * 1000)
            wait_idle(page)
        return times

    def report(label: str, times: list[float]) -> None:
        print(f"{label:44s} p50 {statistics.median(times):5.0f} ms   p90 {np.percentile(times, 90):5.0f} ms")

    print(f"\nBrowser (Chromium), stride change -> feature map with its new shape on screen, {trials} changes")
    with streamlit_server() as url, browser() as b:
        page = open_page(b, url + "/lab")
        expect(page.get_by_text("Feature map · 26×26")).to_be_visible()
        report("28x28 digit, 3x3 kernel (clickable charts)",
               stride_changes(page, "Feature map · 26×26", "Feature map · 13×26"))

        # The same, while a training job runs in another tab (target: within 500 ms).
        trainer = open_page(b, url + "/train")
        trainer.locator('[data-testid="stSlider"]').filter(has_text="Epochs").locator('input[type="range"]').focus()
        for _ in range(27):
            trainer.keyboard.press("ArrowRight")  # 3 -> 30 epochs: it will still be training when we finish
        trainer.get_by_role("button", name="Start training").click()
        trainer.get_by_text(re.compile(r"epoch 1/30 · step \d+")).wait_for(timeout=60_000)
        job_url = trainer.url
        trainer.close()  # as a user does: start the run, then go and play in the Lab
        report("28x28 digit, 3x3 kernel, while a job trains",
               stride_changes(page, "Feature map · 26×26", "Feature map · 13×26"))
        trainer = open_page(b, job_url)
        trainer.get_by_role("button", name="Stop").click()
        trainer.get_by_text(re.compile("stopped by you")).wait_for(timeout=60_000)

        def choose(label, option):
            page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
            page.get_by_role("option", name=option, exact=True).click()
            wait_idle(page)

        choose("Image source", "Photo")
        size = page.locator('[data-testid="stSlider"]').filter(has_text="Size (pixels a side)").first
        size.locator('input[type="range"]').focus()
        for _ in range(3):
            size.locator('input[type="range"]').press("ArrowRight")  # 64 -> 512
        expect(page.get_by_text(re.compile(r"Padded input · 1×512×512"))).to_be_visible(timeout=30_000)
        kernel = page.locator(".live-slider").filter(has_text="Kernel size").first
        kernel.locator('input[type="range"]').focus()
        for _ in range(4):
            kernel.locator('input[type="range"]').press("ArrowRight")  # 3 -> 7
        expect(page.get_by_text("Feature map · 506×506")).to_be_visible(timeout=30_000)
        wait_idle(page)
        report("512x512 photo, 7x7 kernel (images)",
               stride_changes(page, "Feature map · 506×506", "Feature map · 253×506"))


if __name__ == "__main__":
    if "--browser-only" not in sys.argv:
        server_side()
    if "--no-browser" not in sys.argv:
        browser_side()
