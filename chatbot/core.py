"""The core's own wiring: the database, the clock and the secret keys in one `Core`, the unit of
work every use case runs in, and the schema's migrations.

The composition root (entrypoints/) and the tests call `bootstrap()`, which migrates the database
unless told not to; nothing opens a connection at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from chatbot.domain.clock import Clock, SystemClock
from chatbot.secret_keys import SecretKeys
from chatbot.store.db import make_engine, transaction

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


@dataclass
class Core:
    """What every use case needs: where the data lives and what time it is; and the keys that
    seal the secrets it keeps (SECRET_KEYS; None: none set, so it keeps none)."""

    engine: Engine
    clock: Clock
    secret_keys: SecretKeys | None = None


@dataclass(frozen=True)
class Work:
    """One unit of work: an open transaction and the moment it happens.

    Use cases are functions on a Work, so several of them can run in one transaction (an
    escalation that reassigns, a CRM touch that finds the rep and logs the touch).
    """

    session: Session
    now: datetime


@contextmanager
def unit_of_work(core: Core) -> Iterator[Work]:
    """Commits if the block finishes, rolls back (nothing changed) if it raises."""
    with transaction(core.engine) as session:
        yield Work(session, core.clock.now())


T = TypeVar("T")


def run(core: Core, use_case: Callable[..., T], *args, **kwargs) -> T:
    """Run one use case in a transaction of its own: the thin wrapper every use case has."""
    with unit_of_work(core) as work:
        return use_case(work, *args, **kwargs)


def alembic_config(engine: Engine, secret_keys: str | None = None, clock: Clock | None = None) -> Config:
    """`secret_keys`: SECRET_KEYS's text, for the migrations that encrypt stored tokens (chatbot/secret_keys.py);
    `clock`: what a migration that writes rows dates them with (the real time unless given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["secret_keys"] = secret_keys
    config.attributes["clock"] = clock or SystemClock()
    return config


VERSION_TABLE = "alembic_version"  # where Alembic keeps the schema's revision


def head_revision() -> str:
    """The newest migration this code knows."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def known_revisions() -> list[str]:
    """Every migration this code knows, oldest first."""
    return [r.revision for r in reversed(list(ScriptDirectory(str(MIGRATIONS)).walk_revisions()))]


def schema_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at; None: no migration applied (no tables yet).

    Read directly, not through Alembic's context (which logs two lines per look)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def upgrade_database(engine: Engine, secret_keys: str | None = None, clock: Clock | None = None) -> list[str]:
    """Bring the schema to the newest migration; the revisions it applied, oldest first
    (none when it was already there).

    SecretKeyError (one sentence) when a migration must encrypt stored tokens and has no key."""
    applied: list[str] = []
    config = alembic_config(engine, secret_keys, clock)
    # Told by Alembic as each one is applied: exact even when another process migrated first.
    config.attributes["on_version_apply"] = lambda *, step, **_: applied.append(step.up_revision_id)
    command.upgrade(config, "head")
    return applied



def bootstrap(database_url: str | None = None, clock: Clock | None = None, *, migrate: bool = True,
              secret_keys: str | None = None) -> Core:
    keys = SecretKeys.parse(secret_keys)  # a malformed key: SecretKeyError before anything is touched
    engine = make_engine(database_url)
    if migrate:
        upgrade_database(engine, secret_keys, clock)
    return Core(engine=engine, clock=clock or SystemClock(), secret_keys=keys)
