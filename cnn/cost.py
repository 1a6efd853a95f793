"""What a run costs, in work rather than in parameters: multiply-adds per image, the run's total, and the
seconds that makes at this machine's measured speed. A run that would hold the server's only training
queue longer than a limit is refused before it starts.

Why work and not parameters: five 1024-filter convolutions have 37.8M parameters (under the 50M limit) but
cost 29.6 billion multiply-adds per image; a dense layer of the same parameter count costs a thousand
times less. Time follows multiply-adds.

    forward  = Σ over layers of their multiply-adds (cnn.models.summary counts each layer's)
    training = BACKWARD_FACTOR × forward per training image (the backward pass computes two products for
               each forward one: the gradient with respect to the layer's input and to its weights)
    run      = epochs × (train images × training + validation images × forward) + test images × forward
    seconds  = run / speed (multiply-adds per second, measured by training the seed network here)
               + steps × STEP_SECONDS + epochs × EPOCH_SECONDS (when the batch size is known)

Why the last line: on a few dozen images a step's work is tiny and what stays is the cost of any step (a
batch sliced, augmented, the optimiser's pass over every weight) and of any epoch (validation, a checkpoint
on disk). Sixty drawings for 40 epochs are 160 steps and 40 checkpoints, seconds that multiply-adds miss.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from cnn import data, models

BACKWARD_FACTOR = 3              # forward + backward ≈ 3 × forward (tested against torch's FLOP counter)
DEFAULT_MAX_SECONDS = 600.0      # about 10 minutes of this machine's time, at most, per run
FALLBACK_SPEED = 5e9             # multiply-adds per second until the machine has been measured (cautious)
STEP_SECONDS = 0.01              # any training step, however small (cautious: 2-5 ms on an idle 2-core machine)
EPOCH_SECONDS = 0.1              # any epoch: a validation pass, the checkpoint, the model and the metrics on disk


class TooCostly(models.SpecError):
    """A run that would take longer than the limit. code "too_slow"; params say how long, how much work per
    image and the limit, already written out for a page to put in its own language."""


@dataclass(frozen=True)
class Estimate:
    forward: int                 # multiply-adds for one image, forward only
    per_image: int               # multiply-adds to train on one image (forward + backward)
    total: int                   # the whole run: every epoch, validation, the final test
    images: int                  # images trained on per epoch
    epochs: int
    speed: float                 # multiply-adds per second this estimate assumed
    max_seconds: float
    overhead: float = 0.0        # seconds every step and epoch cost besides their multiply-adds

    @property
    def seconds(self) -> float:
        return self.total / self.speed + self.overhead

    @property
    def allowed(self) -> bool:
        return self.seconds <= self.max_seconds


def forward_macs(spec: models.ModelSpec) -> int:
    """Multiply-adds of one image's forward pass: the layer table's own count (SpecError for a bad spec)."""
    return sum(row.mult_adds for row in models.summary(spec))


def estimate(spec: models.ModelSpec, dataset: str, epochs: int, *, validation: bool = True,
             count: int | None = None, speed: float | None = None,
             max_seconds: float = DEFAULT_MAX_SECONDS, batch_size: int | None = None) -> Estimate:
    """The cost of training `spec` on `dataset` for `epochs` (count: generated shapes' training images);
    with `batch_size`, the steps' and epochs' own cost too."""
    forward = forward_macs(spec)
    sizes = data.split_sizes(dataset, count=count, validation=validation)
    per_image = BACKWARD_FACTOR * forward
    total = epochs * (sizes["train"] * per_image + sizes["val"] * forward) + sizes["test"] * forward
    overhead = 0.0
    if batch_size:
        overhead = epochs * (math.ceil(sizes["train"] / batch_size) * STEP_SECONDS + EPOCH_SECONDS)
    return Estimate(forward, per_image, total, sizes["train"], epochs, float(speed or FALLBACK_SPEED),
                    float(max_seconds), overhead)


def for_plan(plan, *, speed: float | None = None, max_seconds: float = DEFAULT_MAX_SECONDS) -> Estimate:
    """The estimate of a cnn.runner.RunPlan."""
    return estimate(plan.spec, plan.dataset, plan.config.epochs, validation=plan.config.validation,
                    count=plan.count, speed=speed, max_seconds=max_seconds, batch_size=plan.config.batch_size)


MIN_SPEED_IMAGES = 1000         # an epoch on fewer images says more about its steps' overhead than about speed


def epoch_speed(spec: models.ModelSpec, record: dict) -> float | None:
    """The multiply-adds per second an epoch record (cnn.train's: images_per_s, seconds) shows this machine
    trained at; None for an epoch too small to tell (a few dozen drawings: their steps' own cost dominates,
    and taking it as the speed would make every later estimate of a big run far too long)."""
    rate, seconds = record.get("images_per_s"), record.get("seconds")
    if not all(isinstance(v, (int, float)) and v > 0 for v in (rate, seconds)):
        return None
    if round(rate * seconds) < MIN_SPEED_IMAGES:      # rate * seconds: the epoch's images (rounded: floats)
        return None
    return BACKWARD_FACTOR * forward_macs(spec) * rate


def check(found: Estimate) -> Estimate:
    """`found` when it fits the limit; TooCostly (with the numbers a page needs) when it does not."""
    if found.allowed:
        return found
    raise TooCostly(f"This run would take about {duration(found.seconds)} on this server "
                    f"({billions(found.forward)} multiply-adds per image); the limit is "
                    f"{duration(found.max_seconds)}.", "too_slow", time=duration(found.seconds),
                    macs=billions(found.forward), limit=duration(found.max_seconds), seconds=found.seconds,
                    limit_s=found.max_seconds, forward=found.forward)


def billions(macs: int) -> str:
    """"29.6 billion", or the exact count below 100 million ("736,488")."""
    return f"{macs / 1e9:.1f} billion" if macs >= 1e8 else f"{macs:,}"


ENGLISH_UNITS = {"s": "{n} s", "min": "{n} min", "h": "{n} h", "h_min": "{h} h {m} min", "d": "{n} d"}


def duration(seconds: float, units: dict[str, str] = ENGLISH_UNITS) -> str:
    """A rough duration: "40 s", "3 min", "7 h 48 min", "12 d" (`units`: the same five formats in another
    language, as a page's catalog has them)."""
    if not math.isfinite(seconds):
        return "∞"
    if seconds < 60:
        return units["s"].format(n=max(1, round(seconds)))
    if seconds < 3600:
        return units["min"].format(n=round(seconds / 60))
    if seconds < 86400:
        hours, minutes = divmod(round(seconds / 60), 60)
        return units["h_min"].format(h=hours, m=minutes) if minutes else units["h"].format(n=hours)
    return units["d"].format(n=round(seconds / 86400))


# ---------------------------------------------------------------- this machine's speed


def measure_speed(steps: int = 3, tries: int = 5, batch: int = 64) -> float:
    """Multiply-adds per second of training here: a few real training steps of the seed network (the same
    layout, precision and optimiser as cnn.train uses) timed after a step of warm-up. The training worker
    measures it once as it starts (cnn.worker), so the time is the worker's own and no page pays for it."""
    import torch
    import torch.nn.functional as F

    from cnn import train

    config = train.TrainConfig(batch_size=batch)
    spec = models.preset("seed-mnist")
    model = models.build(spec).to(memory_format=torch.channels_last)
    optimizer = train.make_optimizer(list(model.parameters()), config)
    step_optimizer = train.OptimizerStep(optimizer)
    x = torch.rand(batch, *spec.input_shape).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,))
    mixed = train.pick_precision(config.precision, torch.device("cpu")) == "bf16"

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=mixed):
            loss = F.cross_entropy(model(x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        step_optimizer()

    with train.pool_before_relu(model):
        step()
        fastest = math.inf
        for _ in range(tries):          # the fastest of a few: another program's burst is not this machine's speed
            started = time.perf_counter()
            for _ in range(steps):
                step()
            fastest = min(fastest, time.perf_counter() - started)
    return BACKWARD_FACTOR * forward_macs(spec) * batch * steps / max(fastest, 1e-6)
