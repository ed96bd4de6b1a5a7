"""Running the bot on a host: the schema check `web` and `worker` make at start, and `chatbot db upgrade`.

    chatbot db upgrade       apply the migrations the database does not have yet, and name them

`web` and `worker` start only on a schema at the newest migration (`ready_core`). On an SQLite
file they bring it there themselves, as `chatbot run` does: one host, one file, nothing else
can be reading it half-way. On PostgreSQL other processes of the old release may be running on
it, so they refuse, in one line, and leave the upgrade to the release step (`chatbot db
upgrade`, before the restarts: docs/DEPLOY.md). Never a traceback: a database that does not
answer is one line too, and the exit code is 1 so systemd or the platform restarts and retries.
"""

from __future__ import annotations

import typer
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from chatbot.core import Core, head_revision, known_revisions, schema_revision, upgrade_database
from chatbot.domain.clock import SystemClock
from chatbot.secret_keys import SecretKeyError, SecretKeys
from chatbot.store.db import database_url, make_engine

UPGRADE = "run `chatbot db upgrade`"


class NotReady(Exception):
    """The database cannot serve this code: `str()` is the one line that says why and what to do."""


def shown(url: str) -> str:
    """The URL as it may be printed: no password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the database URL (it cannot be read: postgres://USER:PASSWORD@HOST:5432/DATABASE)"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def ready_core(database: str | None, secret_keys: str | None = None, echo=typer.echo) -> Core:
    """The core on a schema at the newest migration, for a long-running process (`web`, `worker`).

    SQLite: migrates it when it is behind (saying so). PostgreSQL: raises NotReady with the
    line "the database is at revision X, the code needs Y: run `chatbot db upgrade`"."""
    url = database_url(database)
    try:
        keys = SecretKeys.parse(secret_keys)
    except SecretKeyError as exc:
        raise NotReady(str(exc)) from None
    try:
        engine = make_engine(url)
        current = schema_revision(engine)
    except (SQLAlchemyError, ArgumentError, ImportError, ValueError) as exc:
        raise NotReady(f"Cannot reach the database at {shown(url)} ({_first_line(exc)}): check DATABASE_URL and "
                       f"that the server is up and lets this host in.") from None
    head = head_revision()
    if current == head:
        return Core(engine=engine, clock=SystemClock(), secret_keys=keys)
    if current is not None and current not in known_revisions():
        engine.dispose()
        raise NotReady(f"The database is at revision {current}, which this code does not know: a newer release "
                       f"migrated it. Deploy that release (or restore a backup taken with this one).")
    if engine.dialect.name != "sqlite":
        engine.dispose()
        raise NotReady(f"The database is at revision {current or 'none (no tables yet)'}, the code needs {head}: "
                       f"{UPGRADE}.")
    try:
        applied = upgrade_database(engine, secret_keys)
    except SecretKeyError as exc:
        engine.dispose()
        raise NotReady(str(exc)) from None
    except (SQLAlchemyError, CommandError) as exc:
        engine.dispose()
        raise NotReady(f"Could not bring the SQLite database at {shown(url)} up to {head} "
                       f"({_first_line(exc)}).") from None
    echo(f"Brought the SQLite database up to {head} ({applied_text(applied)}).")
    return Core(engine=engine, clock=SystemClock(), secret_keys=keys)


def applied_text(applied: list[str]) -> str:
    if not applied:
        return "no migration was needed"
    return f"applied {', '.join(applied)}"


def ready_or_exit(database: str | None, secret_keys: str | None = None) -> Core:
    """`ready_core` for a command: NotReady is its one line on stderr and exit code 1."""
    try:
        return ready_core(database, secret_keys)
    except NotReady as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1)


def register(app: typer.Typer, db_app: typer.Typer, settings) -> None:
    """Add `chatbot db upgrade` to the CLI (entrypoints/cli/); `settings()`: the configuration."""

    @db_app.command("upgrade")
    def db_upgrade(database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL.")) -> None:
        """Apply every migration the database does not have yet, and say which (or that none was needed)."""
        configured = settings()
        url = database_url(database or configured.database_url)
        try:
            engine = make_engine(url)
            before = schema_revision(engine)
        except (SQLAlchemyError, ArgumentError, ImportError, ValueError) as exc:
            typer.echo(f"Cannot reach the database at {shown(url)} ({_first_line(exc)}): check DATABASE_URL and "
                       f"that the server is up and lets this host in.", err=True)
            raise typer.Exit(1)
        if before is not None and before not in known_revisions():
            typer.echo(f"The database is at revision {before}, which this code does not know: a newer release "
                       f"migrated it. Nothing was changed.", err=True)
            raise typer.Exit(1)
        try:
            applied = upgrade_database(engine, configured.secret_keys)
        except SecretKeyError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1)
        except (SQLAlchemyError, CommandError) as exc:
            typer.echo(f"The upgrade failed ({_first_line(exc)}): the database is at revision "
                       f"{_revision_or_unknown(engine)}, as before it was {before or 'empty'}.", err=True)
            raise typer.Exit(1)
        finally:
            engine.dispose()
        if applied:
            typer.echo(f"Applied {', '.join(applied)}: the database ({shown(url)}) went from "
                       f"{before or 'empty'} to {head_revision()}.")
        else:
            typer.echo(f"No migration was needed: the database ({shown(url)}) is at {head_revision()}, the newest.")


def _revision_or_unknown(engine) -> str:
    try:
        return schema_revision(engine) or "none"
    except SQLAlchemyError:
        return "unknown (the database stopped answering)"
