"""Real Redis and PostgreSQL servers for tests and benchmarks, started from Debian's programs.

Each server lives in its own temporary folder, on a free port of 127.0.0.1, and is gone at the end:

    with Redis() as redis_url:           # "redis://127.0.0.1:P/0"
        ...
    pg = Postgres()
    url = pg.start()                     # "postgresql+psycopg://postgres@127.0.0.1:P/postgres"
    other = pg.new_database()            # a fresh, empty database on the same server, as a URL
    pg.kill()                            # kill -9 of every process of the server (an outage)
    pg.restart()                         # the same port and data folder: what was committed is back
    pg.stop()                            # shut down and remove the folder

Both write what they are told durably before answering: Redis appends every write to its log
(appendonly, fsync always), PostgreSQL keeps its defaults (fsync, synchronous commit).

PostgreSQL refuses to run as root: as root the cluster's folder is given to the `postgres` user that
Debian's package makes (`nobody` where there is none) and initdb and postgres run as that user. Every
server gets SIGKILL if the process that started it dies (setpriv --pdeathsig), so a killed test run
leaves none behind. A missing program raises ServiceMissing, whose message says to run `make services`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

START_TIMEOUT = 60.0


class ServiceMissing(RuntimeError):
    """A server's program is not installed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _program(name: str, *patterns: str) -> str:
    for pattern in patterns:
        found = sorted(glob.glob(pattern), key=lambda p: [int(x) for x in p.split("/")[-3].split(".") if x.isdigit()])
        if found:
            return found[-1]
    found = shutil.which(name)
    if found:
        return found
    raise ServiceMissing(f"{name} is not installed: run `make services` (it installs Debian's redis-server "
                         "and postgresql) before these tests.")


def _dies_with_parent() -> list[str]:
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


class _Server:
    """One server process (and its children) in its own session, so kill() reaches them all."""

    name = "server"

    def __init__(self):
        self.port: int | None = None
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None
        self._log = None

    # what subclasses say
    def _command(self) -> list[str]:
        raise NotImplementedError

    def _ready(self) -> bool:
        raise NotImplementedError

    def _prepare(self) -> None:
        """Make the folder's contents, once (the first start)."""

    def _user(self) -> dict:
        return {}

    @property
    def url(self) -> str:
        raise NotImplementedError

    # the life of a server
    def start(self) -> str:
        if self.process is not None and self.process.poll() is None:
            return self.url
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix=f"cnn-lab-{self.name}-"))
            self.port = free_port()
            self._prepare()
        self._launch()
        return self.url

    def restart(self) -> str:
        """Start again on the same port and folder (after kill() or stop(keep=True))."""
        return self.start()

    def _launch(self) -> None:
        if self._log is not None:
            self._log.close()
        self._log = open(self.folder / "server.log", "ab")
        self.process = subprocess.Popen(_dies_with_parent() + self._command(), cwd=self.folder,
                                        stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True, **self._user())
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start (code {self.process.returncode}):\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError(f"{self.name} did not answer within {START_TIMEOUT:.0f} s:\n{self.log_tail()}")
            time.sleep(0.05)

    def log_tail(self, lines: int = 20) -> str:
        path = self.folder / "server.log" if self.folder else None
        if path is None or not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def _wait_group_gone(self, timeout: float = 30.0) -> None:
        pgid, deadline = self.process.pid, time.monotonic() + timeout
        self.process.wait(timeout)
        while time.monotonic() < deadline:    # its children, reparented, are reaped by init
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        raise TimeoutError(f"{self.name}'s processes outlived it")

    def kill(self) -> None:
        """kill -9 of the server and every process it started: an outage, nothing written on the way out."""
        if self.process is None or self.process.poll() is not None and not self._group_alive():
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._wait_group_gone()

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def _shutdown_signal(self) -> int:
        return signal.SIGTERM

    def stop(self, keep: bool = False) -> None:
        """Shut the server down cleanly; its folder is removed unless `keep` (then restart() may follow)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, self._shutdown_signal())
            try:
                self._wait_group_gone(30)
            except (TimeoutError, subprocess.TimeoutExpired):
                self.kill()
        if self._log is not None:
            self._log.close()
            self._log = None
        if not keep and self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder, self.process = None, None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Redis(_Server):
    """redis-server on 127.0.0.1, every write appended to its log (fsync always) so a kill -9 loses nothing
    it acknowledged; no snapshots."""

    name = "redis"

    def __init__(self):
        super().__init__()
        self.program = _program("redis-server")

    def _command(self) -> list[str]:
        return [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no",
                "--protected-mode", "no", "--loglevel", "warning"]

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")    # "-LOADING" while it reads its log back
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class Postgres(_Server):
    """A PostgreSQL cluster of its own: initdb in a temporary folder, trust authentication for the user
    `postgres`, TCP on 127.0.0.1 and a unix socket in the folder. As root it runs as an unprivileged user."""

    name = "postgres"

    def __init__(self):
        super().__init__()
        self.bin = Path(_program("postgres", "/usr/lib/postgresql/*/bin/postgres")).parent
        if not (self.bin / "initdb").exists():
            raise ServiceMissing(f"initdb is not beside {self.bin / 'postgres'}: run `make services`.")
        self.owner = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    self.owner = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            if self.owner is None:
                raise ServiceMissing("PostgreSQL does not run as root and there is no postgres or nobody user.")

    def _user(self) -> dict:
        return {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []} if self.owner else {}

    def _prepare(self) -> None:
        if self.owner:
            os.chown(self.folder, self.owner.pw_uid, self.owner.pw_gid)
        done = subprocess.run([str(self.bin / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres",
                               "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"],
                              cwd=self.folder, capture_output=True, text=True, **self._user())
        if done.returncode:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")

    def _command(self) -> list[str]:
        return [str(self.bin / "postgres"), "-D", str(self.folder / "data"), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
                "-c", "max_connections=200", "-c", "logging_collector=off"]

    def _shutdown_signal(self) -> int:
        return signal.SIGINT     # "fast" shutdown: ends the sessions, writes a checkpoint

    def _connect(self, database: str = "postgres", **kwargs):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database,
                               connect_timeout=2, **kwargs)

    def _ready(self) -> bool:
        try:
            with self._connect() as conn:
                conn.execute("SELECT 1")
            return True
        except Exception:    # refused, or "the database system is starting up" (recovering after a kill)
            return False

    def url_of(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_of("postgres")

    def new_database(self, name: str | None = None) -> str:
        """A fresh empty database on this server; its URL."""
        name = name or "t_" + uuid.uuid4().hex[:12]
        with self._connect(autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_of(name)

    def drop_database(self, url_or_name: str) -> None:
        name = url_or_name.rsplit("/", 1)[-1]
        with self._connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
