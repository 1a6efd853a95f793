"""cnn.classroom: classes, students, progress and run ownership, on both databases it supports: a SQLite file
in a temporary folder and a PostgreSQL database of the tests' own cluster (the `classroom_url` fixture)."""

from __future__ import annotations

import csv
import io
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cnn import classroom, runs
from cnn.classroom import Classroom, ClassroomError, NotAllowed

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "![x](http://127.0.0.1:9/x) [CLICK](http://x) <b>b</b> **bold**"


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def room(classroom_url):
    clock = Clock()
    r = Classroom(classroom_url, clock=clock)
    r.clock_ = clock
    yield r
    r.close()


def test_the_default_database_sits_beside_the_runs_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("CNN_LAB_DATABASE", raising=False)
    monkeypatch.setenv("CNN_LAB_RUNS", str(tmp_path / "runs"))
    assert classroom.default_url() == f"sqlite:///{tmp_path.resolve() / 'runs-classroom.sqlite'}"
    monkeypatch.setenv("CNN_LAB_DATABASE", "postgresql+psycopg://u@h/db")
    assert classroom.default_url() == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("CNN_LAB_DATABASE", "postgresql://u@h/db")      # SQLAlchemy's default driver (psycopg2)
    assert classroom.default_url() == "postgresql+psycopg://u@h/db"   # is not installed: psycopg 3 is


def test_a_bare_postgresql_url_opens_with_psycopg_3(postgres_server):
    bare = postgres_server.new_database().replace("postgresql+psycopg://", "postgresql://")
    room = Classroom(bare)
    assert room.engine.dialect.driver == "psycopg"
    assert room.create_class("A", "ABCD", "secret1", "t").code == "ABCD"
    room.close()
    postgres_server.drop_database(bare)


def test_sqlite_runs_in_wal_mode(tmp_path):
    room = Classroom(f"sqlite:///{tmp_path / 'class.sqlite'}")
    with room.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_a_teacher_creates_a_class_and_students_join_it(room):
    made = room.create_class("Year 10 · CNNs", " ab12 cd ", "s3cret!", "teacher")
    assert made.code == "AB12CD"
    assert room.is_teacher("teacher", made.id)
    alice = room.join("alice", "ab12cd", "  Alice   L ")
    assert (alice.class_id, alice.nickname) == (made.id, "Alice L")
    room.join("bob", "AB12CD", HOSTILE)    # any characters: the page shows them as text
    assert [p.nickname for p in room.students(made.id)] == [HOSTILE, "Alice L"]   # by nickname
    assert room.person("nobody") == classroom.Person("nobody")      # works alone, as before
    assert room.nicknames(["alice", "bob", "nobody"]) == {"alice": "Alice L", "bob": HOSTILE}


@pytest.mark.parametrize("args, code", [
    (("", "ABCD", "secret1"), "name_empty"), (("x" * 81, "ABCD", "secret1"), "name_long"),
    (("c", "AB", "secret1"), "code_bad"), (("c", "AB-CD", "secret1"), "code_bad"),
    (("c", "ABCD", "short"), "secret_short"),
])
def test_a_class_with_bad_settings_is_refused_with_a_reason(room, args, code):
    with pytest.raises(ClassroomError) as caught:
        room.create_class(*args, "teacher")
    assert caught.value.code == code


def test_codes_are_unique_and_nicknames_unique_within_a_class(room):
    room.create_class("A", "ABCD", "secret1", "t1")
    with pytest.raises(ClassroomError, match="code"):
        room.create_class("B", "abcd", "secret2", "t2")
    room.create_class("B", "WXYZ", "secret2", "t2")
    room.join("s1", "ABCD", "Mo")
    with pytest.raises(ClassroomError) as caught:
        room.join("s2", "ABCD", "Mo")
    assert caught.value.code == "nickname_taken"
    room.join("s2", "WXYZ", "Mo")         # another class: fine
    room.join("s1", "ABCD", "Mo")         # joining again under one's own nickname: fine
    for code, nickname, reason in (("NOPE", "x", "code_unknown"), ("ABCD", "   ", "nickname_empty"),
                                   ("ABCD", "y" * 65, "nickname_long")):
        with pytest.raises(ClassroomError) as caught:
            room.join("s3", code, nickname)
        assert caught.value.code == reason


def test_the_teacher_secret_opens_the_class_from_another_browser(room):
    made = room.create_class("A", "ABCD", "right secret", "laptop")
    with pytest.raises(ClassroomError):
        room.open_as_teacher("ABCD", "wrong secret", "projector")
    assert not room.is_teacher("projector", made.id)
    assert room.open_as_teacher("abcd", "right secret", "projector").id == made.id
    assert room.is_teacher("projector", made.id)
    assert [c.code for c in room.teacher_classes("projector")] == ["ABCD"]
    with room.engine.connect() as conn:     # the secret itself is never stored
        stored = conn.exec_driver_sql("SELECT secret_hash, secret_salt FROM classes").first()
    assert "right secret" not in "".join(stored)


def test_attempts_solves_and_time_from_the_lesson_visit(room):
    made = room.create_class("A", "ABCD", "secret1", "t")
    room.join("s", "ABCD", "Sam")
    clock = room.clock_
    room.visit("s", 1)
    clock.now += 30
    room.attempt("s", "1.1", right=False, lesson=1)
    clock.now += 15
    room.attempt("s", "1.1", right=True, lesson=1)
    clock.now += 5
    room.attempt("s", "1.1", right=True, lesson=1)     # a later try counts, the time stays
    room.attempt("s", "1.2", right=False, lesson=1)
    room.visit("s", 1)
    room.visit("s", 2)
    assert room.solved("s") == {"1.1"}
    assert room.progress(made.id) == {"s": {"1.1": {"attempts": 3, "solved": True, "seconds": 45.0},
                                            "1.2": {"attempts": 1, "solved": False, "seconds": None}}}
    assert room.lesson_visits(made.id) == {"s": {1, 2}}


def test_the_csv_has_one_row_per_student_and_exercise(room):
    made = room.create_class("A", "ABCD", "secret1", "t")
    room.join("a", "ABCD", "=cmd()")          # never a spreadsheet formula
    room.join("b", "ABCD", "Bea")
    room.attempt("a", "1.1", right=True)
    room.attempt("b", "1.1", right=False)
    rows = list(csv.reader(io.StringIO(room.export_csv(made.id, [(1, "1.1"), (1, "1.2")]))))
    assert rows == [["nickname", "lesson", "exercise", "status", "attempts", "seconds"],
                    ["'=cmd()", "1", "1.1", "solved", "1", "0"], ["'=cmd()", "1", "1.2", "not_yet", "0", ""],
                    ["Bea", "1", "1.1", "tried", "1", ""], ["Bea", "1", "1.2", "not_yet", "0", ""]]


def test_limits_and_assignment_are_kept_for_the_class(room):
    made = room.create_class("A", "ABCD", "secret1", "t")
    room.join("s", "ABCD", "Sam")
    assert room.class_limits("s") is None and room.class_limits("alone") is None
    room.set_limits(made.id, 5, 120)
    assert room.class_limits("s") == (5, 120)
    room.set_limits(made.id, None, 60)
    assert room.class_limits("s") == (None, 60)
    for bad in ((0, None), (None, 5), (1000, None)):
        with pytest.raises(ClassroomError):
            room.set_limits(made.id, *bad)
    room.assign(made.id, "lesson:3")
    assert room.get_class(made.id).assignment == "lesson:3"
    room.assign(made.id, "link:lab?stride=2&k=sobel_x")
    assert room.get_class(made.id).assignment == "link:lab?stride=2&k=sobel_x"
    for bad in ("javascript:alert(1)", "link:http://evil", "lesson:x"):
        with pytest.raises(ClassroomError):
            room.assign(made.id, bad)


def test_language_is_kept_for_anyone(room):
    room.set_language("solo", "zh")
    assert room.person("solo").language == "zh"
    room.create_class("A", "ABCD", "secret1", "t")
    room.join("solo", "ABCD", "Li")
    assert room.person("solo").language == "zh"


def test_many_sessions_writing_at_once_all_count(classroom_url):
    url = classroom_url
    Classroom(url).create_class("A", "ABCD", "secret1", "t")
    errors = []

    def student(i: int) -> None:
        try:
            r = Classroom(url)      # its own engine, as another server process would have
            r.join(f"s{i}", "ABCD", f"student {i}")
            for k in range(10):
                r.visit(f"s{i}", 1)
                r.attempt(f"s{i}", "1.1", right=k == 9, lesson=1)
            r.close()
        except Exception as exc:     # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    r = Classroom(url)
    grid = r.progress(r.class_by_code("ABCD").id)
    assert len(grid) == 12 and all(cells["1.1"] == {"attempts": 10, "solved": True, "seconds": cells["1.1"]["seconds"]}
                                   for cells in grid.values())
    r.close()


def test_what_was_written_survives_a_kill_9(classroom_url):
    url = classroom_url
    script = f"""
import os, signal, sys
sys.path.insert(0, {str(ROOT)!r})
from cnn.classroom import Classroom
r = Classroom({url!r})
r.create_class("A", "ABCD", "secret1", "t")
r.join("s", "ABCD", "Sam")
r.attempt("s", "1.1", right=True)
os.kill(os.getpid(), signal.SIGKILL)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT)
    assert done.returncode == -signal.SIGKILL
    r = Classroom(url)
    assert r.person("s").nickname == "Sam" and r.solved("s") == {"1.1"}
    r.close()


# ---------------------------------------------------------------- who may manage a run


class FakeJob:
    def __init__(self, run_id: str, owner: str):
        self.id, self.owner = run_id, owner


class FakeManager:
    """What the handlers need of cnn.job_queue.JobManager, recording what it was asked (owner checks included)."""

    def __init__(self, root: Path):
        self.runs_root, self.calls, self.jobs_ = root, [], {}

    def get(self, run_id):
        return self.jobs_.get(run_id)

    def _owned(self, action, job, owner):
        self.calls.append((action, job.id, owner))
        return bool(owner) and owner == job.owner

    def pause(self, job, owner):
        return self._owned("pause", job, owner)

    def unpause(self, job, owner):
        return self._owned("unpause", job, owner)

    def stop(self, job, owner):
        return self._owned("stop", job, owner)

    def resume(self, run_id, owner):
        self.calls.append(("resume", run_id, owner))
        return FakeJob(run_id, owner)


def _run(root: Path, owner: str | None, name: str = "net") -> str:
    run_id = runs.new_id(name)
    folder = runs.run_dir(run_id, root)
    folder.mkdir(parents=True)
    runs.write_json(folder / "info.json", {"format": runs.FORMAT, "name": name, "status": "finished"})
    if owner is not None:
        runs.write_owner(run_id, owner, root)
    return run_id


@pytest.fixture
def class_of_two(room):
    made = room.create_class("A", "ABCD", "secret1", "teacher")
    room.create_class("B", "WXYZ", "secret2", "other teacher")
    room.join("alice", "ABCD", "Alice")
    room.join("bob", "ABCD", "Bob")
    room.join("carol", "WXYZ", "Carol")
    return made


def test_the_rule_owner_or_their_teacher(room, class_of_two):
    assert room.may_manage("alice", "alice")
    assert room.may_manage("teacher", "alice")
    assert not room.may_manage("bob", "alice")
    assert not room.may_manage("other teacher", "alice")
    assert not room.may_manage("carol", "alice")
    assert not room.may_manage("", "alice") and not room.may_manage("", "")
    assert room.may_manage("solo", "solo")
    # A run nobody owns (the command line's): not a class student's to touch; a lone user's or a teacher's.
    assert not room.may_manage("alice", "") and room.may_manage("solo", "") and room.may_manage("teacher", "")


def test_delete_and_rename_refuse_anyone_but_the_owner_and_teacher(room, class_of_two, tmp_path):
    root = tmp_path / "runs"
    alice_run = _run(root, "alice")
    with pytest.raises(NotAllowed):
        classroom.rename_run(room, alice_run, HOSTILE, "bob", root=root)
    with pytest.raises(NotAllowed):
        classroom.delete_run(room, alice_run, "bob", root=root)
    assert runs.read_run(runs.run_dir(alice_run, root)).name == "net"
    classroom.rename_run(room, alice_run, "mine", "alice", root=root)
    assert runs.read_run(runs.run_dir(alice_run, root)).name == "mine"
    classroom.rename_run(room, alice_run, "teacher's", "teacher", root=root)
    assert runs.read_run(runs.run_dir(alice_run, root)).name == "teacher's"
    classroom.delete_run(room, alice_run, "teacher", root=root)
    assert not runs.run_dir(alice_run, root).exists()
    bob_run = _run(root, "bob")
    classroom.delete_run(room, bob_run, "bob", root=root)
    assert not runs.run_dir(bob_run, root).exists()


def test_pause_stop_and_resume_go_through_the_rule(room, class_of_two, tmp_path):
    root = tmp_path / "runs"
    manager = FakeManager(root)
    job = FakeJob("20260101-000000-000000-net", "alice")
    for handler in (classroom.pause_run, classroom.unpause_run, classroom.stop_run):
        with pytest.raises(NotAllowed):
            handler(room, manager, job, "bob")
        with pytest.raises(NotAllowed):
            handler(room, manager, job, "other teacher")
    assert manager.calls == []          # a refused request never reaches the queue
    assert classroom.pause_run(room, manager, job, "alice")
    assert classroom.stop_run(room, manager, job, "teacher")     # the teacher acts for the owner
    assert manager.calls == [("pause", job.id, "alice"), ("stop", job.id, "alice")]
    interrupted = _run(root, "alice")
    with pytest.raises(NotAllowed):
        classroom.resume_run(room, manager, interrupted, "bob")
    resumed = classroom.resume_run(room, manager, interrupted, "teacher")
    assert resumed.owner == "alice"     # still Alice's run


# ---------------------------------------------------------------- the same answers on both databases


def test_a_class_is_listed_in_the_same_order_on_every_database(room):
    made = room.create_class("A", "ABCD", "secret1", "t")
    for i, nickname in enumerate(["zoë", "Émile", "bob", "Zed", "_x", "李雷", "Ann"]):
        room.join(f"s{i}", "ABCD", nickname)
    assert [p.nickname for p in room.students(made.id)] == ["_x", "Ann", "bob", "Zed", "zoë", "Émile", "李雷"]


def test_a_link_to_any_page_can_be_assigned_and_nothing_longer_than_the_column(room):
    made = room.create_class("A", "ABCD", "secret1", "t")
    room.assign(made.id, "link:my_data?set=x")
    assert room.get_class(made.id).assignment == "link:my_data?set=x"
    longest = "link:" + "a" * 14 + "?" + "q" * 380
    room.assign(made.id, longest)                      # exactly what the column holds
    assert room.get_class(made.id).assignment == longest
    with pytest.raises(ClassroomError):
        room.assign(made.id, "link:" + "a" * 15 + "?" + "q" * 380)


def test_tries_at_once_from_two_servers_all_count_and_solve_once(classroom_url):
    Classroom(classroom_url).create_class("A", "ABCD", "secret1", "t")
    servers = [Classroom(classroom_url) for _ in range(4)]      # an engine each, as separate servers have
    servers[0].join("s", "ABCD", "Sam")
    barrier = threading.Barrier(len(servers))
    errors = []

    def tries(r: Classroom) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                r.attempt("s", "2.1", right=True)
        except Exception as exc:    # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=tries, args=(r,)) for r in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    cell = servers[0].progress(servers[0].class_by_code("ABCD").id)["s"]["2.1"]
    assert cell["attempts"] == 20 and cell["solved"]
    for r in servers:
        r.close()


def test_servers_starting_at_once_on_an_empty_database_all_make_or_find_the_tables(classroom_url):
    made, errors = [], []
    barrier = threading.Barrier(6)

    def server() -> None:
        try:
            barrier.wait()
            made.append(Classroom(classroom_url))
        except Exception as exc:    # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=server) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(made) == 6
    made[0].create_class("A", "ABCD", "secret1", "t")
    assert made[5].class_by_code("ABCD").name == "A"
    for r in made:
        r.close()


# ---------------------------------------------------------------- PostgreSQL killed and back


@pytest.fixture
def own_postgres():
    """A PostgreSQL of this test's own: killing it disturbs no other test."""
    from tests.services import Postgres

    server = Postgres()
    server.start()
    yield server
    server.stop()


def test_a_killed_postgresql_is_unavailable_then_back_with_everything_committed(own_postgres):
    room = Classroom(own_postgres.new_database("cnn_lab"))
    made = room.create_class("A", "ABCD", "secret1", "t")
    room.join("s", "ABCD", "Sam")
    room.attempt("s", "1.1", right=True)
    assert room.engine.pool.checkedin() >= 1      # a pooled connection, soon to be dead

    own_postgres.kill()
    for call in (lambda: room.person("s"), lambda: room.attempt("s", "1.2", right=False),
                 lambda: room.join("t", "ABCD", "Tia"), lambda: Classroom(room.url)):
        with pytest.raises(classroom.Unavailable):
            call()

    own_postgres.restart()
    # The same engine, no reload: its pooled connections died with the server, and pool_pre_ping finds that
    # out and connects again instead of failing the first call.
    assert room.person("s").nickname == "Sam" and room.solved("s") == {"1.1"}
    room.join("t", "ABCD", "Tia")
    assert [p.nickname for p in room.students(made.id)] == ["Sam", "Tia"]
    room.close()


def test_without_pre_ping_the_first_call_after_a_restart_would_fail(own_postgres):
    """Why the engine pings: the same kill and restart breaks a pooled connection that nobody checks."""
    import sqlalchemy as sa

    url = own_postgres.new_database("plain")
    plain = sa.create_engine(url)                       # no pool_pre_ping
    with plain.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    own_postgres.kill()
    own_postgres.restart()
    with pytest.raises(sa.exc.OperationalError), plain.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    plain.dispose()
