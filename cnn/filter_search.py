"""What each filter looks for (cnn.filter_view), searched outside the app's process.

The search runs every image through the network and grows a picture per filter by gradient ascent: for a
wide layer that is gigabytes of maps and minutes of CPU. In the app's process it would hold memory that
Python never gives back and compete with every page for the interpreter, so it runs in a process of its own:

    python -m cnn.filter_search MODEL LAYER DATASET OUT [SAMPLES STEPS BUDGET_MB]

which searches in chunks (of images, then of filters) sized to stay within a memory budget, prints its
progress as lines ("progress 0.42"), writes the result to OUT (.npz, atomically) and exits. It also exits
as soon as its parent goes away (its stdin closes).

On the server side, `Searches` keeps one search per model file and layer for everybody: the first session
that asks starts it, every session after sees the same progress and result. At most `concurrent` search
processes run at once (the others wait their turn), each is killed if its memory passes `rss_limit`, and
any can be cancelled. Nothing here imports streamlit: a later job engine can run `search` as a task.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BUDGET_MB = 256            # the maps one chunk may hold in the search process
RSS_LIMIT_MB = 3072        # a search process past this is killed (it is doing more than its chunks allow)
WAITING, RUNNING, DONE, FAILED, CANCELLED = "waiting", "running", "done", "failed", "cancelled"


# ---------------------------------------------------------------- the search, in its own process


def search(model_path: str, layer: int, dataset: str | None, out: str, *, samples: int = 1000, steps: int = 60,
           budget_mb: float = BUDGET_MB, on_progress=None) -> None:
    """Search `layer` of the model at `model_path` and write the result to `out` (.npz): for each filter its
    strongest patches (image, row, col, activation, box) and its grown picture."""
    import torch

    from cnn import filter_view, models

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model, spec = models.load(model_path)
    if dataset and dataset.startswith("@"):     # the images themselves, written by the server (an own set's)
        images = np.load(dataset[1:], allow_pickle=False)
    else:
        images = filter_view.search_images(spec, dataset, samples)
    budget = budget_mb * 2**20
    per_image = filter_view.bytes_per_image(spec, layer)
    batch = int(max(1, min(256, budget // per_image)))
    filters = filter_view._maps_shape(spec, layer)[0]
    chunk = int(max(1, min(filters, budget // (3 * per_image))))     # forward maps, their gradients, the input's
    chunks = [list(range(start, min(filters, start + chunk))) for start in range(0, filters, chunk)]
    report = on_progress or (lambda fraction: None)
    top = filter_view.strongest_patches(model, spec, images, layer, batch=batch,
                                        on_progress=lambda done, total: report(0.3 * done / total))
    pictures = []
    for k, which in enumerate(chunks):
        def step(done, total, k=k):
            report(0.3 + 0.7 * (k + done / total) / len(chunks))
        found, _ = filter_view.maximise(model, spec, layer, steps=steps, which=which, on_progress=step)
        pictures.append(found)
    table = np.array([[(s.image, s.row, s.col, *s.box) for s in per_filter] for per_filter in top], dtype=np.int64)
    values = np.array([[s.activation for s in per_filter] for per_filter in top], dtype=np.float64)
    tmp = f"{out}.part.npz"
    np.savez(tmp, table=table, values=values, pictures=np.concatenate(pictures).astype(np.float32))
    os.replace(tmp, out)


def read_result(path: str | os.PathLike):
    """(strongest patches per filter, grown pictures (filters, C, H, W)) from a search's .npz."""
    from cnn.filter_view import Strongest

    with np.load(path) as found:
        table, values, pictures = found["table"], found["values"], found["pictures"]
    top = [[Strongest(int(r[0]), int(r[1]), int(r[2]), float(v), (int(r[3]), int(r[4]), int(r[5]), int(r[6])))
            for r, v in zip(rows, vals)] for rows, vals in zip(table, values)]
    return top, pictures


def main(argv: list[str]) -> None:
    def orphaned() -> None:       # the parent's end of our stdin closes however it ends: so do we
        sys.stdin.buffer.read()
        os._exit(3)

    threading.Thread(target=orphaned, daemon=True).start()
    model, layer, dataset, out = argv[:4]
    samples, steps, budget = (int(argv[4]), int(argv[5]), float(argv[6])) if len(argv) > 6 else (1000, 60, BUDGET_MB)
    last = [0.0]

    def progress(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] > 0.2:
            last[0] = now
            print(f"progress {fraction:.4f}", flush=True)

    search(model, int(layer), None if dataset == "-" else dataset, out, samples=samples, steps=steps,
           budget_mb=budget, on_progress=progress)
    print("done", flush=True)
    os._exit(0)      # at once: the thread reading stdin would make an ordinary exit abort


# ---------------------------------------------------------------- the server side


def _rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


@dataclass
class Search:
    """One model's and layer's search, shared by every session that asks: read its fields, nothing else."""
    key: tuple
    state: str = WAITING
    progress: float = 0.0                 # 0..1
    result: tuple | None = None           # (strongest patches per filter, grown pictures) once done
    peak_mb: float = 0.0                  # the search process's largest memory, as last seen
    reason: str = ""                      # why it failed (English, for the log)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def failed(self) -> bool:
        return self.state in (FAILED, CANCELLED)

    def cancel(self) -> None:
        """Stop it (waiting or running); the next ask starts it again."""
        self._cancel.set()


class Searches:
    """The filter searches of one server: one per (model file, layer), at most `concurrent` processes."""

    def __init__(self, concurrent: int = 1, *, samples: int = 1000, steps: int = 60, budget_mb: float = BUDGET_MB,
                 rss_limit_mb: float = RSS_LIMIT_MB, keep: int = 8):
        self._searches: dict[tuple, Search] = {}
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(concurrent)
        self._folder = Path(tempfile.mkdtemp(prefix="cnn-lab-filters-"))
        self.samples, self.steps, self.budget_mb, self.rss_limit_mb, self.keep = \
            samples, steps, budget_mb, rss_limit_mb, keep

    def get(self, key: str, model_path: str | os.PathLike, layer: int, dataset: str | None,
            images: np.ndarray | None = None) -> Search:
        """The search of (key, layer): started the first time anyone asks (again after it failed or was
        cancelled), the same object for everyone after. `key` names the model file's version (and, with
        `images`, which images: the search then looks through these, handed to its process in a file, rather
        than loading `dataset` itself, which its process may not know: an own set's source lives here)."""
        with self._lock:
            found = self._searches.get((key, layer))
            if found is None or found.failed:
                found = self._searches[(key, layer)] = Search((key, layer))
                ended = [k for k, v in self._searches.items() if v.state in (DONE, FAILED, CANCELLED)]
                for old in ended[:max(0, len(self._searches) - self.keep)]:
                    del self._searches[old]
                threading.Thread(target=self._run, args=(found, str(model_path), layer, dataset, images),
                                 name=f"cnn-lab-filters-{layer}", daemon=True).start()
            return found

    def _run(self, found: Search, model_path: str, layer: int, dataset: str | None, images=None) -> None:
        while not self._slots.acquire(timeout=0.2):
            if found._cancel.is_set():
                found.state = CANCELLED
                return
        try:
            self._process(found, model_path, layer, dataset, images)
        except Exception as exc:     # a search must never take its thread's server down
            found.state, found.reason = FAILED, f"{type(exc).__name__}: {exc}"
        finally:
            self._slots.release()

    def _process(self, found: Search, model_path: str, layer: int, dataset: str | None, images=None) -> None:
        if found._cancel.is_set():
            found.state = CANCELLED
            return
        out = self._folder / f"{abs(hash(found.key))}-{time.monotonic_ns()}.npz"
        log = out.with_suffix(".log")
        given = out.with_suffix(".images.npy")
        if images is not None:
            np.save(given, np.asarray(images, dtype=np.float64), allow_pickle=False)
            dataset = f"@{given}"
        found.state = RUNNING
        with open(log, "w") as errors:      # a file, not a pipe: a chatty search can never block on it
            process = subprocess.Popen(
                [sys.executable, "-m", "cnn.filter_search", model_path, str(layer), dataset or "-", str(out),
                 str(self.samples), str(self.steps), str(self.budget_mb)],
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True)
        watching = threading.Thread(target=self._watch, args=(found, process), daemon=True)
        watching.start()
        for line in process.stdout:
            if line.startswith("progress "):
                found.progress = min(1.0, float(line.split()[1]))
        process.wait()
        watching.join()
        error = log.read_text(errors="replace")
        log.unlink(missing_ok=True)
        if found.state == RUNNING and process.returncode == 0 and out.exists():
            found.result = read_result(out)
            found.progress, found.state = 1.0, DONE
        elif found.state == RUNNING:
            found.state, found.reason = FAILED, error.strip().splitlines()[-1] if error.strip() else "no result"
        out.unlink(missing_ok=True)
        given.unlink(missing_ok=True)

    def _watch(self, found: Search, process: subprocess.Popen) -> None:
        """Kill the search when it is cancelled or passes its memory limit."""
        while process.poll() is None:
            found.peak_mb = max(found.peak_mb, _rss_mb(process.pid))
            if found._cancel.is_set() or found.peak_mb > self.rss_limit_mb:
                found.state = CANCELLED if found._cancel.is_set() else FAILED
                found.reason = found.reason or ("cancelled" if found._cancel.is_set() else
                                                f"over its memory limit ({found.peak_mb:.0f} MB)")
                process.kill()
                return
            time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1:])
