"""Training speed: our engine against the PyTorch tutorial pipeline, one epoch each, in one process.

    python bench/train_throughput.py [--data-root ../shared/data] [--epochs 1]

Reference: torchvision's MNIST + ToTensor + DataLoader(batch_size=64) and a plain Adam loop (the tutorial
way: every image goes through PIL and ToTensor each epoch). Ours: cnn.train over preloaded uint8 tensors,
channels_last, fused Adam, bf16 mixed precision where the CPU has AMX (its default), same model
(seed-mnist), same batch size, same optimiser settings. Prints images/s, the ratio,
test accuracy of both, and the peak memory (RSS) of the process after each. Target: ratio >= 2 at equal
or better accuracy.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnn import data, models, train  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class EngineOrder(torch.utils.data.Sampler):
    """The order cnn.train visits the images in for `seed` (one randperm per epoch from its generator)."""

    def __init__(self, n: int, seed: int):
        self.n, self.generator = n, torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        return iter(torch.randperm(self.n, generator=self.generator).tolist())


def tutorial_epoch(root: str, epochs: int, seed: int, same_order: bool = False) -> tuple[float, float]:
    """(images/s, test accuracy) the tutorial way; `same_order` feeds it our engine's shuffle instead."""
    from torchvision import datasets, transforms

    torch.manual_seed(seed)
    to_tensor = transforms.ToTensor()
    train_set = datasets.MNIST(root, train=True, download=False, transform=to_tensor)
    test_set = datasets.MNIST(root, train=False, download=False, transform=to_tensor)
    order = {"sampler": EngineOrder(len(train_set), seed)} if same_order else {"shuffle": True}
    loader = torch.utils.data.DataLoader(train_set, batch_size=64, **order)
    model = models.build(models.preset("seed-mnist"))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start, seen = time.perf_counter(), 0
    for _ in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            seen += len(y)
    rate = seen / (time.perf_counter() - start)
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in torch.utils.data.DataLoader(test_set, batch_size=1000):
            correct += (model(x).argmax(1) == y).sum().item()
    return rate, correct / len(test_set)


def our_epoch(root: str, epochs: int, seed: int) -> tuple[float, float]:
    train_full = data.load_dataset("mnist", root, "train", download=False)
    val = data.load_dataset("mnist", root, "val", download=False)
    # The tutorial trains on all 60,000: so do we here, to compare like with like.
    everything = data.Dataset("mnist", "train", torch.cat([train_full.images, val.images]),
                              torch.cat([train_full.labels, val.labels]), train_full.classes)
    test = data.load_dataset("mnist", root, "test", download=False)
    torch.manual_seed(seed)  # the same initial weights as the tutorial's run with this seed
    model = models.build(models.preset("seed-mnist"))
    config = train.TrainConfig(epochs=epochs, batch_size=64, lr=1e-3, seed=seed)
    history = train.train(model, everything, None, config)
    seconds = sum(e["seconds"] for e in history.epochs)
    return len(everything) * epochs / seconds, train.evaluate(model, test)["accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=10,
                        help="runs of each, averaged: one epoch's accuracy varies by ±0.5 points from seed to seed")
    parser.add_argument("--same-order", action="store_true",
                        help="also train the tutorial loop on our engine's shuffle: separates the order's effect on "
                             "accuracy from the pipelines'")
    args = parser.parse_args()
    precision = train.pick_precision(train.TrainConfig().precision, train.pick_device())
    print(f"seed-mnist on full MNIST, {args.epochs} epoch(s), batch 64, Adam 1e-3, torch threads "
          f"{torch.get_num_threads()}, mean of {args.seeds} seeds; cnn.train precision: {precision}")
    ref, ours = [], []
    for seed in range(args.seeds):  # interleaved, so a change in the machine's load hits both alike
        ref.append(tutorial_epoch(args.data_root, args.epochs, seed=seed))
        ref_peak = peak_rss_mb()
        ours.append(our_epoch(args.data_root, args.epochs, seed=seed))
    ref_rate, ref_acc = (sum(v) / len(v) for v in zip(*ref))
    our_rate, our_acc = (sum(v) / len(v) for v in zip(*ours))
    print(f"tutorial (DataLoader + ToTensor): {ref_rate:8,.0f} img/s   test accuracy {ref_acc:.4f} "
          f"({', '.join(f'{a:.4f}' for _, a in ref)})   peak RSS {ref_peak:,.0f} MB")
    print(f"cnn.train (preloaded tensors):     {our_rate:8,.0f} img/s   test accuracy {our_acc:.4f} "
          f"({', '.join(f'{a:.4f}' for _, a in ours)})   peak RSS {peak_rss_mb():,.0f} MB (process, after both)")
    print(f"ratio: {our_rate / ref_rate:.2f}x the tutorial's images/s (target >= 2x), "
          f"accuracy difference {100 * (our_acc - ref_acc):+.2f} points")
    if args.same_order:
        same = [tutorial_epoch(args.data_root, args.epochs, seed, same_order=True)[1] for seed in range(args.seeds)]
        print(f"tutorial loop fed cnn.train's shuffle: test accuracy {sum(same) / len(same):.4f} "
              f"({', '.join(f'{a:.4f}' for a in same)}), to compare with cnn.train's per seed above")


if __name__ == "__main__":
    main()
