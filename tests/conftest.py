"""Shared by every test: the project root importable, and runs written only into a temporary folder."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _pages_folder_is_not_navigation() -> None:
    """AppTest forgets before every run that app.py's st.navigation has taken over the pages/ folder, and
    would run a page without app.py (Streamlit's old folder navigation). A real server learns it once, at
    its first run; tell AppTest's fresh PagesManager the same, so tests run pages as the server does."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


_pages_folder_is_not_navigation()


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


# ---------------------------------------------------------------- real servers, started by the tests that ask


def _service(kind: str):
    from tests.services import Postgres, Redis, ServiceMissing

    try:
        return {"redis": Redis, "postgres": Postgres}[kind]()
    except ServiceMissing as missing:      # a failure, not a skip: `make test` installs them
        message = str(missing)
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def redis_server():
    """A Redis server of the session's own (tests.services.Redis, started): .url, .kill(), .restart()."""
    server = _service("redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server) -> str:
    """"redis://127.0.0.1:PORT/0" of the session's Redis server."""
    return redis_server.url


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL cluster of the session's own (tests.services.Postgres, started): .url, .new_database(),
    .drop_database(url), .kill(), .restart()."""
    server = _service("postgres")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    """"postgresql+psycopg://postgres@127.0.0.1:PORT/cnn_lab": an empty database made for the session."""
    return postgres_server.new_database("cnn_lab")


@pytest.fixture(params=["sqlite", "postgres"])
def classroom_url(request, tmp_path):
    """A fresh, empty classroom database: a SQLite file, then a database of the session's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'class.sqlite'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.new_database()
    yield url
    server.drop_database(url)
