"""The command line: train a run into a folder, or resume one, with progress on stderr.

    python -m cnn.cli --preset seed-mnist --dataset mnist-5k --epochs 3 --out runs/x
    python -m cnn.cli --resume runs/x
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from cnn import data, datasets, models, runs
from cnn.runner import RunEvents, RunPlan, run
from cnn.train import Progress, TrainConfig, all_threads, keep_freed_memory


def _epoch_line(record: dict, epochs: int) -> str:
    parts = [f"{k} {v:.4f}" for k, v in record.items() if k not in ("epoch", "seconds", "images_per_s")]
    return (f"epoch {record['epoch']}/{epochs}: " + ", ".join(parts)
            + f", {record['seconds']:.1f} s, {record['images_per_s']:,.0f} img/s")


class _Printer(RunEvents):
    """The command line's progress on stderr: a tqdm bar redrawn a few times a second while an epoch runs
    when stderr is a terminal, and one line per finished epoch either way (a log or a pipe gets only those
    lines, never a carriage return). `quiet`: nothing at all."""

    def __init__(self, quiet: bool = False, stream=None):
        self.quiet, self.stream = quiet, stream or sys.stderr
        self.live = not quiet and self.stream.isatty()
        self.bar = None
        self.epochs = 0

    def batch(self, progress: Progress) -> None:
        self.epochs = progress.epochs
        if not self.live:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=progress.steps, desc=f"epoch {progress.epoch}/{progress.epochs}", unit="step",
                            file=self.stream, leave=False, mininterval=0.25, dynamic_ncols=True)
        self.bar.set_postfix_str(f"loss {progress.loss:.4f} acc {progress.accuracy:.3f} "
                                 f"{progress.images_per_s:,.0f} img/s", refresh=False)
        self.bar.update(progress.step - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def epoch(self, record: dict) -> None:
        self.close()
        if not self.quiet:
            print(_epoch_line(record, self.epochs), file=self.stream, flush=True)


def _fitted(spec: models.ModelSpec, dataset: str, data_root: str | None) -> models.ModelSpec:
    """A small-data preset takes the data set's input and classes (its last layer gets one unit a class); the
    other presets are made for their data set and stay as they are."""
    if not spec.name.startswith("small-"):
        return spec
    test = data.load_dataset(dataset, data_root, "test", count=30)
    return models.for_data(spec, test.input_shape, test.classes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnn.cli", description="Train a CNN Lab model.")
    parser.add_argument("--preset", default="seed-mnist", choices=list(models.PRESETS))
    parser.add_argument("--dataset", default="mnist-5k", choices=list(datasets.names()),
                        help="a built-in data set, or an own one (own-<id>)")
    parser.add_argument("--data-root", default=None, help="folder holding MNIST/raw etc. (torchvision layout)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--optimizer", default="adam", choices=["adam", "sgd"])
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--schedule", default="none", choices=["none", "onecycle"])
    parser.add_argument("--augment", action="store_true", help="small random affine on every batch")
    parser.add_argument("--flips", action="store_true", help="with --augment, mirror half the images left-right")
    parser.add_argument("--no-validation", dest="validation", action="store_false",
                        help="train on every training image (MNIST: all 60,000) and hold none out for validation")
    parser.add_argument("--start-from", default=None, metavar="shipped|PATH",
                        help="copy the convolution layers of the shipped model (or of a model's files) first")
    parser.add_argument("--freeze", action="store_true", help="with --start-from: do not train the copied layers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                        help="bf16 mixed precision (auto: where the CPU has AMX bf16 units)")
    parser.add_argument("--quiet", action="store_true", help="no progress: only errors and the test accuracy")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads to train with (default: every core; the app's worker leaves one to "
                             "the pages)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", help="run folder to write (created)")
    where.add_argument("--resume", help="an interrupted run's folder: train on to its planned epochs")
    args = parser.parse_args(argv)

    keep_freed_memory()
    folder = Path(args.resume or args.out)
    plan = None
    if not args.resume:
        config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
                             weight_decay=args.weight_decay, schedule=args.schedule, augment=args.augment,
                             flips=args.flips,
                             validation=args.validation, seed=args.seed, device=args.device, precision=args.precision)
        if args.freeze and not args.start_from:
            parser.error("--freeze needs --start-from")
        try:
            # An own set's network is the preset made for its input (channels, side) and its classes; a small
            # preset takes a built-in's classes.
            spec = datasets.preset_spec(args.dataset, args.preset) if datasets.describe(args.dataset).own \
                else _fitted(models.preset(args.preset), args.dataset, args.data_root)
        except (data.DatasetUnavailable, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        plan = RunPlan(args.preset, spec, config, args.dataset, args.data_root, start_from=args.start_from,
                       freeze=args.freeze)
    lock = runs.RunLock(folder)
    if not lock.acquire():
        print(f"error: {folder} is being trained by another process.", file=sys.stderr)
        return 2
    printer = _Printer(quiet=args.quiet)
    try:
        # Alone on the machine, as Keras's script is, the command line trains on every core (CNN_LAB_THREADS,
        # where set, still decides); only for this run, so a caller's process keeps its own setting.
        with _threads(args.threads or os.environ.get("CNN_LAB_THREADS") or all_threads()):
            outcome = run(folder, plan, resume=bool(args.resume), events=printer)
    except KeyboardInterrupt:
        printer.close()
        print("stopped by the user; the last finished epoch is kept (resume with --resume)", file=sys.stderr)
        return 1
    except (data.DatasetUnavailable, models.SpecError, ValueError) as exc:
        printer.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        lock.release()
    printer.close()
    if outcome.report is not None:
        print(f"test accuracy {outcome.report['accuracy']:.4f} · run written to {folder}", file=sys.stderr)
    else:
        print(f"{outcome.status}: {outcome.message}", file=sys.stderr)
    return 0 if outcome.status == "finished" else 1


@contextmanager
def _threads(count):
    before = os.environ.get("CNN_LAB_THREADS")
    os.environ["CNN_LAB_THREADS"] = str(count)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CNN_LAB_THREADS", None)
        else:
            os.environ["CNN_LAB_THREADS"] = before


if __name__ == "__main__":
    sys.exit(main())
