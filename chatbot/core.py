"""The composition root: one place that wires the database and the clock into the core.

Adapters and tests call `bootstrap()`; nothing opens a connection at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from chatbot.domain.clock import Clock, SystemClock
from chatbot.store.db import make_engine

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


@dataclass
class Core:
    """What every use case needs: where the data lives and what time it is."""

    engine: Engine
    clock: Clock


# Tables other libraries create and own in the same database (slack_sdk's OAuth installation
# and state stores): migrations neither create nor drop them.
FOREIGN_TABLE_PREFIXES = ("slack_",)


def include_in_migrations(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name hook: leave other libraries' tables out of autogenerate."""
    return not (type_ == "table" and name and name.startswith(FOREIGN_TABLE_PREFIXES))


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade_database(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there)."""
    command.upgrade(alembic_config(engine), "head")


def bootstrap(database_url: str | None = None, clock: Clock | None = None, *, migrate: bool = True) -> Core:
    engine = make_engine(database_url)
    if migrate:
        upgrade_database(engine)
    return Core(engine=engine, clock=clock or SystemClock())
