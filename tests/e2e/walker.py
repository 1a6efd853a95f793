"""A seeded random walker: a hostile student in a real browser. It visits every page in both languages and
does random things to whatever is on screen (menus, sliders, numbers, toggles, radios, buttons, table
cells, charts, the canvas, uploads, page switches, the language, reload, back), waiting for the app to be
idle after each. It fails on any exception element, our guard's "something went wrong" message, a page
still running after 30 s, or a traceback in the server's log. Every action is recorded, so a failure can
be replayed with the same seed.

    WALK_SEED=3 WALK_ACTIONS=1000 python -m pytest tests/e2e/test_walker.py
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from bad_uploads import BAD_UPLOADS
from harness import IDLE_JS
from playwright.sync_api import Error as PlaywrightError

from pages import registry

PAGES = [registry.address(entry) for entry in registry.PAGES]
LANGUAGES = ["en", "zh"]
NUMBERS = ["1e308", "-1e308", "0", "-1", "3", "99999", "0.5", "abc", "", "nan", "inf", "-7", "1e-320"]
CELLS = ["abc", "NaN", "nan", "inf", "-inf", "1e308", "", "-3.5", "2", "0"]
TEXTS = ["", "a", "我的网络", "x" * 200, "<b>bold</b>", "../../etc"]
GUARD_MESSAGES = ("Something went wrong here", "这里出了点问题")



class WalkFailure(AssertionError):
    pass


@dataclass
class Walker:
    page: object
    base_url: str
    log_path: Path
    rng: random.Random
    upload_dir: Path
    done: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    _log_offset: int = 0

    # ------------------------------------------------------------ waiting and checking
    def settle(self, timeout_ms: int = 30_000) -> None:
        try:
            self.page.wait_for_function(IDLE_JS, timeout=timeout_ms)
        except PlaywrightError as exc:
            raise WalkFailure(f"the page was still running after {timeout_ms // 1000} s") from exc

    def check(self) -> None:
        problems = []
        exceptions = self.page.locator('[data-testid="stException"]')
        if exceptions.count():
            problems.append("an exception element: " + exceptions.first.inner_text()[:400])
        for message in GUARD_MESSAGES:
            if self.page.get_by_text(message).count():
                problems.append(f"the guard's message: {message}")
        log = self.log_path.read_text(errors="replace")
        new, self._log_offset = log[self._log_offset:], len(log)
        if "Traceback (most recent call last)" in new:
            problems.append("a traceback in the server log:\n" + new[new.index("Traceback"):][:3000])
        if problems:
            raise WalkFailure("\n".join(problems))

    # ------------------------------------------------------------ the walk
    def goto(self, path: str, lang: str) -> str:
        self.page.goto(f"{self.base_url}/{path}?lang={lang}")
        self.page.wait_for_selector('[data-testid="stApp"]')
        return f"open /{path}?lang={lang}"

    def step(self, forced: str | None = None) -> None:
        actions = {
            "select": (12, self.select), "choice": (8, self.choice), "slider": (12, self.slider),
            "number": (8, self.number),
            "toggle": (5, self.toggle), "radio": (6, self.radio), "button": (8, self.button),
            "cell": (8, self.cell), "chart": (6, self.chart), "stroke": (4, self.stroke),
            "upload": (3, self.upload), "text": (2, self.text), "switch_page": (7, self.switch_page),
            "language": (3, self.language), "reload": (2, self.reload), "back": (2, self.back),
        }
        description = forced
        names = list(actions)
        for _ in range(6 if not forced else 0):     # try another kind of action when this page has none
            name = self.rng.choices(names, weights=[actions[n][0] for n in names])[0]
            try:
                description = actions[name][1]()
            except PlaywrightError as exc:       # the element went away under us (a rerun): not the app's fault
                description = f"{name}: skipped ({str(exc).splitlines()[0][:80]})"
            if description:
                break
        description = description or "nothing to do on this page"
        self.done.append(description)
        self.settle()
        self.check()

    def visible(self, selector: str):
        found = self.page.locator(selector)
        return [found.nth(i) for i in range(min(found.count(), 60)) if found.nth(i).is_visible()]

    def pick(self, selector: str):
        options = self.visible(selector)
        return self.rng.choice(options) if options else None

    # ------------------------------------------------------------ actions
    def select(self):
        box = self.pick('[data-testid="stSelectbox"], [data-testid="stMultiSelect"]')
        if box is None:
            return None
        label = box.inner_text()[:40].replace("\n", " ")
        box.click(timeout=5_000)
        options = self.page.get_by_role("option")
        count = options.count()
        if count == 0:
            self.page.keyboard.press("Escape")
            return f"select {label!r}: no options"
        choice = options.nth(self.rng.randrange(count))
        text = choice.inner_text()[:40]
        choice.click(timeout=5_000)
        return f"select {label!r} -> {text!r}"

    def choice(self):
        """One of the Lab's own menus (pages/views/choice.py): an option clicked, or arrow keys and Enter."""
        option = self.pick(".lab-choice [role=radio]")
        if option is None:
            return None
        if self.rng.random() < 0.5:
            text = option.inner_text()[:40]
            option.click(timeout=5_000)
            return f"choice {text!r}"
        keys = [self.rng.choice(["ArrowRight", "ArrowLeft", "ArrowDown", "Home", "End", "Enter"])
                for _ in range(self.rng.randint(1, 3))]
        option.focus(timeout=5_000)
        for key in keys:
            self.page.keyboard.press(key)
        return f"choice keys: {' '.join(keys)}"

    def slider(self):
        thumb = self.pick('[data-testid="stSlider"] input[type="range"], .live-slider input[type="range"]')
        if thumb is None:
            return None
        keys = [self.rng.choice(["ArrowRight", "ArrowLeft", "Home", "End", "PageUp", "PageDown"])
                for _ in range(self.rng.randint(1, 3))]
        thumb.focus(timeout=5_000)
        for key in keys:
            thumb.press(key)
        return f"slider {thumb.get_attribute('aria-label') or ''!r}: {' '.join(keys)}"

    def number(self):
        field_ = self.pick('[data-testid="stNumberInput"] input, .lab-number input')
        if field_ is None:
            return None
        value = self.rng.choice(NUMBERS)
        field_.focus(timeout=5_000)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(value)          # typed, as a person would: the browser drops what is not a number
        field_.press("Enter")
        return f"number {field_.get_attribute('aria-label') or ''!r} <- {value!r}"

    def toggle(self):
        box = self.pick('[data-testid="stCheckbox"] label')
        if box is None:
            return None
        box.click(timeout=5_000)
        return f"toggle {box.inner_text()[:40]!r}"

    def radio(self):
        option = self.pick('[data-testid="stRadio"] label')
        if option is None:
            return None
        option.click(timeout=5_000)
        return f"radio {option.inner_text()[:40]!r}"

    def button(self):
        button = self.pick('[data-testid="stButton"] button:not([disabled]), '
                           '[data-testid="stBaseButton-secondary"]:not([disabled]), .lab-number button')
        if button is None:
            return None
        text = button.inner_text()[:40]
        button.click(timeout=5_000)
        return f"button {text!r}"

    def cell(self):
        field_ = self.pick(".kernelgrid input")            # the Lab's kernel: a grid of text fields
        if field_ is not None and self.rng.random() < 0.5:
            value = self.rng.choice(CELLS)
            field_.fill(value)
            field_.press(self.rng.choice(["Enter", "Tab"]))
            return f"kernel cell <- {value!r}"
        grid = self.pick('[data-testid="stDataFrame"]')
        if grid is None:
            return None
        box = grid.bounding_box()
        if not box:
            return None
        x = box["x"] + box["width"] * self.rng.uniform(0.1, 0.9)
        y = box["y"] + box["height"] * self.rng.uniform(0.25, 0.95)   # below the header row
        value = self.rng.choice(CELLS)
        self.page.mouse.dblclick(x, y)
        self.page.keyboard.press("Control+A")
        if value:
            self.page.keyboard.type(value)
        else:
            self.page.keyboard.press("Delete")
        self.page.keyboard.press("Enter")
        return f"table cell at ({x:.0f}, {y:.0f}) <- {value!r}"

    def chart(self):
        target = self.pick(".js-plotly-plot .nsewdrag, [data-testid='stImage'] img, .labmaps canvas, .mappicker canvas")
        if target is None:
            return None
        box = target.bounding_box()
        if not box:
            return None
        x, y = box["x"] + box["width"] * self.rng.random(), box["y"] + box["height"] * self.rng.random()
        self.page.mouse.click(x, y)
        return f"click a chart at ({x:.0f}, {y:.0f})"

    def stroke(self):
        canvas = self.pick("canvas.upper-canvas, .drawpad canvas")
        if canvas is None:
            return None
        box = canvas.bounding_box()
        if not box:
            return None
        points = [(box["x"] + box["width"] * self.rng.random(), box["y"] + box["height"] * self.rng.random())
                  for _ in range(self.rng.randint(1, 8))]
        self.page.mouse.move(*points[0])
        self.page.mouse.down()
        for point in points[1:]:
            self.page.mouse.move(*point, steps=4)
        self.page.mouse.up()
        return f"stroke of {len(points)} points"

    def upload(self):
        inputs = self.page.locator('[data-testid="stFileUploaderDropzoneInput"]')
        if inputs.count() == 0:
            return None
        name, make, _ = self.rng.choice(BAD_UPLOADS)
        path = self.upload_dir / name
        if not path.exists():
            path.write_bytes(make())
        inputs.first.set_input_files(str(path), timeout=10_000)
        return f"upload {name}"

    def text(self):
        field_ = self.pick('[data-testid="stTextInput"] input')
        if field_ is None:
            return None
        value = self.rng.choice(TEXTS)
        field_.fill(value, timeout=5_000)
        field_.press("Enter")
        return f"text <- {value[:20]!r}"

    def switch_page(self):
        links = self.visible('[data-testid="stSidebarNav"] a')
        if not links:
            return self.goto(self.rng.choice(PAGES), self.rng.choice(LANGUAGES))
        link = self.rng.choice(links)
        text = link.inner_text()[:30]
        link.click(timeout=5_000)
        return f"page {text!r}"

    def language(self):
        box = self.page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
        if not box.is_visible():
            return None
        box.click(timeout=5_000)
        option = self.page.get_by_role("option", name=re.compile("English|简体中文")).nth(self.rng.randrange(2))
        text = option.inner_text()
        option.click(timeout=5_000)
        return f"language -> {text}"

    def reload(self):
        self.page.reload()
        self.page.wait_for_selector('[data-testid="stApp"]')
        return "reload"

    def back(self):
        self.page.go_back()
        self.page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
        return "back"
