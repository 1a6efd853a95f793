"""The one list of pages: app.py's navigation, Home's cards, the tests and the random walker all read it.
No streamlit here, so a test or a script can import it without a running app."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageEntry:
    file: str          # the page's script, relative to the app's root
    url: str           # its address: /<url>
    key: str           # its name in the catalogs: nav.<key>
    icon: str
    card: bool = False  # one of Home's cards


PAGES = (
    PageEntry("pages/home.py", "home", "home", ":material/home:"),
    PageEntry("pages/lessons.py", "lessons", "lessons", ":material/school:"),
    PageEntry("pages/lab.py", "lab", "lab", ":material/grid_on:", card=True),
    PageEntry("pages/learn.py", "learn", "learn", ":material/trending_down:"),
    PageEntry("pages/draw.py", "draw", "draw", ":material/draw:", card=True),
    PageEntry("pages/train.py", "train", "train", ":material/model_training:", card=True),
    PageEntry("pages/my_data.py", "my_data", "my_data", ":material/photo_library:"),
    PageEntry("pages/inside.py", "inside", "inside", ":material/layers:", card=True),
    PageEntry("pages/class.py", "class", "class", ":material/groups:"),
)
HOME = PAGES[0]
BY_URL = {entry.url: entry for entry in PAGES}


def address(entry: PageEntry) -> str:
    """The path a browser opens: "" for Home (the default page), else the page's url."""
    return "" if entry is HOME else entry.url
