"""Nothing lost: runs checkpoint every epoch, survive a kill -9 as "interrupted", resume exactly where they
stopped, are never left half-written, and damaged folders are listed with their problem instead of breaking."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from cnn import data, models, runner, runs, train

ROOT = Path(__file__).resolve().parent.parent
TINY = models.ModelSpec("tiny", (1, 32, 32), [
    models._conv(4, 3, padding=1), models._act(), models._pool(), {"type": "dropout", "p": 0.2}, models.FLATTEN,
    models._dense(3)], data.SHAPE_CLASSES)


def _plan(epochs=3, **config) -> runner.RunPlan:
    settings = dict(epochs=epochs, batch_size=16, augment=True, schedule="onecycle", lr=3e-3) | config
    return runner.RunPlan("tiny", TINY, train.TrainConfig(**settings), "shapes", count=96, size=32)


class _Crash(RuntimeError):
    pass


class _CrashInEpoch(runner.RunEvents):
    """Dies in the middle of epoch `epoch`, as a killed process would (nothing after that point is written)."""

    def __init__(self, epoch: int):
        self.crash_epoch = epoch

    def batch(self, progress):
        if progress.epoch == self.crash_epoch and progress.step >= 2:   # before the epoch is checkpointed
            raise _Crash()


def test_a_resumed_run_ends_exactly_where_an_uninterrupted_one_does(tmp_path):
    """Weights, optimiser moments, learning-rate schedule, data order, augmentation and dropout all continue:
    the final weights equal those of the same run trained without a break, bit for bit."""
    straight = tmp_path / "straight"
    runner.run(straight, _plan())
    broken = tmp_path / "broken"
    with pytest.raises(_Crash):
        runner.run(broken, _plan(), events=_CrashInEpoch(2))
    assert runs.read_run(broken).status == "interrupted" and len(runs.read_run(broken).epochs) == 1
    outcome = runner.run(broken, resume=True)
    assert outcome.status == "finished" and [e["epoch"] for e in outcome.epochs] == [1, 2, 3]
    a, _ = models.load(straight / "model")
    b, _ = models.load(broken / "model")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name
    assert runs.read_json(straight / "test.json")["accuracy"] == runs.read_json(broken / "test.json")["accuracy"]


def _cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cnn.cli", *args], cwd=ROOT, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, **kwargs)


def test_a_training_process_killed_mid_epoch_leaves_an_interrupted_run_that_resumes(tmp_path):
    folder = tmp_path / "run"
    proc = _cli("--preset", "seed-mnist", "--dataset", "mnist-5k", "--epochs", "3", "--batch-size", "16",
                "--out", str(folder))
    # Read the progress as it is printed (to a pipe: one line per epoch): kill -9 once epoch 1's line is there
    # (it is written after epoch 1's checkpoint, and epoch 2 is then under way).
    seen, buffer = "", ""
    deadline = time.monotonic() + 180
    while "epoch 1/3: " not in seen:
        assert proc.poll() is None and time.monotonic() < deadline, buffer
        char = proc.stderr.read(1)
        buffer, seen = buffer + char, (seen + char)[-200:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    run = runs.read_run(folder)
    assert run.status == "interrupted", run
    assert [e["epoch"] for e in run.epochs] == [1] and run.epochs_planned == 3 and run.resumable
    assert run.problem is None and run.has_model
    model, spec = models.load(folder / "model")            # usable as a model: its weights after epoch 1
    x = data.load_dataset("mnist-5k", split="val").images[:200].float() / 255
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == data.load_dataset("mnist-5k", split="val").labels[:200]).float().mean()
    assert accuracy > 0.5                                    # one epoch is far above chance (0.1)
    assert not [p for p in folder.iterdir() if p.name.startswith(".") and p.name != ".lock"]

    resumed = _cli("--resume", str(folder))
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    done = runs.read_run(folder)
    assert done.status == "finished" and [e["epoch"] for e in done.epochs] == [1, 2, 3]
    assert done.epochs[0] == run.epochs[0]                   # epoch 1 was kept, not trained again
    assert done.test_accuracy is not None and done.test_accuracy > 0.8


SAVER = """
import sys, torch
from cnn import models, runs, train
spec = models.preset("seed-mnist")
model = models.build(spec)
optimizer = torch.optim.Adam(model.parameters())
model(torch.zeros(2, 1, 28, 28)).sum().backward(); optimizer.step()
writer = runs.RunWriter(sys.argv[1])
writer.start(name="saver", spec=spec, config=train.TrainConfig(epochs=1000), dataset="mnist-5k")
writer.set_status("running")
print("ready", flush=True)
epoch = 0
while True:
    epoch += 1
    writer.epoch_done(model=model, spec=spec, dataset="mnist-5k", state={
        "optimizer": optimizer, "generator": torch.Generator(), "scheduler_steps": 0, "epoch": epoch,
        "epochs": [{"epoch": e} for e in range(1, epoch + 1)]})
"""


def test_a_save_killed_mid_write_never_leaves_a_half_written_file(tmp_path):
    """seed-mnist's checkpoint is about 6.5 MB: kill the writer at random moments, many times, and every
    file in the folder is always whole (the last complete version), with nothing temporary left behind."""
    folder = tmp_path / "run"
    rng = __import__("random").Random(0)
    for _attempt in range(12):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(folder)], cwd=ROOT, stdout=subprocess.PIPE,
                                text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))   # a random moment: most kills land inside a write
        proc.kill()
        proc.wait()
        run = runs.read_run(folder)          # lists it, and tidies what the killed save left
        assert not [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != ".lock"]
        assert run.problem is None, run.problem
        assert run.status == "interrupted"
        models.load(folder / "model")
        checkpoint = runs.load_checkpoint(folder / "checkpoint.safetensors")
        assert checkpoint.epochs == [{"epoch": e} for e in range(1, checkpoint.epoch + 1)]
        for name in ("info.json", "config.json", "metrics.json", "model.json"):
            json.loads((folder / name).read_text())


def _write_run(root: Path, run_id: str, **files) -> Path:
    folder = root / run_id
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name.replace("_", ".", 1)).write_text(text)
    return folder


def test_damaged_and_older_runs_are_listed_with_their_problem_and_can_be_deleted(tmp_path):
    spec = models.preset("seed-mnist")
    good = tmp_path / "20260101-000000-000000-good"
    models.save(models.build(spec), spec, good / "model", dataset="mnist-5k", metrics={"test_accuracy": 0.9})
    runs.write_json(good / "info.json", {"format": runs.FORMAT, "name": "good", "status": "finished"})
    runs.write_json(good / "metrics.json", {"status": "finished", "epochs": [{"epoch": 1}], "test_accuracy": 0.9})
    _write_run(tmp_path, "20260102-000000-000000-garbled", info_json="{not json", metrics_json="[]")
    _write_run(tmp_path, "20260103-000000-000000-empty")
    _write_run(tmp_path, "20260104-000000-000000-old-interrupted", info_json='{"name": "old", "status": "running"}')
    _write_run(tmp_path, "20260105-000000-000000-newer", info_json='{"format": 99, "status": "finished"}')
    _write_run(tmp_path, "20260106-000000-000000-bad-model", info_json='{"format": 2, "status": "finished"}',
               model_json="{]", model_safetensors="not weights")
    _write_run(tmp_path, "20260107-000000-000000-no-weights", info_json='{"format": 2, "status": "finished"}')
    (tmp_path / "not a run id").mkdir()
    listed = {r.id.split("-", 3)[3]: r for r in runs.list_runs(tmp_path)}
    assert set(listed) == {"good", "garbled", "empty", "old-interrupted", "newer", "bad-model", "no-weights"}
    assert listed["good"].problem is None and listed["good"].has_model
    assert "info.json" in listed["garbled"].problem and "info.json" in listed["empty"].problem
    assert "older version" in listed["old-interrupted"].problem and not listed["old-interrupted"].resumable
    assert "newer version" in listed["newer"].problem
    assert "JSON" in listed["bad-model"].problem
    assert "missing" in listed["no-weights"].problem
    for run in listed.values():
        if run.problem:
            runs.delete(run.id, tmp_path)
    assert [r.id for r in runs.list_runs(tmp_path)] == [good.name]


def test_a_run_being_trained_cannot_be_deleted(tmp_path):
    folder = tmp_path / "20260101-000000-000000-busy"
    lock = runs.RunLock(folder)
    assert lock.acquire()
    runs.write_json(folder / "info.json", {"format": runs.FORMAT, "status": "running"})
    try:
        assert runs.read_run(folder).status == "running"
        with pytest.raises(RuntimeError, match="still training"):
            runs.delete(folder.name, tmp_path)
        assert not runs.RunLock(folder).acquire()          # a second trainer is refused too
    finally:
        lock.release()
    assert runs.read_run(folder).status == "interrupted"


def test_the_runs_folder_is_a_fixed_place_not_the_current_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("CNN_LAB_RUNS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert runs.default_root() == ROOT / "runs"
    monkeypatch.setenv("CNN_LAB_RUNS", str(tmp_path / "elsewhere"))
    assert runs.default_root() == tmp_path / "elsewhere"
    assert runs.run_dir("abc").parent == (tmp_path / "elsewhere").resolve()


def _finished_run(root: Path, run_id: str, accuracy: float = 0.925) -> Path:
    spec = models.preset("mnist-default")       # batch norm too: its counters are weights of the file
    folder = root / run_id
    models.save(models.build(spec), spec, folder / "model", dataset="mnist-5k", metrics={"test_accuracy": accuracy})
    runs.write_json(folder / "info.json", {"format": runs.FORMAT, "name": run_id, "status": "finished",
                                           "epochs_planned": 1, "dataset": "mnist-5k"})
    runs.write_json(folder / "metrics.json", {"status": "finished", "epochs": [{"epoch": 1}],
                                              "test_accuracy": accuracy})
    return folder


def test_runs_with_damaged_weights_or_description_are_listed_as_damaged_with_the_reason(tmp_path):
    sound = _finished_run(tmp_path, "20260101-000000-000001-sound")
    truncated = _finished_run(tmp_path, "20260101-000000-000002-truncated")
    weights = truncated / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    pickled = _finished_run(tmp_path, "20260101-000000-000003-pickled")
    torch.save(models.build(models.preset("mnist-default")).state_dict(), pickled / "model.safetensors")
    described = _finished_run(tmp_path, "20260101-000000-000004-described")
    sidecar = json.loads((described / "model.json").read_text())
    sidecar["spec"]["layers"][0]["filters"] = "many"
    (described / "model.json").write_text(json.dumps(sidecar))
    swapped = _finished_run(tmp_path, "20260101-000000-000005-swapped")
    sidecar = json.loads((swapped / "model.json").read_text())
    sidecar["spec"] = models.preset("seed-mnist").to_dict()          # another network's description
    (swapped / "model.json").write_text(json.dumps(sidecar))
    header_only = _finished_run(tmp_path, "20260101-000000-000006-header")
    (header_only / "model.safetensors").write_bytes((header_only / "model.safetensors").read_bytes()[:5])

    listed = {r.id.rsplit("-", 1)[1]: r for r in runs.list_runs(tmp_path)}
    assert listed["sound"].problem is None and listed["sound"].test_accuracy == 0.925
    assert listed["truncated"].problem_code == "truncated" and "cut short" in listed["truncated"].problem
    assert listed["header"].problem_code == "truncated"
    assert listed["pickled"].problem_code == "pickle" and "pickled" in listed["pickled"].problem
    assert listed["described"].problem_code == "model_json" and "model.json" in listed["described"].problem
    assert listed["swapped"].problem_code == "mismatch"
    for name in ("truncated", "header", "pickled", "described", "swapped"):   # and loading agrees: each fails
        with pytest.raises(models.ModelFileError):
            models.load(listed[name].path / "model")
    models.load(sound / "model")
