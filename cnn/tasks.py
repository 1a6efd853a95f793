"""The training queue: Huey, its storage chosen by one URL.

    sqlite:///PATH          the default: one file beside the runs folder, no server; durable across restarts
    redis://HOST:PORT/DB    workers on other machines: Huey's priority queue on a Redis sorted set

The app enqueues `train_run(run_id, resume)`; a worker (`python -m cnn.worker`) takes it and trains the run
in the runs folder that every machine reaches. Pause is a flag in Huey's key-value store, Stop is Huey's
revoke; both work the same on SQLite and Redis. A teacher's run has a higher priority and is taken first.

Messages are JSON, not pickle: whoever can write to a Redis server must not be able to make a worker run
code of their choosing.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from huey import PriorityRedisHuey, SqliteHuey
from huey.api import Huey, Task, TaskWrapper
from huey.registry import Message
from huey.serializer import Serializer

QUEUE_NAME = "cnn-lab"
DEFAULT_ENV = "CNN_LAB_QUEUE"


class QueueUnavailable(RuntimeError):
    """The queue's storage cannot be reached (Redis down): locale key "train.queue_down"."""


def default_url(root: Path | None = None) -> str:
    """$CNN_LAB_QUEUE, else a SQLite file beside the runs folder (runs/ -> runs-queue.sqlite)."""
    env = os.environ.get(DEFAULT_ENV)
    if env:
        return env
    from cnn import runs

    root = Path(root or runs.default_root()).resolve()
    return f"sqlite:///{root.parent / (root.name + '-queue.sqlite')}"


def describe(url: str) -> str:
    """The URL as logs and pages may show it: no password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
    return url


class JsonSerializer(Serializer):
    """Huey's messages and stored values as JSON. A task message is a namedtuple of plain values (our
    tasks take a run id and a flag); anything else stored (revoke marks, pause flags) is plain too."""

    def _serialize(self, data) -> bytes:
        if isinstance(data, Message):
            if data.eta is not None or data.on_complete is not None or data.on_error is not None:
                raise ValueError("CNN Lab's queue carries plain tasks only (no eta, no pipelines).")
            data = {"message": data._asdict()}
        return json.dumps(data).encode()

    def _deserialize(self, data: bytes):
        value = json.loads(bytes(data).decode())
        if isinstance(value, dict) and set(value) == {"message"}:
            fields = {k: v for k, v in value["message"].items() if k in Message._fields}
            fields["args"] = tuple(fields.get("args") or ())
            return Message(**fields)
        return value


@dataclass
class Queue:
    """One queue: the Huey instance and its training task."""

    url: str
    huey: Huey
    train_run: TaskWrapper

    def task(self, run_id: str, *, resume: bool, priority: int) -> Task:
        return self.train_run.s(run_id, resume, id=f"{run_id}.{uuid.uuid4().hex[:8]}", priority=priority)

    def pending_ids(self) -> list[str]:
        """The ids of the tasks waiting, in the order workers will take them (QueueUnavailable if the
        storage cannot be reached)."""
        try:
            return [task.id for task in self.huey.pending()]
        except Exception as exc:    # redis.ConnectionError, sqlite3.OperationalError...
            raise QueueUnavailable(str(exc)) from exc

    def paused(self, run_id: str) -> bool:
        return bool(self.huey.get(f"pause:{run_id}", peek=True))


def _train_run(run_id: str, resume: bool = False, task: Task | None = None) -> None:
    """Executed by a worker only (the app enqueues it): the worker module holds the loaded data and the
    warmed-up kernels, so it is imported here, in the consumer's process, and never by the app."""
    from cnn import worker

    worker.take(run_id, resume, task)


@functools.cache
def connect(url: str) -> Queue:
    """The queue at `url` (one per process and URL)."""
    serializer = JsonSerializer()
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        # strict_fifo: SQLite may reuse a deleted row's id, which would let a later run overtake.
        huey = SqliteHuey(QUEUE_NAME, filename=str(path), results=False, strict_fifo=True, serializer=serializer,
                          timeout=10)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        from redis import ConnectionPool

        # Timeouts: a Redis that is down makes a page say so within seconds instead of hanging it.
        pool = ConnectionPool.from_url(url, socket_connect_timeout=3, socket_timeout=10, health_check_interval=10)
        huey = PriorityRedisHuey(QUEUE_NAME, connection_pool=pool, results=False, serializer=serializer)
    else:
        raise ValueError(f"Not a queue URL (sqlite:///PATH or redis://HOST:PORT/DB): {describe(url)}")
    wrapper = huey.task(context=True, name="train_run")(_train_run)
    return Queue(url, huey, wrapper)
