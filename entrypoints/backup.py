"""`chatbot backup --out FILE` and `chatbot restore FILE`: the whole database, while the bot runs.

    chatbot backup --out FILE    PostgreSQL: pg_dump's custom format (one consistent snapshot);
                                 SQLite: SQLite's online backup API (consistent, WAL included)
    chatbot restore FILE         into an empty database only (DATABASE_URL or --database-url):
                                 pg_restore in one transaction, or the backup API back

A backup holds everything, secrets included (chat tokens, signing secrets of API keys): it is
written readable by its owner only. Every refusal is one line and exit code 1, and changes
nothing: a file that already exists is not overwritten, a database that has tables is not
restored into, a PostgreSQL dump does not go into SQLite nor the other way round. The password
reaches pg_dump and pg_restore through PGPASSWORD, never on their command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import typer
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from chatbot.core import head_revision, known_revisions, schema_revision
from chatbot.store.db import database_url, make_engine, transaction
from chatbot.store.models import Escalation, Lead, Member, Team, Touch
from entrypoints.operations import shown

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
PLURAL = {"person": "people", "touch": "touches"}
COUNTED = (("team", Team), ("person", Member), ("lead", Lead), ("touch", Touch), ("escalation", Escalation))


class Refused(Exception):
    """One line: what was refused and what to do."""


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as pg_dump reads it (no driver, no password) and the environment with PGPASSWORD."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise Refused(f"{name} is not installed here: apt-get install -y postgresql-client (the same major version "
                      f"as the server, or newer).")
    return path


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise Refused(f"{what} failed: {lines[0] if lines else f'exit code {done.returncode}'}")


def _private_file(path: Path) -> None:
    """Make `path`, empty, readable by its owner only (before anything secret is written to it)."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def counts(url: str) -> str:
    """'2 teams, 5 people, 120 leads, ...' in the database at `url`."""
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            found = [(word, session.scalar(select(func.count()).select_from(model))) for word, model in COUNTED]
    finally:
        engine.dispose()
    return ", ".join(f"{n} {word if n == 1 else PLURAL.get(word, word + 's')}" for word, n in found)


def backup(url: str, out: Path) -> str:
    """Write the database at `url` to `out` (which must not exist); the line that says what was written."""
    if out.exists():
        raise Refused(f"{out} already exists: give a new name (a backup never overwrites one).")
    if not out.parent.is_dir():
        raise Refused(f"{out.parent} is not a folder here.")
    engine = make_engine(url)
    try:
        revision = schema_revision(engine)
        dialect = engine.dialect.name
    finally:
        engine.dispose()
    if revision is None:
        raise Refused(f"The database at {shown(url)} has no tables: nothing to back up.")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    _private_file(partial)
    try:
        if dialect == "postgresql":
            target, env = _libpq(url)
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}",
                  f"--dbname={target}"], env, "pg_dump")
        elif dialect == "sqlite":
            source = sqlite3.connect(make_url(url).database, timeout=30)
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
        else:
            raise Refused(f"Backups are made of PostgreSQL and SQLite databases, not {dialect}.")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return (f"Backed up {shown(url)} (schema at {revision}) to {out}, {out.stat().st_size} bytes, readable by "
            f"this user only.")


def restore(file: Path, url: str) -> str:
    """Restore `file` into the empty database at `url`; the line that says what is there now."""
    if not file.is_file():
        raise Refused(f"{file} is not a file here.")
    with file.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    kind = "postgresql" if magic.startswith(PG_MAGIC) else "sqlite" if magic == SQLITE_MAGIC else None
    if kind is None:
        raise Refused(f"{file} is not a backup made by `chatbot backup` (neither a pg_dump archive nor SQLite).")
    engine = make_engine(url)
    try:
        dialect = engine.dialect.name
        tables = [t for t in inspect(engine).get_table_names() if t]
    finally:
        engine.dispose()
    if kind != dialect:
        raise Refused(f"{file} is a backup of {_name(kind)} and {shown(url)} is {_name(dialect)}: a backup goes "
                      f"back into the kind of database it came from.")
    if tables:
        raise Refused(f"{shown(url)} already has tables ({counts(url) if 'lead' in tables else len(tables)}): "
                      f"restore into an empty database (a restore never mixes two).")
    if dialect == "postgresql":
        target, env = _libpq(url)
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              f"--dbname={target}", str(file)], env, "pg_restore")
    else:
        source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        into = sqlite3.connect(make_url(url).database, timeout=30)
        try:
            source.backup(into)
        finally:
            into.close()
            source.close()
    engine = make_engine(url)
    try:
        revision = schema_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    if revision == head:
        state = f"schema at {revision}, the newest"
    elif revision in known_revisions():
        state = f"schema at {revision}, the code needs {head}: run `chatbot db upgrade`"
    else:
        state = f"schema at {revision}, which this code does not know: run the release that made the backup"
    return f"Restored {file} into {shown(url)}: {counts(url)}; {state}."


def _name(dialect: str) -> str:
    return {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(dialect, dialect)


def register(app: typer.Typer, settings) -> None:
    """Add `chatbot backup` and `chatbot restore` to the CLI (entrypoints/cli/); `settings()`: the configuration."""

    def target(database: str | None) -> str:
        url = database_url(database or settings().database_url)
        try:
            make_url(url)
        except ArgumentError:
            _fail(f"{shown(url)}: check DATABASE_URL.")
        return url

    @app.command("backup")
    def backup_command(
        out: Path = typer.Option(..., "--out", help="The file to write (it must not exist yet)."),
        database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL."),
    ) -> None:
        """Back up the whole database while the bot runs: pg_dump on PostgreSQL, the online backup API on SQLite."""
        url = target(database)
        try:
            typer.echo(backup(url, out))
        except Refused as exc:
            _fail(str(exc))
        except SQLAlchemyError as exc:
            _fail(f"Cannot read the database at {shown(url)} ({type(exc).__name__}): nothing was written.")
        except sqlite3.Error as exc:
            _fail(f"The SQLite backup failed ({exc}): nothing was written.")

    @app.command("restore")
    def restore_command(
        file: Path = typer.Argument(..., help="A file written by `chatbot backup`."),
        database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL: an empty database."),
    ) -> None:
        """Restore a backup into an empty database (stop the bot first when it is the one it uses)."""
        url = target(database)
        try:
            typer.echo(restore(file, url))
        except Refused as exc:
            _fail(str(exc))
        except SQLAlchemyError as exc:
            _fail(f"Cannot use the database at {shown(url)} ({type(exc).__name__}).")
        except sqlite3.Error as exc:
            _fail(f"The SQLite restore failed ({exc}).")
