"""The worker's heartbeat: one row per worker name, its latest beat (host, pid, when).

The worker beats on every tick (5 s); `/readyz` and `chatbot doctor` read `last_beat` to say
whether any worker is alive. Times come from the core's clock, like every other time.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import func, select

from chatbot.store.db import transaction
from chatbot.store.models import WorkerHeartbeat

DEFAULT_WORKER = "worker"


def beat(core, worker: str = DEFAULT_WORKER) -> None:
    """Record that `worker` is alive now (one upsert: two workers racing on one name is harmless)."""
    values = {"worker": worker, "host": socket.gethostname()[:255], "pid": os.getpid(), "beat_at": core.clock.now()}
    dialect = core.engine.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(WorkerHeartbeat).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["worker"], set_={k: statement.excluded[k] for k in ("host", "pid", "beat_at")})
    with transaction(core.engine) as session:
        if dialect == "postgresql":  # a beat lost in a crash is harmless: the tick need not wait for its fsync
            session.execute(text("SET LOCAL synchronous_commit = off"))
        session.exec(statement)


def last_beat(core) -> datetime | None:
    """When any worker last beat; None: no worker ever has."""
    with transaction(core.engine) as session:
        return session.exec(select(func.max(WorkerHeartbeat.beat_at))).one()
