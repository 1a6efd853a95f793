"""Home answers at its own address (/home) as well as at the root; every other page keeps its address."""

from streamlit.testing.v1 import AppTest
from test_app import APP


def _pages(at: AppTest) -> dict[str, str]:
    """url path -> script (relative), as st.navigation registered them."""
    return {info["url_pathname"]: info["script_path"].split("/pages/")[-1]
            for info in at._registered_pages.values()}


def test_home_answers_at_the_root_and_at_slash_home():
    at = AppTest.from_file(APP, default_timeout=90).run()
    pages = _pages(at)
    assert pages[""] == "home.py" and pages["home"] == "home.py"
    assert {pages[p] for p in ("lessons", "lab", "learn", "draw", "train", "inside")} == {
        "lessons.py", "lab.py", "learn.py", "draw.py", "train.py", "inside.py"}
    home = at.title[0].value
    at.switch_page("pages/home.py").run()          # the page registered for /home
    assert not at.exception and at.title[0].value == home
