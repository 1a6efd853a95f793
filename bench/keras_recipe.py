"""The lecture's recipe three ways, back to back: its Keras script, our command line, the PyTorch tutorial's loop.

    python bench/keras_recipe.py [--data-root ../shared/data] [--epochs 10] [--reps 3] [--tutorial-epochs 2]
    python bench/keras_recipe.py --epochs 1 --reps 1          # a quick look

The recipe: the seed-mnist network (Conv 32@3x3 ReLU, max-pool 2, dense 100 ReLU, dense 10), Adam 1e-3,
batch 32, all 60,000 MNIST training images, then the 10,000 test images.

- Keras: bench/keras_seed_mnist.py in a virtual environment of its own under ~/.cache/cnn-lab/keras-bench
  (created here the first time with `tensorflow-cpu` from the registry: about 1.6 GB, once).
- Ours: `python -m cnn.cli ... --no-validation --precision fp32`, then with the default precision (bf16 mixed
  where the CPU has AMX, float32 elsewhere), each in a fresh process on every core, reading the run's metrics.json;
  then the default precision with the threads the app's worker trains with (every core but one:
  `--worker-epochs`, 2 by default), so the app's speed is a figure too.
- The tutorial: torchvision's MNIST + ToTensor + DataLoader(batch_size=32, shuffle=True) and a plain Adam loop,
  in a fresh process (`--tutorial-epochs`, 2 by default: its seconds per epoch are steady).

Each repetition runs all of them in turn, so a change in the machine's load hits each alike; seconds per epoch
are each run's mean over its epochs, then the median over repetitions. Ratios are Keras's (or the tutorial's)
seconds per epoch over ours: above 1, we are faster. The utilisation line sets the arithmetic an epoch needs
(3 x the forward multiply-adds, 2 FLOP each) against a large matmul's GFLOP/s measured in this run with all of
torch's threads: "close to the limit" as a number. The load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KERAS_VENV = Path.home() / ".cache" / "cnn-lab" / "keras-bench"
KERAS_PYTHON = KERAS_VENV / "bin" / "python"
IMAGES = 60_000


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"


def keras_ready() -> bool:
    return KERAS_PYTHON.exists() and subprocess.run([str(KERAS_PYTHON), "-c", "import keras, tensorflow"],
                                                    capture_output=True).returncode == 0


def install_keras() -> None:
    """A virtual environment with tensorflow-cpu (and the Keras it brings), made once and kept."""
    if keras_ready():
        return
    print(f"installing tensorflow-cpu into {KERAS_VENV} (once; about 1.6 GB) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(KERAS_VENV)], check=True)
    subprocess.run([str(KERAS_PYTHON), "-m", "pip", "install", "-q", "tensorflow-cpu"], check=True)
    if not keras_ready():
        sys.exit("tensorflow-cpu was installed but `import keras, tensorflow` fails in " + str(KERAS_VENV))


def last_json(output: str) -> dict:
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


def run_keras(raw: Path, epochs: int) -> dict:
    done = subprocess.run([str(KERAS_PYTHON), str(ROOT / "bench" / "keras_seed_mnist.py"), str(raw),
                           "--epochs", str(epochs)], capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if done.returncode:
        sys.exit("the Keras script failed:\n" + done.stderr[-3000:])
    return last_json(done.stdout)


def run_ours(data_root: str, epochs: int, precision: str, folder: Path, threads: int | None = None) -> dict:
    command = [sys.executable, "-m", "cnn.cli", "--preset", "seed-mnist", "--dataset", "mnist", "--data-root",
               data_root, "--epochs", str(epochs), "--batch-size", "32", "--lr", "0.001", "--no-validation",
               "--precision", precision, "--quiet", "--out", str(folder)]
    if threads:
        command += ["--threads", str(threads)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit("cnn.cli failed:\n" + done.stderr[-3000:])
    metrics = json.loads((folder / "metrics.json").read_text())
    return {"seconds": [e["seconds"] for e in metrics["epochs"]], "test_accuracy": metrics["test_accuracy"]}


def run_tutorial(data_root: str, epochs: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--tutorial-child", "--data-root", data_root,
                           "--tutorial-epochs", str(epochs)], capture_output=True, text=True)
    if done.returncode:
        sys.exit("the tutorial loop failed:\n" + done.stderr[-3000:])
    return last_json(done.stdout)


def tutorial(data_root: str, epochs: int) -> None:
    """The PyTorch tutorial's way, as a student copies it: every image through PIL and ToTensor each epoch."""
    import torch
    import torch.nn.functional as F
    from torchvision import datasets, transforms

    from cnn import models

    torch.manual_seed(0)
    to_tensor = transforms.ToTensor()
    loader = torch.utils.data.DataLoader(datasets.MNIST(data_root, train=True, download=False, transform=to_tensor),
                                         batch_size=32, shuffle=True)
    model = models.build(models.preset("seed-mnist"))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds = []
    for _ in range(epochs):
        model.train()
        started = time.perf_counter()
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        seconds.append(time.perf_counter() - started)
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in torch.utils.data.DataLoader(datasets.MNIST(data_root, train=False, download=False,
                                                               transform=to_tensor), batch_size=1000):
            correct += (model(x).argmax(1) == y).sum().item()
    print(json.dumps({"seconds": seconds, "test_accuracy": correct / 10_000, "threads": torch.get_num_threads()}))


def peak_gflops() -> dict[str, float]:
    """The best of a few large matmuls (2048 x 2048), float32 and bfloat16, with all of torch's threads."""
    import torch

    found = {}
    for name, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
        a, b = torch.randn(2048, 2048, dtype=dtype), torch.randn(2048, 2048, dtype=dtype)
        a @ b
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(3):
                a @ b
            best = min(best, (time.perf_counter() - started) / 3)
        found[name] = 2 * 2048 ** 3 / best / 1e9
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--tutorial-epochs", type=int, default=2)
    parser.add_argument("--worker-epochs", type=int, default=2,
                        help="epochs of the run trained with the app's worker's threads (every core but one)")
    parser.add_argument("--tutorial-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tutorial_child:
        return tutorial(args.data_root, args.tutorial_epochs)

    import torch

    from cnn import cost, models, train

    raw = Path(args.data_root) / "MNIST" / "raw"
    if not (raw / "train-images-idx3-ubyte").exists():
        sys.exit(f"no MNIST in {raw}: pass --data-root, the folder that holds MNIST/raw")
    install_keras()
    started_load = load()
    print(f"{time.strftime('%Y-%m-%d %H:%M')} · {platform.processor() or platform.machine()}, {os.cpu_count()} "
          f"cores · torch {torch.__version__}, command line threads {train.all_threads()}, worker threads "
          f"{train.training_threads()}, default precision "
          f"{train.pick_precision('auto', torch.device('cpu'))} · load average at start {started_load}", flush=True)
    print(f"recipe: seed-mnist, Adam 1e-3, batch 32, {IMAGES:,} images, {args.epochs} epoch(s), {args.reps} "
          f"repetition(s); the tutorial loop {args.tutorial_epochs} epoch(s) a repetition", flush=True)
    results: dict[str, list[dict]] = {"keras": [], "ours fp32": [], "ours default": [], "as the worker": [],
                                      "tutorial": []}
    worker_threads = train.training_threads()
    with tempfile.TemporaryDirectory(prefix="keras-recipe-") as tmp:
        for rep in range(args.reps):
            for name, call in (("keras", lambda: run_keras(raw, args.epochs)),
                               ("ours fp32", lambda rep=rep: run_ours(args.data_root, args.epochs, "fp32",
                                                                      Path(tmp) / f"fp32-{rep}")),
                               ("ours default", lambda rep=rep: run_ours(args.data_root, args.epochs, "auto",
                                                                         Path(tmp) / f"auto-{rep}")),
                               ("as the worker", lambda rep=rep: run_ours(args.data_root, args.worker_epochs, "auto",
                                                                          Path(tmp) / f"worker-{rep}",
                                                                          worker_threads)),
                               ("tutorial", lambda: run_tutorial(args.data_root, args.tutorial_epochs))):
                result = call()
                results[name].append(result)
                per_epoch = statistics.mean(result["seconds"])
                print(f"  rep {rep + 1} {name:13s} {per_epoch:6.2f} s/epoch  test accuracy "
                      f"{100 * result['test_accuracy']:.2f}%  ({load()})", flush=True)
    peak = peak_gflops()
    versions = results["keras"][0].get("versions", "Keras")

    def per_epoch(name: str) -> float:
        return statistics.median(statistics.mean(r["seconds"]) for r in results[name])

    def accuracy(name: str) -> float:
        return 100 * statistics.mean(r["test_accuracy"] for r in results[name])

    flop = 2 * cost.BACKWARD_FACTOR * cost.forward_macs(models.preset("seed-mnist")) * IMAGES
    print(f"\n{'':14s} {'s/epoch':>8s} {'test acc':>9s} {'GFLOP/s':>8s}")
    for name in results:
        print(f"{name:14s} {per_epoch(name):8.2f} {accuracy(name):8.2f}% {flop / per_epoch(name) / 1e9:8.1f}")
    keras = per_epoch("keras")
    for name in ("ours fp32", "ours default"):
        print(f"{name} vs Keras ({versions}, float32): {keras / per_epoch(name):.2f}x per epoch (goal >= 2x), "
              f"accuracy {accuracy(name) - accuracy('keras'):+.2f} points (goal >= -0.15)")
    print(f"the app's worker trains with the same loop on {worker_threads} thread(s) (every core but one, leaving "
          f"one to the pages): {per_epoch('as the worker'):.2f} s/epoch at the default precision, "
          f"{per_epoch('ours default') / per_epoch('as the worker'):.2f}x the command line's speed, "
          f"{keras / per_epoch('as the worker'):.2f}x Keras's ({args.worker_epochs} epoch(s) a repetition)")
    print(f"ours default vs the tutorial's DataLoader loop: {per_epoch('tutorial') / per_epoch('ours default'):.2f}x"
          f" (goal >= 3x); ours fp32: {per_epoch('tutorial') / per_epoch('ours fp32'):.2f}x")
    print(f"utilisation: an epoch is {flop / 1e9:.0f} GFLOP; ours fp32 {flop / per_epoch('ours fp32') / 1e9:.1f} "
          f"GFLOP/s = {100 * flop / per_epoch('ours fp32') / 1e9 / peak['float32']:.1f}% of this machine's measured "
          f"float32 peak ({peak['float32']:.0f} GFLOP/s, 2048² matmul); ours default "
          f"{flop / per_epoch('ours default') / 1e9:.1f} GFLOP/s = "
          f"{100 * flop / per_epoch('ours default') / 1e9 / peak['bfloat16']:.1f}% of the bfloat16 peak "
          f"({peak['bfloat16']:.0f} GFLOP/s)")
    print(f"load average at start {started_load}, at the end {load()} (2 cores: above 2 means others were busy)")


if __name__ == "__main__":
    sys.exit(main())
