"""Engine, sessions and the column types the tables share.

`DATABASE_URL` picks the database; unset means an SQLite file in the working directory.
Nothing here runs at import: the composition root (`chatbot.core.bootstrap`) makes the engine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

DEFAULT_DATABASE_URL = "sqlite:///chatbot.db"


def database_url(explicit: str | None = None) -> str:
    """The URL to use: an explicit one, else DATABASE_URL, else the SQLite file; see `normalize_url`."""
    url = (explicit or "").strip() or os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    return normalize_url(url)


POSTGRES_DRIVER = "postgresql+psycopg"
_HOST_SCHEMES = ("postgres", "postgresql")


def normalize_url(url: str) -> str:
    """A database URL as hosts hand it out, as SQLAlchemy wants it: the psycopg (3) driver named.

    `postgres://` (Heroku, Render, Fly, Dokku) and `postgresql://` become `postgresql+psycopg://`;
    `postgres+DRIVER://` becomes `postgresql+DRIVER://` (SQLAlchemy dropped the `postgres` name).
    Everything after the scheme is kept byte for byte: user, password (percent-encoded or not),
    host, port, database and query parameters such as `?sslmode=require`. Other URLs (SQLite, an
    explicit `postgresql+DRIVER://`) are returned as they are, without surrounding blanks.
    """
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    name, plus, driver = scheme.partition("+")
    if name.lower() not in _HOST_SCHEMES:
        return url
    if plus and driver:
        return f"postgresql+{driver}://{rest}"
    return f"{POSTGRES_DRIVER}://{rest}"


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the driver, say when a transaction begins (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection) -> None:
    """Take SQLite's write lock when a transaction starts, not half-way through it.

    A deferred transaction that reads and then writes can fail at once with "database is
    locked" when another writer got in between; IMMEDIATE makes it wait its turn instead.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits if the block finishes, rolls back if it raises."""
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL.

    SQLite keeps no time zone, so values are stored as naive UTC and given their zone back
    on the way out. Fractions of a second are dropped: every figure is exact to the second.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the core stores aware UTC times only")
        value = value.astimezone(timezone.utc).replace(microsecond=0)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# Tables other libraries create and own in the same database (slack_sdk's OAuth installation
# and state stores): migrations neither create nor drop them.
FOREIGN_TABLE_PREFIXES = ("slack_",)


def include_in_migrations(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name hook: leave other libraries' tables out of autogenerate."""
    return not (type_ == "table" and name and name.startswith(FOREIGN_TABLE_PREFIXES))
