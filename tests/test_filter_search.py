"""What each filter looks for, searched outside the app's process: the same answer as the search done in
place, in chunks of filters, cancellable, one search per model and layer for every session, and the app's
own memory flat while a 256-filter layer is searched."""

import threading
import time

import numpy as np
import torch

from cnn import filter_search, filter_view, models

WIDE = models.ModelSpec("wide", (1, 28, 28), [models._conv(256, 3), models._act(), models._pool(), models.FLATTEN,
                                              models._dense(10)])
SMALL = models.ModelSpec("small", (1, 28, 28), [models._conv(6, 3), models._act(), models._pool(),
                                                models._conv(5, 3), models._act(), models.FLATTEN, models._dense(10)])


def _saved(spec, folder):
    torch.manual_seed(0)
    models.save(models.build(spec), spec, folder / "model", dataset="mnist-5k")
    return folder / "model"


def _rss_mb() -> float:
    return filter_search._rss_mb(__import__("os").getpid())


def _until_ended(found, timeout=300):
    deadline = time.monotonic() + timeout
    while found.state in (filter_search.WAITING, filter_search.RUNNING):
        assert time.monotonic() < deadline, f"the search did not end in {timeout} s"
        time.sleep(0.05)


def test_chunks_of_filters_grow_the_same_pictures_as_one_batch():
    torch.manual_seed(0)
    model = models.build(SMALL).eval()
    whole, responses = filter_view.maximise(model, SMALL, 3, steps=8)
    parts = [filter_view.maximise(model, SMALL, 3, steps=8, which=which) for which in ([0, 1], [2, 3, 4])]
    np.testing.assert_allclose(np.concatenate([p[0] for p in parts]), whole, atol=1e-5)
    np.testing.assert_allclose(np.concatenate([p[1] for p in parts]), responses, rtol=1e-5, atol=1e-6)


def test_the_search_process_finds_what_the_search_in_place_finds(tmp_path):
    path = _saved(SMALL, tmp_path)
    searches = filter_search.Searches(samples=200, steps=8, budget_mb=0.2)     # a tiny budget: many chunks
    found = searches.get("small@1", path, 3, "mnist-5k")
    assert searches.get("small@1", path, 3, "mnist-5k") is found                 # one per model and layer
    _until_ended(found)
    assert found.state == filter_search.DONE, found.reason
    model, spec = models.load(path)
    images = filter_view.search_images(spec, "mnist-5k", 200)
    top = filter_view.strongest_patches(model, spec, images, 3)
    pictures, _ = filter_view.maximise(model, spec, 3, steps=8)
    got_top, got_pictures = found.result
    assert [[(s.image, s.row, s.col, s.box) for s in f] for f in got_top] == \
        [[(s.image, s.row, s.col, s.box) for s in f] for f in top]
    np.testing.assert_allclose([[s.activation for s in f] for f in got_top],
                               [[s.activation for s in f] for f in top], rtol=1e-5)
    np.testing.assert_allclose(got_pictures, pictures, atol=1e-5)


def test_a_search_can_be_cancelled_and_asked_for_again(tmp_path):
    path = _saved(WIDE, tmp_path)
    searches = filter_search.Searches(samples=1000, steps=400)
    found = searches.get("wide@1", path, 0, "mnist-5k")
    deadline = time.monotonic() + 120
    while found.progress == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    found.cancel()
    _until_ended(found, 30)
    assert found.state == filter_search.CANCELLED and found.result is None
    again = searches.get("wide@1", path, 0, "mnist-5k")
    assert again is not found and again.state in (filter_search.WAITING, filter_search.RUNNING)
    again.cancel()
    _until_ended(again, 30)


def test_the_apps_memory_stays_flat_while_a_256_filter_layer_is_searched(tmp_path):
    """Searched in this process, the 256 maps of 26×26 for a batch of 256 images alone are 177 MB, and
    growing 256 pictures holds as much again with its gradients; the app must not grow by a fraction."""
    path = _saved(WIDE, tmp_path)
    searches = filter_search.Searches(samples=1000, steps=20)
    before = _rss_mb()
    peak = [before]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_mb())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        found = searches.get("wide@1", path, 0, "mnist-5k")
        _until_ended(found, 600)
    finally:
        stop.set()
        sampler.join()
    assert found.state == filter_search.DONE, found.reason
    top, pictures = found.result
    assert len(top) == 256 and pictures.shape == (256, 1, 28, 28)
    assert peak[0] - before < 60, f"the app grew by {peak[0] - before:.0f} MB"
    assert found.peak_mb > 200              # the work (torch, the maps) happened in the search process


def test_a_server_that_exits_mid_search_exits_cleanly_and_takes_its_search_along(tmp_path):
    import subprocess
    import sys

    path = _saved(WIDE, tmp_path)
    script = f"""
import sys, time
sys.path.insert(0, {str(filter_search.ROOT)!r})
from cnn import filter_search
found = filter_search.Searches(steps=400).get("wide@1", {str(path)!r}, 0, "mnist-5k")
while found.progress == 0:
    time.sleep(0.05)
print(found.state, flush=True)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "running", done.stderr[-2000:]
    # The search process noticed its parent had gone, and ended too.
    deadline = time.monotonic() + 10
    while subprocess.run(["pgrep", "-f", f"cnn.filter_search {path}"], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "the search process outlived the server"
        time.sleep(0.1)
