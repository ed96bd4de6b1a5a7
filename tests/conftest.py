"""Shared fixtures: a movable clock, and the core on a real SQLite file and a real PostgreSQL.

PostgreSQL tests use the server on 127.0.0.1:5432 (override with TEST_POSTGRES_URL). Where no
server answers they skip, saying so, unless REQUIRE_POSTGRES=1 (set by .ci/run), where they fail.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from chatbot.core import Core, bootstrap
from chatbot.domain.clock import ManualClock
from chatbot.store.models import Role
from chatbot.team import roster

# CI explores the same examples every run (a red CI must mean a real regression) and never
# fails on a slow example: timing is measured by bench/, not asserted in tests.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

CHICAGO = ZoneInfo("America/Chicago")
# A Tuesday, mid-morning: the showroom is open. Tests that need the evening move the clock.
TUESDAY_10AM = datetime(2026, 11, 24, 10, 0, tzinfo=CHICAGO)
POSTGRES_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def logging_as_it_was():
    """A command run in-process (`chatbot web`, `worker`) configures logging for the process;
    put it back after each test so one test's log set-up never leaks into another's output."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logger.level for name, logger in logging.root.manager.loggerDict.items()
              if isinstance(logger, logging.Logger)}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.setLevel(levels.get(name, logging.NOTSET))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TUESDAY_10AM)


def _server_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_SERVER, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh database on the local server for this test run, dropped at the end."""
    problem = _server_reachable()
    if problem:
        message = f"PostgreSQL not reachable at {POSTGRES_SERVER.split('@')[-1]} ({problem})"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message + "; REQUIRE_POSTGRES=1 makes these tests mandatory")
        pytest.skip(message)
    name = f"chatbot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{name}"
    bootstrap(url)  # migrate once; each test then starts from empty tables
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


SECRET_KEYS = "dGVzdHMtc2VhbC1zZWNyZXRzLXdpdGgtdGhpcy1rZXk="
"""The `core` fixture's SECRET_KEYS (a Fernet key), as a deployment that keeps secrets has one."""


def _empty_postgres(url: str, clock: ManualClock) -> Core:
    core = bootstrap(url, clock, migrate=False, secret_keys=SECRET_KEYS)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with core.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return core


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def core(request, tmp_path, clock) -> Core:
    """The core on an empty database: an SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        made = bootstrap(f"sqlite:///{tmp_path / 'test.db'}", clock, secret_keys=SECRET_KEYS)
    else:
        made = _empty_postgres(request.getfixturevalue("postgres_url"), clock)
    yield made
    made.engine.dispose()


@pytest.fixture
def team(core):
    """Demo Motors: Chicago, open Mon-Sat 9-19, default windows, three reps and a manager."""
    made = roster.ensure_team(core, name="Demo Motors", platform="console", platform_team_id="T1",
                              leads_channel="#leads", managers_channel="#sales-managers")
    for order, name in enumerate(["Sam", "Alex", "Jordan"], start=1):
        roster.add_member(core, made.id, name=name, chat_user_id=name.lower(), oncall_order=order)
    roster.add_member(core, made.id, name="Pat", chat_user_id="pat", role=Role.MANAGER)
    return made
