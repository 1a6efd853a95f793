"""Shared by every test: the project root importable, and runs written only into a temporary folder."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _listing(folder: Path) -> list[tuple[str, float]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime) for p in folder.rglob("*")) if folder.exists() else []


@pytest.fixture(scope="session", autouse=True)
def runs_folder(tmp_path_factory):
    """CNN_LAB_RUNS points at a temporary folder for the whole session: unit tests, AppTest pages (same
    process) and the browser tests' server (started with this environment) never touch the user's runs/.
    The user's folder is checked to be exactly as it was when the session ends."""
    users = ROOT / "runs"
    before = _listing(users)
    folder = tmp_path_factory.mktemp("runs")
    previous = os.environ.get("CNN_LAB_RUNS")
    os.environ["CNN_LAB_RUNS"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("CNN_LAB_RUNS", None)
    else:
        os.environ["CNN_LAB_RUNS"] = previous
    assert _listing(users) == before, "a test wrote into the user's runs/ folder"
