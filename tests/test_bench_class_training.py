"""bench/class_training.py kept working: its smoke run (4 runs of 1 epoch) on the new queue's embedded SQLite
default, with 1 and 2 workers, completes and prints its table. Not a timed test: the figures are only checked
to have been measured (today's queue at 55ece6c and Redis are left out: they belong to the full run)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_class_training_bench_runs_and_prints_its_table():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "class_training.py"), "--quick", "--skip-old",
                           "--skip-redis"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    lines = out.splitlines()
    assert out.startswith("machine: ") and "makespan" in out and "wait p50" in out
    for label in ("Huey, embedded SQLite (default), 1 worker", "Huey, embedded SQLite, 2 workers"):
        row = next(line for line in lines if line.startswith(label))
        assert re.search(r"\b4/4\b", row), row                       # every run of the class finished
    start = [line for line in lines if "median" in line and "Huey" in line]
    assert len(start) == 1 and re.search(r"median +\d+\.\d+ s", start[0]), out    # Start -> first progress measured
    assert "one CUDA worker (ESTIMATE" in out and "no measurement" not in out
