"""Two app servers on one PostgreSQL and one runs folder, in real browsers, as behind a proxy with sticky
sessions: a class created and joined on server 1 is the teacher's on server 2, whose page fills in by itself
as the student answers on server 1. Then PostgreSQL is killed (kill -9): both servers say so in the user's
language, the Lab still works, and once PostgreSQL is back the teacher's open page recovers by itself.
Screenshots of the outage in both languages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from harness import ROOT, streamlit_server, wait_idle
from playwright.sync_api import expect
from test_classroom_browser import _create_class, _join_class, _no_error, _open

from cnn import classroom, lessons
from cnn.i18n import t
from tests.services import Postgres

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "tests" / "e2e" / "artifacts"))


@pytest.fixture
def postgres():
    server = Postgres()
    server.start()
    yield server
    server.stop()


def test_two_servers_share_the_class_and_both_live_through_a_database_outage(chromium, postgres, tmp_path):
    code, item = classroom.new_code(), lessons.LESSONS[1][0]
    env = {"CNN_LAB_RUNS": str(tmp_path / "runs"), "CNN_LAB_DATABASE": postgres.new_database("cnn_lab")}
    # Cookies belong to the host, not the port: each context is one browser on both servers, as behind a proxy.
    contexts = {who: chromium.new_context(viewport={"width": 1440, "height": 1000}) for who in ("teacher", "mo")}
    try:
        with streamlit_server(env=env) as one, streamlit_server(env=env) as two:
            _create_class(contexts["teacher"], one, "7A", code)
            mo = _join_class(contexts["mo"], one, code, "Mo")

            # Server 2 knows the teacher (the same cookie) and the class, with Mo in it.
            on_two = _open(contexts["teacher"], two + "/class?lang=en")
            expect(on_two.get_by_text("Your class: 7A")).to_be_visible()
            expect(on_two.get_by_text(t("class.grid.title", "en", n=1))).to_be_visible()
            _no_error(on_two)

            # Mo answers on server 1; the teacher's page on server 2 fills in by itself (no click).
            mo.goto(one + "/lessons?lang=en&lesson=1")
            mo.wait_for_selector('[data-testid="stApp"]')
            wait_idle(mo)
            mo.get_by_label("Your answer").first.fill(item.solution_text())
            mo.get_by_role("button", name="Check").first.click()
            wait_idle(mo)
            cells = len(lessons.LESSONS[1])
            solved = f"{t('lesson.1.title', 'en')}: 1 of {cells} solved · visited by 1 of 1"
            expect(on_two.get_by_text(solved)).to_be_visible(timeout=60_000)   # a loaded machine: slow

            postgres.kill()

            # Server 2's open page says so by itself (its live part refreshes); server 1 in Chinese too.
            expect(on_two.get_by_text(t("class.unavailable", "en"))).to_be_visible(timeout=20_000)
            _no_error(on_two)
            SHOTS.mkdir(parents=True, exist_ok=True)
            on_two.screenshot(path=str(SHOTS / "class-outage-en.png"))
            zh = _open(contexts["mo"], one + "/class?lang=zh")
            expect(zh.get_by_text(t("class.unavailable", "zh"))).to_be_visible()
            _no_error(zh)
            zh.screenshot(path=str(SHOTS / "class-outage-zh.png"))
            home = _open(contexts["mo"], one + "/?lang=zh")     # Home's banner says so; the rest is there
            expect(home.get_by_text(t("class.unavailable", "zh"))).to_be_visible()
            expect(home.get_by_text(t("home.lead", "zh")[:12], exact=False)).to_be_visible()
            home.screenshot(path=str(SHOTS / "home-outage-zh.png"))
            lab = _open(contexts["mo"], two + "/lab?lang=en")
            expect(lab.get_by_role("heading", name=t("lab.title", "en")).first).to_be_visible()
            assert lab.get_by_text(t("class.unavailable", "en")).count() == 0
            _no_error(lab)

            postgres.restart()

            # The same open page, no reload: the class is back with Mo's answer.
            expect(on_two.get_by_text(t("class.unavailable", "en"))).to_have_count(0, timeout=20_000)
            expect(on_two.get_by_text(solved)).to_be_visible()
            _no_error(on_two)
            zh.goto(one + "/class?lang=zh")
            zh.wait_for_selector('[data-testid="stApp"]')
            wait_idle(zh)
            expect(zh.get_by_text(t("class.student.member", "zh").replace("**", "").format(nickname="Mo", name="7A")
                                  )).to_be_visible()
    finally:
        for context in contexts.values():
            context.close()
