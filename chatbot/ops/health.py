"""The health checks behind `/healthz` (is the database there?) and `/readyz` (is the whole bot
working: schema at the newest migration, a worker beating, the outbox moving, every rooftop's
chat taking our messages, and nothing the composition root names as keeping this deployment from
being ready, such as a development mode).

Each check answers on its own, so one failing (a database with no heartbeat table yet) never
hides what the others say. Times come from the core's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import lru_cache

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import col, func, select

from chatbot.core import MIGRATIONS
from chatbot.messaging import access
from chatbot.ops.heartbeat import last_beat
from chatbot.store.db import transaction
from chatbot.store.models import OutboxMessage

HEARTBEAT_MAX_AGE = timedelta(minutes=1)  # the worker beats every 5 s: a minute without one is a dead worker
OUTBOX_MAX_AGE = timedelta(minutes=5)  # a message waiting longer: the chat is down or nothing delivers
VERSION_TABLE = "alembic_version"  # where alembic keeps the schema's revision


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def database(core) -> Check:
    """Does the database answer a query?"""
    try:
        with core.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return Check("database", False, f"unreachable ({type(exc).__name__})")
    return Check("database", True, "reachable")


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration this code knows (read from the files once: they do not change while it runs)."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def migrations(core) -> Check:
    """Is the schema at the newest migration this code knows?"""
    head = head_revision()
    try:
        with core.engine.connect() as connection:  # read directly: alembic's context logs two lines per look
            has_table = inspect(connection).has_table(VERSION_TABLE)
            current = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() if has_table else None
    except Exception as exc:  # noqa: BLE001
        return Check("migrations", False, f"unreadable ({type(exc).__name__})")
    if current != head:
        return Check("migrations", False, f"at {current or 'none'}, head is {head} (run chatbot db upgrade)")
    return Check("migrations", True, f"at head {head}")


def worker(core, max_age: timedelta = HEARTBEAT_MAX_AGE) -> Check:
    """Has a worker beaten within `max_age`?"""
    try:
        beat = last_beat(core)
    except Exception as exc:  # noqa: BLE001
        return Check("worker", False, f"heartbeat unreadable ({type(exc).__name__})")
    if beat is None:
        return Check("worker", False, "no worker has ever beaten")
    age = (core.clock.now() - beat).total_seconds()
    if age >= max_age.total_seconds():
        return Check("worker", False, f"last beat {age:.0f} s ago (limit {max_age.total_seconds():.0f} s)")
    return Check("worker", True, f"last beat {age:.0f} s ago")


def outbox(core, max_age: timedelta = OUTBOX_MAX_AGE) -> Check:
    """Has the oldest waiting chat message waited less than `max_age`?"""
    try:
        with transaction(core.engine) as session:
            waiting, oldest = session.exec(select(func.count(), func.min(OutboxMessage.created_at))
                                           .where(col(OutboxMessage.sent_at).is_(None))).one()
    except Exception as exc:  # noqa: BLE001
        return Check("outbox", False, f"unreadable ({type(exc).__name__})")
    if oldest is None:
        return Check("outbox", True, "nothing waiting")
    age = (core.clock.now() - oldest).total_seconds()
    if age >= max_age.total_seconds():
        return Check("outbox", False, f"{waiting} waiting, the oldest for {age:.0f} s "
                                      f"(limit {max_age.total_seconds():.0f} s)")
    return Check("outbox", True, f"{waiting} waiting, the oldest for {age:.0f} s")


def configuration(not_ready: Sequence[str]) -> list[Check]:
    """Why the configuration keeps this deployment from being ready (each reason a sentence from the
    composition root): one failing check naming them all, or no check when there is none."""
    return [Check("configuration", False, "; ".join(not_ready))] if not_ready else []


def rooftops(core) -> Check:
    """Does every rooftop's chat take our messages? A parked one (the app removed from its team, its
    channel refusing us: chatbot.messaging.access) is named, with why and what waits for it."""
    try:
        lost = access.parked(core)
    except Exception as exc:  # noqa: BLE001
        return Check("rooftops", False, f"unreadable ({type(exc).__name__})")
    if not lost:
        return Check("rooftops", True, "every rooftop's chat takes our messages")
    return Check("rooftops", False, "; ".join(
        f"{p.name} (#{p.team_id}, {p.platform}): {p.reason} since {p.since:%Y-%m-%d %H:%M} UTC, "
        f"{p.waiting} message(s) waiting" for p in lost))


def readiness(core, not_ready: Sequence[str] = ()) -> list[Check]:
    """Every check `/readyz` makes, in order; the database first (nothing else can pass without it)."""
    return [database(core), migrations(core), worker(core), outbox(core), rooftops(core), *configuration(not_ready)]


def as_json(checks: list[Check]) -> dict:
    """{"ok": ..., "failed": [names], "checks": {name: {"ok": ..., "detail": ...}}}"""
    failed = [check.name for check in checks if not check.ok]
    return {"ok": not failed, "failed": failed,
            "checks": {check.name: {k: v for k, v in asdict(check).items() if k != "name"} for check in checks}}
