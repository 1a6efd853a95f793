"""The training loop over preloaded tensors: settings, one plain loop, evaluation.

No DataLoader and no per-sample PIL work: the whole data set sits in memory as uint8, batches are
sliced from it, scaled to [0, 1] and (optionally) augmented on the whole batch at once (cnn.augment).
A whole run into its folder is cnn.runner's; the command line is cnn.cli's.
"""

from __future__ import annotations

import ctypes
import math
import os
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from cnn import augment, data

if TYPE_CHECKING:   # only for the annotation: the loop never imports the run folder's module at run time
    from cnn.runs import Checkpoint


@dataclass
class TrainConfig:
    epochs: int = 3
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"          # or "sgd" (with momentum)
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "none"           # or "onecycle": warm up, then anneal to almost zero
    augment: bool = False            # small random affine: rotation, scale, shift (cnn.augment)
    flips: bool = False              # with augment, mirror half the images too (not for digits, ✓ or ✗)
    validation: bool = True          # hold 1/12 of the training images out to validate each epoch; False: train
                                     # on all of them (Keras' classic recipes do) and record no val metrics
    seed: int = 0
    device: str = "auto"             # auto picks CUDA, then Apple MPS, then CPU
    channels_last: bool = True       # measured 1.3x faster on CPU for conv nets (see ENVIRONMENT)
    precision: str = "auto"          # "fp32", "bf16" (mixed), or auto: bf16 where the CPU has bf16 matrix units


SMALL_DATA = 1000          # training images up to which a data set counts as small (a student's own drawings)


def defaults_for(train_images: int) -> TrainConfig:
    """Settings that suit a data set of `train_images`: the usual ones, or for a few dozen samples many
    short epochs (each is a few steps: 20 epochs of 60 drawings are 80 steps) in small batches, with
    augmentation, so the network sees hundreds of different drawings, and a one-cycle schedule that settles
    the weights at the end (measured on 20 MNIST digits of three classes: 100% of 30 new ones)."""
    if train_images > SMALL_DATA:
        return TrainConfig()
    return TrainConfig(epochs=20, batch_size=16, lr=3e-3, augment=True, schedule="onecycle")


def max_epochs(train_images: int) -> int:
    """The most epochs the Train page offers: 30 on the big data sets, more where each epoch is tiny (the
    cost check still refuses a run over the time limit)."""
    return 30 if train_images > SMALL_DATA else 200


EXPLODED = 1e4  # a cross-entropy this large means the weights have blown up (chance level is about 2.3)
REPORT_EVERY_S = 0.1   # progress (and the loss read back from the device) at most this often, plus each epoch's
                       # first and last step: reading it every step cost a host sync and a callback per step


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite (found when progress is next read, at the latest at the epoch's end,
    before its checkpoint): training stopped; the last finished epoch's checkpoint is what is kept."""

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.params = params


@dataclass
class Progress:
    """What the loop reports after each batch (the app's jobs publish it)."""

    epoch: int                        # 1-based
    epochs: int
    step: int                         # 1-based within the epoch
    steps: int
    loss: float                       # running mean over this epoch
    accuracy: float                   # running mean over this epoch
    images_per_s: float
    eta_s: float                      # for the whole run


@dataclass
class History:
    epochs: list[dict] = field(default_factory=list)   # train (and val, if any) loss and accuracy, seconds, images/s
    stopped: str = "finished"                          # or "stopped" (asked to) or "diverged"


class _Tally:
    """One epoch's per-step losses and hits, kept as tensors on the training device: adding a step costs two
    small copies and no host sync; `read` syncs once and checks every step since the last read for a NaN or
    exploded loss, so the step that diverged is still named exactly."""

    def __init__(self, steps: int, batch_size: int, images: int, device: torch.device):
        self.losses = torch.zeros(steps, device=device)
        self.hits = torch.zeros(steps, dtype=torch.long, device=device)
        self.sizes = torch.full((steps,), float(batch_size), device=device)
        self.sizes[-1] = images - (steps - 1) * batch_size
        self.batch_size, self.images, self.checked = batch_size, images, 0

    def add(self, step: int, loss: torch.Tensor, hits: torch.Tensor) -> None:
        self.losses[step - 1] = loss
        self.hits[step - 1] = hits

    def read(self, step: int, *, epoch: int, lr: float) -> tuple[float, float, int]:
        """(mean loss, accuracy, images seen) over the epoch's first `step` steps."""
        fresh = self.losses[self.checked:step]
        bad = ~torch.isfinite(fresh) | (fresh > EXPLODED)
        if bool(bad.any()):
            first = int(torch.nonzero(bad)[0, 0])
            value, at = float(fresh[first]), self.checked + first + 1
            raise TrainingDiverged(f"The loss became {value:.3g} at epoch {epoch}, step {at}: lower the learning "
                                   f"rate (now {lr}) and start again.",
                                   loss=f"{value:.3g}", epoch=epoch, step=at, lr=f"{lr:g}")
        self.checked = step
        seen = min(step * self.batch_size, self.images)
        loss_sum = float((self.losses[:step].cpu().double() * self.sizes[:step].cpu().double()).sum())
        return loss_sum / seen, int(self.hits[:step].sum()) / seen, seen


def pick_precision(name: str, device: torch.device) -> str:
    """"bf16" or "fp32". Auto picks bf16 mixed precision (weights and optimiser stay float32) only on a CPU
    with AMX bf16 matrix units, where it measured 1.4x more images/s for seed-mnist; float32 elsewhere."""
    if name not in ("auto", "fp32", "bf16"):
        raise ValueError(f"precision must be auto, fp32 or bf16; got {name!r}.")
    if name != "auto":
        return name
    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    return "bf16" if device.type == "cpu" and amx() else "fp32"


def pick_device(name: str = "auto") -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _batch(ds: data.Dataset, index: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x = ds.images[index].to(device, non_blocking=True).float().div_(255.0)   # (B, C, H, W) in [0, 1]
    return x, ds.labels[index].to(device, non_blocking=True)


@torch.no_grad()
def predict(model, ds: data.Dataset, *, batch_size: int = 1000, device: torch.device | None = None) -> torch.Tensor:
    """Class probabilities (N, classes) for a whole data set."""
    device = device or next(model.parameters()).device
    model.eval()
    out = []
    for start in range(0, len(ds), batch_size):
        x, _ = _batch(ds, torch.arange(start, min(start + batch_size, len(ds))), device)
        out.append(F.softmax(model(x), dim=1).cpu())
    return torch.cat(out) if out else torch.zeros(0, len(ds.classes))


def evaluate(model, ds: data.Dataset, **kwargs) -> dict:
    """Loss, accuracy, confusion matrix (rows: true class, columns: predicted) and the mistakes, worst first."""
    probs = predict(model, ds, **kwargs)
    labels = ds.labels
    predicted = probs.argmax(1)
    loss = F.nll_loss(torch.log(probs.clamp_min(1e-12)), labels).item() if len(ds) else float("nan")
    k = len(ds.classes)
    confusion = torch.bincount(labels * k + predicted, minlength=k * k).reshape(k, k)
    wrong = torch.nonzero(predicted != labels).ravel()
    worst = wrong[torch.argsort(probs[wrong, predicted[wrong]], descending=True)]   # most confident first
    return {"loss": loss, "accuracy": (predicted == labels).float().mean().item() if len(ds) else float("nan"),
            "confusion": confusion.tolist(), "mistakes": worst.tolist(), "predicted": predicted.tolist()}


@contextmanager
def pool_before_relu(model):
    """While training, run each ReLU -> MaxPool pair as MaxPool -> ReLU.

    The two are the same function (ReLU is monotone, so the max of the ReLUs is the ReLU of the max),
    but the second applies ReLU, forward and backward, to a quarter of the values: with channels_last it
    measured about 1.8x faster here. The original modules come back afterwards, so layer i of the model
    is still layer i of its spec.
    """
    swapped = []
    if isinstance(model, torch.nn.Sequential):
        for i in range(len(model) - 1):
            relu, pool = model[i], model[i + 1]
            if isinstance(relu, torch.nn.ReLU) and isinstance(pool, torch.nn.MaxPool2d):
                swapped.append((i, relu, pool))
                model[i], model[i + 1] = torch.nn.Identity(), torch.nn.Sequential(pool, relu)
    try:
        yield model
    finally:
        for i, relu, pool in swapped:
            model[i], model[i + 1] = relu, pool


def training_threads() -> int:
    """CPU threads for training: every core but one (at least one), and never more than torch would use.

    A training step of a small network is many tiny kernels, each a parallel region that waits for all of its
    threads. When another program wants a core too (the app's pages, other users), one descheduled thread
    stalls every region: on 2 shared cores under load, 2 threads measured 80-400 ms a step where 1 thread took
    6-16 ms (seed-mnist, batch 32); on an idle machine 2 threads were 1.4x faster. Leaving a core free keeps the
    pages answering and the run's speed steady. Fixed per machine (the same count gives the same weights
    bit for bit; the count changes the rounding). CNN_LAB_THREADS sets it (the command line: --threads)."""
    wanted = os.environ.get("CNN_LAB_THREADS", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return max(1, min(torch.get_num_threads(), (os.cpu_count() or 1) - 1))


def all_threads() -> int:
    """Every core torch would use: the command line's default, training alone (1.5x one thread on an idle 2-core
    machine, 4.3 against 7.0 ms a step; `--threads 1` where other programs keep the cores busy)."""
    return max(1, min(torch.get_num_threads(), os.cpu_count() or 1))


@contextmanager
def cpu_threads(device: torch.device | None = None):
    """torch's intra-op threads set to training_threads() while training on the CPU, then put back."""
    before = torch.get_num_threads()
    if device is None or device.type == "cpu":
        torch.set_num_threads(training_threads())
    try:
        yield
    finally:
        torch.set_num_threads(before)


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of handing it back to the system (and taking it
    again, page by page, at the next step): a step frees and allocates the same few megabytes of activations
    and gradients every time. Measured on seed-mnist at batch 32: minor page faults 4x fewer, 1.2-1.5x faster
    steps. For processes that train (the command line, the app's worker); False where there is no glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 1 << 30) and libc.mallopt(m_trim_threshold, 1 << 30))
    except (OSError, AttributeError):
        return False


def make_optimizer(params: list, config: TrainConfig) -> torch.optim.Optimizer:
    """Adam or SGD with momentum, as fused kernels where this torch build has them for the device: one
    pass over all weights per step instead of one per tensor (measured 1.16x more images/s on 2 CPU cores
    for seed-mnist, whose dense layer holds 540,900 of its 542,230 weights)."""
    if config.optimizer == "adam":
        make = partial(torch.optim.Adam, params, lr=config.lr, weight_decay=config.weight_decay)
    elif config.optimizer == "sgd":
        make = partial(torch.optim.SGD, params, lr=config.lr, momentum=config.momentum,
                       weight_decay=config.weight_decay)
    else:
        raise ValueError(f"optimizer must be adam or sgd; got {config.optimizer!r}.")
    try:
        return make(fused=True)
    except (RuntimeError, TypeError, ValueError):   # no fused kernel for this device or torch version
        return make()


class OptimizerStep:
    """optimizer.step(), and for a fused Adam the same kernel called straight: torch's Adam.step spends about a
    third of its time (0.15 ms of 0.45 at batch 32 on one core, 0.45 ms of a 4-6 ms step here) in Python,
    gathering its lists and checking its options on every step. The direct call is the very call Adam.step makes
    (the step counters, then torch._fused_adam_ with the group's settings), so the weights come out bit for bit
    the same (tests/test_train.py holds it to Adam.step); anything else, and any step where a weight has no
    gradient (frozen layers), goes through optimizer.step()."""

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self.lists = None        # (params, exp_avgs, exp_avg_sqs, steps) once Adam has made its state
        group = optimizer.param_groups[0] if len(optimizer.param_groups) == 1 else {}
        self.direct = (isinstance(optimizer, torch.optim.Adam) and hasattr(torch, "_fused_adam_")
                       and group.get("fused") is True and not group.get("amsgrad") and not group.get("maximize")
                       and not group.get("capturable") and not group.get("differentiable")
                       and not group.get("decoupled_weight_decay") and not isinstance(group.get("lr"), torch.Tensor))

    def __call__(self) -> None:
        if self.lists is None:
            self.optimizer.step()
            self._gather()
            return
        params, exp_avgs, exp_avg_sqs, steps = self.lists
        grads = [p.grad for p in params]
        if any(g is None for g in grads):
            self.optimizer.step()
            return
        group = self.optimizer.param_groups[0]
        beta1, beta2 = group["betas"]
        torch._foreach_add_(steps, 1)
        torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=group["lr"],
                           beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"], eps=group["eps"],
                           maximize=False, grad_scale=None, found_inf=None)

    def _gather(self) -> None:
        if not self.direct:
            return
        params = self.optimizer.param_groups[0]["params"]
        states = [self.optimizer.state.get(p, {}) for p in params]
        if all("exp_avg" in s and "exp_avg_sq" in s and "step" in s for s in states):
            self.lists = (list(params), [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                          [s["step"] for s in states])


def train(model, train_ds: data.Dataset, val_ds: data.Dataset | None, config: TrainConfig, *,
          on_batch: Callable[[Progress], None] | None = None,
          on_epoch: Callable[[int, dict], None] | None = None,
          should_stop: Callable[[], bool] | None = None,
          on_checkpoint: Callable[[dict], None] | None = None,
          resume: Checkpoint | None = None) -> History:
    """Train in place. `should_stop` is asked before every batch (the app's pause blocks inside it).

    After every epoch `on_checkpoint` gets what cnn.runs.save_checkpoint needs besides the model (optimiser,
    random-number generator, scheduler steps); `resume` continues from such a checkpoint as if the run
    had never stopped: the same weights, optimiser moments, learning rate and data order.
    """
    with pool_before_relu(model), cpu_threads(pick_device(config.device)):
        return _train(model, train_ds, val_ds, config, on_batch, on_epoch, should_stop, on_checkpoint, resume)


def _train(model, train_ds, val_ds, config, on_batch, on_epoch, should_stop, on_checkpoint, resume) -> History:
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    device = pick_device(config.device)
    if resume is not None:
        model.load_state_dict(resume.weights)
    model.to(device)
    memory_format = torch.channels_last if config.channels_last and device.type == "cpu" else torch.contiguous_format
    model.to(memory_format=memory_format)
    mixed = pick_precision(config.precision, device) == "bf16"
    optimizer = make_optimizer(list(model.parameters()), config)
    steps = math.ceil(len(train_ds) / config.batch_size)
    scheduler = None
    if config.schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=steps * config.epochs)
    history = History()
    first_epoch = 1
    if resume is not None:
        if scheduler is not None:   # replay the schedule to where it was; the optimiser state then overrides lr
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for _ in range(resume.scheduler_steps):
                    scheduler.step()
        optimizer.load_state_dict(resume.optimizer)
        generator.set_state(resume.generator)
        torch.set_rng_state(resume.torch_rng)
        history.epochs = list(resume.epochs)
        first_epoch = resume.epoch + 1
    scheduler_steps = resume.scheduler_steps if resume is not None else 0
    step_optimizer = OptimizerStep(optimizer)   # after a resume's load_state_dict: it keeps Adam's state tensors
    started = time.perf_counter()
    seen_total = 0
    for epoch in range(first_epoch, config.epochs + 1):
        model.train()
        order = torch.randperm(len(train_ds), generator=generator)
        # Each step's loss and hits stay tensors (no .item(), no host sync per step); they are read only when
        # progress is reported, at most every REPORT_EVERY_S and at an epoch's first and last step.
        tally = _Tally(steps, config.batch_size, len(train_ds), device)
        epoch_start = last_report = time.perf_counter()
        for step in range(1, steps + 1):
            if should_stop is not None and should_stop():
                history.stopped = "stopped"
                return history
            x, y = _batch(train_ds, order[(step - 1) * config.batch_size: step * config.batch_size], device)
            if config.augment:
                x = augment.augment_batch(x, generator, flips=config.flips)
            x = x.contiguous(memory_format=memory_format)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=mixed):
                logits = model(x)
            loss = F.cross_entropy(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            step_optimizer()
            if scheduler is not None:
                scheduler.step()
                scheduler_steps += 1
            tally.add(step, loss.detach(), (logits.argmax(1) == y).sum())
            now = time.perf_counter()
            if step == 1 or step == steps or now - last_report >= REPORT_EVERY_S:
                last_report = now
                loss_mean, accuracy, seen = tally.read(step, epoch=epoch, lr=config.lr)   # or TrainingDiverged
                if on_batch is not None:
                    rate = (seen_total + seen) / max(now - started, 1e-9)
                    remaining = (config.epochs - epoch) * len(train_ds) + len(train_ds) - seen
                    on_batch(Progress(epoch, config.epochs, step, steps, loss_mean, accuracy, rate,
                                      remaining / max(rate, 1e-9)))
        seen_total += seen
        seconds = time.perf_counter() - epoch_start
        record = {"epoch": epoch, "train_loss": loss_mean, "train_accuracy": accuracy,
                  "seconds": seconds, "images_per_s": seen / seconds}
        if val_ds is not None and len(val_ds):
            result = evaluate(model, val_ds)
            record.update(val_loss=result["loss"], val_accuracy=result["accuracy"])
        history.epochs.append(record)
        if on_checkpoint is not None:   # first, so an epoch is reported only once it is safe on disk
            on_checkpoint({"optimizer": optimizer, "generator": generator, "scheduler_steps": scheduler_steps,
                           "epoch": epoch, "epochs": list(history.epochs)})
        if on_epoch is not None:
            on_epoch(epoch, record)
    model.to(memory_format=torch.contiguous_format)
    return history
