"""The hostile walk: at least 150 random actions with a fixed seed on every page in both languages, on a
server of its own (so its log is read from its first line). WALK_SEED and WALK_ACTIONS walk elsewhere or
longer; a failure prints the seed and every action up to it."""

from __future__ import annotations

import os
import random

from harness import open_page, streamlit_server
from walker import LANGUAGES, PAGES, Walker, WalkFailure

SEED = int(os.environ.get("WALK_SEED", "1"))
ACTIONS = max(int(os.environ.get("WALK_ACTIONS", "150")), 1)


def test_a_random_walk_finds_no_exception_and_no_stuck_page(chromium, runs_folder, tmp_path):
    with streamlit_server() as url:
        page = open_page(chromium, url + "/", viewport=(1500, 1000))
        walker = Walker(page, url, url.log, random.Random(SEED), tmp_path)
        try:
            # Every page in both languages first, a few random actions on each; then anything at all.
            for lang in LANGUAGES:
                for path in PAGES:
                    walker.step(walker.goto(path, lang))
                    for _ in range(2):
                        walker.step()
            while len(walker.done) < ACTIONS:
                walker.step()
        except WalkFailure as failure:
            steps = "\n".join(f"{i + 1:4d}. {d}" for i, d in enumerate(walker.done))
            raise WalkFailure(f"seed {SEED}, after {len(walker.done)} actions:\n{steps}\n\n{failure}") from None
        finally:
            page.close()
        print(f"\nwalked {len(walker.done)} actions with seed {SEED}")


def test_the_walker_operates_the_labs_own_menus_and_number_field(chromium, runs_folder, tmp_path):
    """The Lab's menus, bias field and its − / + buttons are our own components: the walker finds and works
    them (clicks, arrow keys, typed numbers good and bad) with no error."""
    with streamlit_server() as url:
        page = open_page(chromium, url + "/lab", viewport=(1500, 1000))
        page.locator(".lab-choice [role=radio]").first.wait_for()
        page.locator(".lab-number input").wait_for()
        walker = Walker(page, url, url.log, random.Random(SEED), tmp_path)
        try:
            for act, count in ((walker.choice, 6), (walker.number, 4), (walker.button, 3)):
                for _ in range(count):
                    walker.done.append(act())
                    walker.settle()
                    walker.check()
        finally:
            page.close()
        assert all(walker.done), walker.done
        assert sum(d.startswith("choice") for d in walker.done) == 6, walker.done
