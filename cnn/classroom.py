"""A class: who the students are, what each has tried and solved, which lessons they visited, which runs
they started, and the teacher who sees it all. Kept in a real database so it survives a reload, a server
restart and a kill -9.

SQLite by default (one file beside the runs folder, no setup); any SQLAlchemy URL in $CNN_LAB_DATABASE
(postgresql://...) instead, for several app servers sharing one database. Every call is one short
transaction; SQLite runs in WAL mode with a busy timeout and takes its write lock at the start of a
writing transaction (BEGIN IMMEDIATE), so many sessions writing at once wait their turn instead of failing;
on PostgreSQL every write is a single upsert or row update, so concurrent sessions need no such lock.

A database that cannot be reached (PostgreSQL stopped or killed, a network cut) raises `Unavailable`, never
a driver's error, so the pages can say so; every connection is checked before use (pool_pre_ping), so once
the database is back the next call works on a fresh connection.

Who is who: every browser has a token (a cookie kept by the page layer). A student joins a class with its
code and a nickname; the teacher made the class and opens its view with the teacher secret (kept only as
a salted hash). Nothing here imports streamlit.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import io
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from cnn import runs

CODE = re.compile(r"^[A-Z0-9]{4,12}$")
NICKNAME_MAX, CLASS_NAME_MAX, SECRET_MIN = 64, 80, 6
LIMITS = {"max_epochs": (1, 200), "max_seconds": (10, 24 * 3600)}   # what a teacher may set, inclusive

CONNECT_TIMEOUT = 5     # seconds to reach PostgreSQL before a page says the database is unavailable
SCHEMA_LOCK = 2026_12_05_20   # the PostgreSQL advisory lock taken while the tables are made

metadata = sa.MetaData()
classes = sa.Table(
    "classes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(CLASS_NAME_MAX), nullable=False),
    sa.Column("code", sa.String(12), nullable=False, unique=True),
    sa.Column("secret_salt", sa.String(64), nullable=False),
    sa.Column("secret_hash", sa.String(128), nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("assignment", sa.String(400)),          # "lesson:3" or "link:lab?stride=2..." (see `assign`)
    sa.Column("max_epochs", sa.Integer),
    sa.Column("max_seconds", sa.Integer),
)
people = sa.Table(   # one row per browser token that did something worth keeping
    "people", metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="SET NULL")),
    sa.Column("nickname", sa.String(NICKNAME_MAX)),
    sa.Column("language", sa.String(8)),
    sa.Column("joined", sa.Float),
    sa.UniqueConstraint("class_id", "nickname", name="one_nickname_per_class"),
)
teachers = sa.Table(
    "teachers", metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True),
)
exercise_progress = sa.Table(   # one row per student and exercise
    "exercise_progress", metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("exercise", sa.String(32), primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("first_try", sa.Float, nullable=False),
    sa.Column("solved_at", sa.Float),
    sa.Column("seconds", sa.Float),                  # from the lesson's first visit (or the first try) to solved
)
visits = sa.Table(
    "lesson_visits", metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("lesson", sa.Integer, primary_key=True),
    sa.Column("first", sa.Float, nullable=False),
    sa.Column("last", sa.Float, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
)
started_runs = sa.Table(
    "runs", metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("token", sa.String(64), nullable=False, index=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("started", sa.Float, nullable=False),
)
leaderboards = sa.Table(   # one row per class data set whose final ranking the teacher revealed
    "leaderboards", metadata,
    sa.Column("set_id", sa.String(64), primary_key=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    sa.Column("revealed", sa.Float),                  # when the private ranking was revealed; NULL: not yet
)


class ClassroomError(ValueError):
    """A request that cannot be done as asked; `code` names the reason (locale "class.error.<code>")."""

    def __init__(self, message: str, code: str, **params):
        super().__init__(message)
        self.code, self.params = code, params


class Unavailable(ConnectionError):
    """The database cannot be reached now (stopped, restarting, cut off); the call can be tried again later."""


class NotAllowed(PermissionError):
    """Someone who is neither a run's owner nor their class's teacher tried to manage the run."""


@dataclass(frozen=True)
class ClassInfo:
    id: int
    name: str
    code: str
    assignment: str | None = None
    max_epochs: int | None = None
    max_seconds: int | None = None


@dataclass(frozen=True)
class Person:
    token: str
    class_id: int | None = None
    nickname: str | None = None
    language: str | None = None


def default_url() -> str:
    """$CNN_LAB_DATABASE, else a SQLite file beside the runs folder (runs/ -> runs-classroom.sqlite)."""
    url = os.environ.get("CNN_LAB_DATABASE")
    if url:
        return engine_url(url)
    root = runs.default_root()
    return f"sqlite:///{root.parent.resolve() / (root.name + '-classroom.sqlite')}"


def engine_url(url: str) -> str:
    """A database URL as SQLAlchemy should open it: postgresql:// (and postgres://) with psycopg 3, the driver
    the project installs (SQLAlchemy's own default is psycopg2)."""
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url.removeprefix(bare)
    return url


def normalise_code(code: str) -> str:
    return re.sub(r"\s+", "", str(code or "")).upper()


def new_code() -> str:
    """A code easy to read aloud and type: six letters and digits without 0/O or 1/I."""
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))


def _hash(secret: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), bytes.fromhex(salt), 100_000).hex()


def _row_class(row) -> ClassInfo:
    return ClassInfo(row.id, row.name, row.code, row.assignment, row.max_epochs, row.max_seconds)


class Classroom:
    """The database of classes, students and their progress. Safe to share between threads."""

    def __init__(self, url: str | None = None, clock=time.time):
        self.url = engine_url(url) if url else default_url()
        self.clock = clock
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # A down server answers at once (refused); an unreachable host must not hold a page for minutes.
        options = {"connect_args": {"connect_timeout": CONNECT_TIMEOUT}} if self.url.startswith("postgresql") else {}
        self.engine = sa.create_engine(self.url, pool_pre_ping=True, **options)
        if self.engine.dialect.name == "sqlite":
            _sqlite_setup(self.engine)
        with self._write() as conn:
            if self.engine.dialect.name == "postgresql":   # two servers starting on an empty database at once
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            metadata.create_all(conn)

    # ---- transactions: one short one per call
    @contextlib.contextmanager
    def _write(self):
        with _reachable(), self.engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def _read(self):
        with _reachable(), self.engine.connect() as conn:
            yield conn

    def _upsert(self, conn, table: sa.Table, keys: Iterable[str], values: dict, update: dict) -> None:
        """INSERT, or UPDATE `update` where the row exists (SQLite and PostgreSQL spell it the same)."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(table).values(**values)
        conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=update))

    # ---- classes and their teacher
    def create_class(self, name: str, code: str, secret: str, teacher_token: str) -> ClassInfo:
        """A new class; the browser that made it is its teacher at once. ClassroomError for bad input."""
        name = str(name or "").strip()
        code = normalise_code(code)
        if not name:
            raise ClassroomError("A class needs a name.", "name_empty")
        if len(name) > CLASS_NAME_MAX:
            raise ClassroomError("That name is too long.", "name_long", max=CLASS_NAME_MAX)
        if not CODE.match(code):
            raise ClassroomError("A class code is 4 to 12 letters or digits.", "code_bad")
        if len(str(secret or "")) < SECRET_MIN:
            raise ClassroomError("The teacher secret is too short.", "secret_short", min=SECRET_MIN)
        salt = secrets.token_hex(16)
        try:
            with self._write() as conn:
                class_id = conn.execute(classes.insert().values(
                    name=name, code=code, secret_salt=salt, secret_hash=_hash(secret, salt),
                    created=self.clock())).inserted_primary_key[0]
                conn.execute(teachers.insert().values(token=teacher_token, class_id=class_id))
        except sa.exc.IntegrityError:
            raise ClassroomError("Another class has that code.", "code_taken") from None
        return ClassInfo(class_id, name, code)

    def class_by_code(self, code: str) -> ClassInfo | None:
        with self._read() as conn:
            row = conn.execute(sa.select(classes).where(classes.c.code == normalise_code(code))).first()
        return _row_class(row) if row else None

    def get_class(self, class_id: int | None) -> ClassInfo | None:
        if class_id is None:
            return None
        with self._read() as conn:
            row = conn.execute(sa.select(classes).where(classes.c.id == class_id)).first()
        return _row_class(row) if row else None

    def open_as_teacher(self, code: str, secret: str, token: str) -> ClassInfo:
        """The teacher's view of a class from another browser: the code and the teacher secret."""
        with self._read() as conn:
            row = conn.execute(sa.select(classes).where(classes.c.code == normalise_code(code))).first()
        if row is None or not hmac.compare_digest(_hash(str(secret or ""), row.secret_salt), row.secret_hash):
            raise ClassroomError("That code and secret do not open a class.", "secret_wrong")
        with self._write() as conn:
            self._upsert(conn, teachers, ("token", "class_id"), {"token": token, "class_id": row.id}, {"token": token})
        return _row_class(row)

    def teacher_classes(self, token: str) -> list[ClassInfo]:
        with self._read() as conn:
            rows = conn.execute(sa.select(classes).join(teachers, teachers.c.class_id == classes.c.id)
                                .where(teachers.c.token == token).order_by(classes.c.created)).all()
        return [_row_class(r) for r in rows]

    def is_teacher(self, token: str, class_id: int | None) -> bool:
        if not token or class_id is None:
            return False
        with self._read() as conn:
            return conn.execute(sa.select(teachers.c.token).where(
                teachers.c.token == token, teachers.c.class_id == class_id)).first() is not None

    def assign(self, class_id: int, target: str | None) -> None:
        """What every student of the class sees first on Home: "lesson:<n>", "link:<page>?<query>", or None."""
        if target is not None and not re.match(r"^(lesson:\d{1,3}|link:[a-z_]{1,14}(\?[^\s]{0,380})?)$", target):
            raise ClassroomError("Not something a class can be given.", "assignment_bad")
        with self._write() as conn:
            conn.execute(classes.update().where(classes.c.id == class_id).values(assignment=target))

    def set_limits(self, class_id: int, max_epochs: int | None, max_seconds: int | None) -> None:
        """Lock the Train page's limits for the class (None: the server's own limits)."""
        for key, value in (("max_epochs", max_epochs), ("max_seconds", max_seconds)):
            low, high = LIMITS[key]
            if value is not None and not (isinstance(value, int) and low <= value <= high):
                raise ClassroomError(f"{key} must lie between {low} and {high}.", "limit_bad", low=low, high=high)
        with self._write() as conn:
            conn.execute(classes.update().where(classes.c.id == class_id).values(
                max_epochs=max_epochs, max_seconds=max_seconds))

    def class_limits(self, token: str) -> tuple[int | None, int | None] | None:
        """(max epochs, max estimated training seconds) that the student's class locks, or None."""
        info = self.get_class(self.person(token).class_id)
        if info is None or (info.max_epochs is None and info.max_seconds is None):
            return None
        return info.max_epochs, info.max_seconds

    # ---- students
    def person(self, token: str) -> Person:
        """Who a token is: a student of a class, or someone working alone (nothing kept yet)."""
        with self._read() as conn:
            row = conn.execute(sa.select(people).where(people.c.token == token)).first()
        return Person(token, row.class_id, row.nickname, row.language) if row else Person(token)

    def join(self, token: str, code: str, nickname: str) -> Person:
        """Join the class with this code under this nickname (any characters; shown as text everywhere)."""
        nickname = " ".join(str(nickname or "").split())
        if not nickname:
            raise ClassroomError("Choose a nickname.", "nickname_empty")
        if len(nickname) > NICKNAME_MAX:
            raise ClassroomError("That nickname is too long.", "nickname_long", max=NICKNAME_MAX)
        info = self.class_by_code(code)
        if info is None:
            raise ClassroomError("No class has that code.", "code_unknown")
        try:
            with self._write() as conn:
                self._upsert(conn, people, ("token",),
                             {"token": token, "class_id": info.id, "nickname": nickname, "joined": self.clock()},
                             {"class_id": info.id, "nickname": nickname, "joined": self.clock()})
        except sa.exc.IntegrityError:
            raise ClassroomError("Someone in this class already has that nickname.", "nickname_taken") from None
        return self.person(token)

    def leave(self, token: str) -> None:
        with self._write() as conn:
            conn.execute(people.update().where(people.c.token == token).values(class_id=None, nickname=None))

    def set_language(self, token: str, language: str) -> None:
        with self._write() as conn:
            self._upsert(conn, people, ("token",), {"token": token, "language": language}, {"language": language})

    def students(self, class_id: int) -> list[Person]:
        with self._read() as conn:
            rows = conn.execute(sa.select(people).where(people.c.class_id == class_id)).all()
        # Sorted here, not by the database: SQLite's lower() folds ASCII only and PostgreSQL sorts by its
        # cluster's locale, so the same class would be listed in two orders.
        rows = sorted(rows, key=lambda r: ((r.nickname or "").casefold(), r.nickname or ""))
        return [Person(r.token, r.class_id, r.nickname, r.language) for r in rows]

    def nicknames(self, tokens: Iterable[str]) -> dict[str, str]:
        tokens = [t for t in set(tokens) if t]
        if not tokens:
            return {}
        with self._read() as conn:
            rows = conn.execute(sa.select(people.c.token, people.c.nickname).where(
                people.c.token.in_(tokens), people.c.nickname.is_not(None))).all()
        return {r.token: r.nickname for r in rows}

    # ---- lessons: visits, attempts, solves
    def visit(self, token: str, lesson: int) -> None:
        now = self.clock()
        with self._write() as conn:
            self._upsert(conn, visits, ("token", "lesson"),
                         {"token": token, "lesson": lesson, "first": now, "last": now, "count": 1},
                         {"last": now, "count": visits.c.count + 1})

    def attempt(self, token: str, exercise: str, right: bool, lesson: int | None = None) -> None:
        """One checked answer. The first right one solves the exercise, timed from the lesson's first visit
        (or, without one, from the first try); later tries still count as attempts."""
        now = self.clock()
        with self._write() as conn:
            # Count the try first, in one statement: it also locks the row until the end of this transaction,
            # so two tries at once (two tabs, two servers) both count and only one of them solves it.
            self._upsert(conn, exercise_progress, ("token", "exercise"),
                         {"token": token, "exercise": exercise, "attempts": 1, "first_try": now},
                         {"attempts": exercise_progress.c.attempts + 1})
            row = conn.execute(sa.select(exercise_progress.c.first_try, exercise_progress.c.solved_at).where(
                exercise_progress.c.token == token, exercise_progress.c.exercise == exercise)).first()
            first_try, solved_at = row.first_try, row.solved_at
            if right and solved_at is None:
                start = first_try
                if lesson is not None:
                    seen = conn.execute(sa.select(visits.c.first).where(
                        visits.c.token == token, visits.c.lesson == lesson)).scalar()
                    start = min(start, seen) if seen is not None else start
                conn.execute(exercise_progress.update().where(
                    exercise_progress.c.token == token, exercise_progress.c.exercise == exercise).values(
                    solved_at=now, seconds=now - start))

    def solved(self, token: str) -> set[str]:
        with self._read() as conn:
            return set(conn.execute(sa.select(exercise_progress.c.exercise).where(
                exercise_progress.c.token == token, exercise_progress.c.solved_at.is_not(None))).scalars())

    def progress(self, class_id: int) -> dict[str, dict[str, dict]]:
        """{student token: {exercise id: {attempts, solved (bool), seconds}}} for the class's students."""
        with self._read() as conn:
            rows = conn.execute(sa.select(exercise_progress).join(people, people.c.token == exercise_progress.c.token)
                                .where(people.c.class_id == class_id)).all()
        grid: dict[str, dict[str, dict]] = {}
        for r in rows:
            grid.setdefault(r.token, {})[r.exercise] = {"attempts": r.attempts, "solved": r.solved_at is not None,
                                                         "seconds": r.seconds}
        return grid

    def lesson_visits(self, class_id: int) -> dict[str, set[int]]:
        with self._read() as conn:
            rows = conn.execute(sa.select(visits.c.token, visits.c.lesson)
                                .join(people, people.c.token == visits.c.token)
                                .where(people.c.class_id == class_id)).all()
        seen: dict[str, set[int]] = {}
        for r in rows:
            seen.setdefault(r.token, set()).add(r.lesson)
        return seen

    def export_csv(self, class_id: int, exercises: list[tuple[int, str]]) -> str:
        """One row per student and exercise: nickname, lesson, exercise, status, attempts, seconds."""
        grid = self.progress(class_id)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["nickname", "lesson", "exercise", "status", "attempts", "seconds"])
        for student in self.students(class_id):
            for lesson, exercise in exercises:
                cell = grid.get(student.token, {}).get(exercise)
                status = "not_yet" if cell is None else ("solved" if cell["solved"] else "tried")
                seconds = "" if not cell or cell["seconds"] is None else f"{cell['seconds']:.0f}"
                writer.writerow([_csv_text(student.nickname), lesson, exercise, status,
                                 cell["attempts"] if cell else 0, seconds])
        return out.getvalue()

    # ---- a class data set's leaderboard
    def reveal(self, class_id: int, set_id: str, revealed: bool = True) -> None:
        """Show (or hide again) the final ranking of a class data set's leaderboard, for every session."""
        with self._write() as conn:
            self._upsert(conn, leaderboards, ("set_id",),
                         {"set_id": set_id, "class_id": class_id, "revealed": self.clock() if revealed else None},
                         {"class_id": class_id, "revealed": self.clock() if revealed else None})

    def revealed(self, class_id: int, set_id: str) -> bool:
        """Whether the teacher of `class_id` revealed the final ranking of this set (a set made for another
        class never counts as revealed here)."""
        with self._read() as conn:
            when = conn.execute(sa.select(leaderboards.c.revealed).where(
                leaderboards.c.set_id == set_id, leaderboards.c.class_id == class_id)).scalar()
        return when is not None

    # ---- runs
    def record_run(self, run_id: str, token: str, name: str) -> None:
        with self._write() as conn:
            self._upsert(conn, started_runs, ("run_id",),
                         {"run_id": run_id, "token": token, "name": str(name)[:80], "started": self.clock()},
                         {"token": token})

    def class_runs(self, class_id: int) -> list[tuple[str, str]]:
        """(run id, owner token) of every run the class's students started, newest first."""
        with self._read() as conn:
            rows = conn.execute(sa.select(started_runs.c.run_id, started_runs.c.token)
                                .join(people, people.c.token == started_runs.c.token)
                                .where(people.c.class_id == class_id).order_by(started_runs.c.started.desc())).all()
        return [(r.run_id, r.token) for r in rows]

    def may_manage(self, actor: str, owner: str | None) -> bool:
        """THE rule for deleting, renaming, resuming, pausing and stopping a run: its owner may, and so may
        the teacher of the owner's class. A run with no owner (made on the command line, or before owners
        were kept) belongs to no student: anyone who is not a student of a class may manage it."""
        if not actor:
            return False
        if owner:
            return actor == owner or self.is_teacher(actor, self.person(owner).class_id)
        return self.person(actor).class_id is None

    def close(self) -> None:
        self.engine.dispose()


@contextlib.contextmanager
def _reachable():
    """A lost or refused connection becomes Unavailable; every other error (a taken code, a bug) passes."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise Unavailable(f"The class database cannot be reached: {str(exc).splitlines()[0]}") from exc
    except sa.exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise Unavailable(f"The class database connection was lost: {str(exc).splitlines()[0]}") from exc
        raise


def _csv_text(text: str | None) -> str:
    """A nickname as a spreadsheet cell that is never read as a formula."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _sqlite_setup(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None        # transactions are begun below, not by the driver
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")       # readers never wait for a writer
        cursor.execute("PRAGMA synchronous=NORMAL")     # durable across a killed process (WAL)
        cursor.execute("PRAGMA busy_timeout=15000")     # a writer waits for another, up to 15 s
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        # Every transaction takes the write lock at once: a read that later writes can never deadlock
        # with another session doing the same. Transactions are short, so readers barely wait (WAL).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# ---------------------------------------------------------------- one Classroom per database, per process

_opened: dict[str, Classroom] = {}
_opening = threading.Lock()


def open_classroom(url: str | None = None) -> Classroom:
    url = engine_url(url) if url else default_url()
    with _opening:
        if url not in _opened:
            _opened[url] = Classroom(url)
        return _opened[url]


# ---------------------------------------------------------------- managing runs: the handlers


def run_owner(run_id: str, manager=None, root: Path | None = None) -> str:
    """Who owns a run: its live job's owner, else the owner written in its folder ("" when none)."""
    job = manager.get(run_id) if manager is not None else None
    if job is not None and job.owner:
        return job.owner
    return runs.read_owner(runs.run_dir(run_id, root))


def _check(room: Classroom, actor: str, owner: str) -> None:
    if not room.may_manage(actor, owner):
        raise NotAllowed("Only the run's owner or their teacher may do that.")


def delete_run(room: Classroom, run_id: str, actor: str, manager=None, root: Path | None = None) -> None:
    _check(room, actor, run_owner(run_id, manager, root))
    runs.delete(run_id, root)


def rename_run(room: Classroom, run_id: str, name: str, actor: str, manager=None, root: Path | None = None) -> None:
    _check(room, actor, run_owner(run_id, manager, root))
    runs.rename(run_id, name, root)


def resume_run(room: Classroom, manager, run_id: str, actor: str):
    """Train an interrupted run on; it stays its owner's run, whoever (owner or teacher) resumed it."""
    owner = run_owner(run_id, manager, manager.runs_root)
    _check(room, actor, owner)
    return manager.resume(run_id, owner or actor)


def pause_run(room: Classroom, manager, job, actor: str) -> bool:
    _check(room, actor, job.owner)
    return manager.pause(job, job.owner)


def unpause_run(room: Classroom, manager, job, actor: str) -> bool:
    _check(room, actor, job.owner)
    return manager.unpause(job, job.owner)


def stop_run(room: Classroom, manager, job, actor: str) -> bool:
    _check(room, actor, job.owner)
    return manager.stop(job, job.owner)
