"""tests/services.py, the real servers the other tests start: Redis keeps what it acknowledged through a
kill -9, PostgreSQL keeps what was committed, both come back on the same port, stop leaves nothing behind,
and a missing program fails the tests that need it with a message that says to run `make services`."""

from __future__ import annotations

import os

import pytest
import redis as redis_client
import sqlalchemy as sa

from tests import services
from tests.services import Postgres, Redis, ServiceMissing


def test_the_session_fixtures_give_urls_that_work(redis_url, postgres_url):
    assert redis_url.startswith("redis://127.0.0.1:") and redis_url.endswith("/0")
    assert redis_client.Redis.from_url(redis_url).ping()
    assert postgres_url.startswith("postgresql+psycopg://postgres@127.0.0.1:") and postgres_url.endswith("/cnn_lab")
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT current_database()")).scalar() == "cnn_lab"
    engine.dispose()


def test_redis_keeps_what_it_acknowledged_through_a_kill_9_and_stop_removes_it():
    server = Redis()
    url = server.start()
    client = redis_client.Redis.from_url(url)
    client.rpush("queue", *[f"job {i}" for i in range(100)])
    pid, folder = server.process.pid, server.folder
    server.kill()
    with pytest.raises(redis_client.ConnectionError):
        client.ping()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert server.restart() == url                      # the same port
    assert client.lrange("queue", 0, -1) == [f"job {i}".encode() for i in range(100)]
    server.stop()
    assert not folder.exists()


def test_postgres_keeps_what_was_committed_through_a_kill_9(postgres_server):
    server = Postgres()
    server.start()
    engine = sa.create_engine(server.new_database("kept"), pool_pre_ping=True)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (n int)"))
        conn.execute(sa.text("INSERT INTO t SELECT generate_series(1, 1000)"))
    folder = server.folder
    server.kill()
    server.restart()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*), sum(n) FROM t")).one() == (1000, 500500)
    engine.dispose()
    server.stop()
    assert not folder.exists()
    assert postgres_server.url != server.url              # a server of its own, beside the session's


def test_a_missing_program_says_to_run_make_services(monkeypatch):
    monkeypatch.setattr(services.shutil, "which", lambda name: None)
    monkeypatch.setattr(services.glob, "glob", lambda pattern: [])
    for kind in (Redis, Postgres):
        with pytest.raises(ServiceMissing, match="make services"):
            kind()
