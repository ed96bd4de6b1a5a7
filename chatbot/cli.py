"""The `chatbot` command.

    chatbot                  run the bot (no chat credentials: the console on an SQLite file)
    chatbot db upgrade       bring the database schema up to date
    chatbot sweep            escalate whatever is due now, once (what the worker does every minute)
"""

from __future__ import annotations

import sys
from datetime import datetime

import typer
from rich.console import Console

from chatbot.app import bootstrap, upgrade_database
from chatbot.clock import ManualClock, SystemClock
from chatbot.db import database_url, make_engine
from chatbot.sweeper import sweep

app = typer.Typer(help="Lead follow-up for dealerships: every lead posted, claimed and followed up.",
                  no_args_is_help=False, add_completion=False)
db_app = typer.Typer(help="Database schema.")
app.add_typer(db_app, name="db")


@app.callback(invoke_without_command=True)
def default(ctx: typer.Context) -> None:
    """With no command: run the bot."""
    if ctx.invoked_subcommand is None:
        run(start=None, database=None)


@app.command()
def run(
    start: str = typer.Option(None, help="Console only: start the clock here (ISO time, e.g. 2026-11-24T10:00-06:00)."),
    database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL."),
) -> None:
    """Run the bot. Without chat credentials this is the console chat on an SQLite file."""
    from adapters.console.session import ConsoleSession  # the composition root picks the adapter

    try:
        begin = datetime.fromisoformat(start) if start else SystemClock().now()
    except ValueError:
        raise typer.BadParameter(f"{start!r} is not an ISO time like 2026-11-24T10:00-06:00", param_hint="--start")
    if begin.tzinfo is None:
        raise typer.BadParameter("give the start time a UTC offset, e.g. 2026-11-24T10:00-06:00", param_hint="--start")
    clock = ManualClock(begin)
    core = bootstrap(database, clock)
    interactive = sys.stdin.isatty()
    session = ConsoleSession(core, clock, Console(highlight=False, soft_wrap=True))
    session.run(_prompted_lines(session) if interactive else sys.stdin, echo=not interactive)


def _prompted_lines(session):
    while True:
        try:
            yield input(session.prompt)
        except (EOFError, KeyboardInterrupt):
            print()
            return


@db_app.command("upgrade")
def db_upgrade(database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL.")) -> None:
    """Apply every migration the database does not have yet."""
    url = database_url(database)
    upgrade_database(make_engine(url))
    typer.echo(f"Database is up to date ({url.split('@')[-1]}).")


@app.command("sweep")
def sweep_once(database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL.")) -> None:
    """Escalate whatever is due now, once."""
    fired = sweep(bootstrap(database))
    typer.echo(f"{len(fired)} escalation(s) fired.")


def main() -> None:
    app()
if __name__ == "__main__":
    main()
