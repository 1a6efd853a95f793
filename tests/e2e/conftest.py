import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import browser, streamlit_server  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

# The first visit to the Lab imports torch (seconds on these machines); later waits are short anyway.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def app_url(runs_folder):
    with streamlit_server() as url:   # inherits CNN_LAB_RUNS: its runs go to the session's temporary folder
        yield url


@pytest.fixture(scope="session")
def chromium():
    with browser() as b:
        yield b
