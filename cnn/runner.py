"""A run from its plan to its finished folder: load the data, build the network, train it with a checkpoint
after every epoch, then evaluate it on the test split. The app's training and the command line (cnn.cli)
both run through here; the loop itself is cnn.train's, the folder and the checkpoint cnn.runs'.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from cnn import data, datasets, models, runs, transfer
from cnn.train import Progress, TrainConfig, TrainingDiverged, evaluate, train


@dataclass
class RunPlan:
    """What a run trains: the network, the settings and the data. The app's jobs and the CLI share it."""

    name: str
    spec: models.ModelSpec
    config: TrainConfig
    dataset: str
    data_root: str | None = None
    count: int | None = None      # generated data sets (shapes): training images; val and test get a fifth
    size: int = 72                # generated data sets: pixels a side
    start_from: str | None = None # "shipped" (or a model's path): copy its conv layers first (cnn.transfer)
    freeze: bool = False          # with start_from: do not train the copied layers

    def count_for(self, split: str) -> int | None:
        if self.count is None:
            return None
        return self.count if split == "train" else max(30, self.count // 5)

    @property
    def data(self) -> dict:
        return {"data_root": self.data_root, "count": self.count, "size": self.size}

    @property
    def transfer(self) -> dict | None:
        """What config.json keeps of start_from and freeze (None: a network started from random weights)."""
        return {"start_from": self.start_from, "freeze": self.freeze} if self.start_from else None

    @classmethod
    def from_folder(cls, folder: Path) -> RunPlan:
        """The plan a run folder was started with (its config.json), to resume it."""
        config = runs.read_config(folder)
        info = runs.read_json(Path(folder) / "info.json", {}) or {}
        settings = {k: v for k, v in config["train"].items() if k in TrainConfig.__dataclass_fields__}
        extra = config.get("data") or {}
        start = config.get("transfer") or {}
        return cls(info.get("name") or Path(folder).name, models.ModelSpec.from_dict(config["spec"]),
                   TrainConfig(**settings), config["dataset"], extra.get("data_root"), extra.get("count"),
                   extra.get("size", 72), start.get("start_from"), bool(start.get("freeze", False)))


class RunEvents:
    """What a run tells whoever watches it. The defaults do nothing; the app's worker overrides them."""

    def status(self, status: str) -> None: ...

    def model(self, model) -> None: ...            # the network being trained, once it is built

    def batch(self, progress: Progress) -> None: ...

    def epoch(self, record: dict) -> None: ...

    def should_stop(self) -> bool:
        return False


@dataclass
class RunOutcome:
    status: str                       # finished, stopped or failed
    epochs: list[dict]
    report: dict | None = None        # the test split's results (finished or stopped runs)
    message: str = ""                 # why it failed, in English
    reason: tuple[str, dict] | None = None   # the same as (code, params), for a page to translate


def run(folder: Path, plan: RunPlan | None = None, *, resume: bool = False, load=data.load_dataset,
        events: RunEvents | None = None, started: bool = False) -> RunOutcome:
    """Train `plan` into `folder` (or, with `resume`, continue the run already there), writing a checkpoint
    after every epoch, then evaluate on the test split and write the results.

    A built-in's test split is loaded only after training, so the first step comes as soon as the training
    data is there (an own set's, at the start: it may be deleted meanwhile). `started`: the folder was
    already written (the app writes it when the job is queued).
    DatasetUnavailable and SpecError propagate with their reason; a diverging loss ends as "failed".
    """
    events = events or RunEvents()
    folder = Path(folder)
    writer = runs.RunWriter(folder)
    checkpoint = None
    if resume:
        plan = RunPlan.from_folder(folder)
        if (folder / "checkpoint.safetensors").exists():
            checkpoint = runs.load_checkpoint(folder / "checkpoint.safetensors")
    elif not started:
        writer.start(name=plan.name, spec=plan.spec, config=plan.config, dataset=plan.dataset, data=plan.data,
                     transfer=plan.transfer)
    events.status("preparing")
    writer.set_status("preparing")
    try:
        if plan.config.validation:
            train_ds, val_ds = (load(plan.dataset, plan.data_root, split, count=plan.count_for(split), size=plan.size)
                                for split in ("train", "val"))
        else:   # every training image trains; the epochs then carry no val_loss / val_accuracy
            train_ds = load(plan.dataset, plan.data_root, "train", count=plan.count_for("train"), size=plan.size,
                            validation=False)
            val_ds = None
        if not len(train_ds):    # an own set still empty, or all of it held out for a class leaderboard
            raise data.DatasetUnavailable(f"The data set {plan.dataset} has no sample to train on.", "no_train",
                                          name=plan.dataset)
        spec = plan.spec
        if tuple(spec.input_shape) != train_ds.input_shape or len(spec.classes) != len(train_ds.classes):
            raise models.SpecError(
                f"The network expects {tuple(spec.input_shape)} with {len(spec.classes)} classes, but "
                f"{plan.dataset} has {train_ds.input_shape} with {len(train_ds.classes)} classes.", "data_mismatch",
                expects="×".join(map(str, spec.input_shape)), classes=len(spec.classes), dataset=plan.dataset,
                has="×".join(map(str, train_ds.input_shape)), has_classes=len(train_ds.classes))
        spec.classes = list(train_ds.classes)
        # An own set is small and its owner may delete it while the run trains: its test split is read now,
        # so what was learned is still evaluated and kept. A built-in's is read after training (a quicker start).
        own = datasets.find(plan.dataset)
        early_test = load(plan.dataset, plan.data_root, "test", count=plan.count_for("test"), size=plan.size) \
            if own is not None and own.own else None
        torch.manual_seed(plan.config.seed)   # the same seed, the same initial weights: runs are reproducible
        model = models.build(spec)
        if plan.start_from:       # the shipped model's conv layers (then a resumed checkpoint's weights over them)
            transfer.start_from(model, spec, plan.start_from, freeze=plan.freeze)
    except (data.DatasetUnavailable, models.SpecError) as exc:
        writer.finish(status="failed", model=None, spec=plan.spec, dataset=plan.dataset, epochs=[], report=None,
                      message=str(exc))
        raise
    events.model(model)
    events.status("running")
    writer.set_status("running")

    def checkpoint_saved(state: dict) -> None:
        writer.epoch_done(model=model, spec=spec, dataset=plan.dataset, state=state)

    try:
        history = train(model, train_ds, val_ds, plan.config, on_batch=events.batch,
                        on_epoch=lambda _epoch, record: events.epoch(record), should_stop=events.should_stop,
                        on_checkpoint=checkpoint_saved, resume=checkpoint)
    except TrainingDiverged as exc:
        epochs = runs.read_json(folder / "metrics.json", {}).get("epochs", [])
        writer.finish(status="failed", model=None, spec=spec, dataset=plan.dataset, epochs=epochs, report=None,
                      message=str(exc))
        return RunOutcome("failed", epochs, None, str(exc), ("diverged", exc.params))
    # Stopped or finished, what was learned is kept: evaluate it on data it never saw.
    status = "stopped" if history.stopped == "stopped" else "finished"
    test_ds = early_test if early_test is not None else \
        load(plan.dataset, plan.data_root, "test", count=plan.count_for("test"), size=plan.size)
    report = evaluate(model, test_ds)
    writer.finish(status=status, model=model, spec=spec, dataset=plan.dataset, epochs=history.epochs, report=report)
    return RunOutcome(status, history.epochs, report)
