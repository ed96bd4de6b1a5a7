"""The `chatbot` command.

    chatbot                  run the bot: Slack if SLACK_BOT_TOKEN is set (web app + worker in one
                             process; Socket Mode with SLACK_APP_TOKEN), else the console on SQLite
    chatbot web --port N     the web app only (Slack events, intake, health): the Procfile's web
    chatbot worker           sweep + outbox every 30 s: the Procfile's worker
    chatbot db upgrade       bring the database schema up to date
    chatbot sweep            escalate whatever is due now, once

The chat adapters are imported only by the command that uses them: the core imports none.
"""

from __future__ import annotations

import sys
import threading
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
        run(start=None, database=None, host="0.0.0.0", port=None, no_worker=False)


@app.command()
def run(
    start: str = typer.Option(None, help="Console only: start the clock here (ISO time, e.g. 2026-11-24T10:00-06:00)."),
    database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL."),
    host: str = typer.Option("0.0.0.0", help="Slack over HTTP: the address to listen on."),
    port: int = typer.Option(None, envvar="PORT", help="Slack over HTTP: the port (default 3000)."),
    no_worker: bool = typer.Option(False, "--no-worker", help="Slack: do not run the sweep/outbox loop here."),
) -> None:
    """Run the bot: Slack when configured (SLACK_BOT_TOKEN), else the console chat on an SQLite file."""
    from adapters.slack.settings import SlackSettings  # the composition root picks the adapter

    settings = SlackSettings()
    if settings.enabled:
        core = bootstrap(database)
        if settings.socket_mode:
            _run_socket_mode(core, settings, worker=not no_worker)
        else:
            _serve(core, settings, host, port or 3000, worker=not no_worker)
        return
    from adapters.console.session import ConsoleSession

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


@app.command()
def web(
    host: str = typer.Option("0.0.0.0", help="The address to listen on."),
    port: int = typer.Option(3000, envvar="PORT", help="The port to listen on."),
    database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL."),
) -> None:
    """Serve the web app (Slack events, commands, interactivity; health) without the worker loop."""
    from adapters.slack.settings import SlackSettings

    _serve(bootstrap(database, migrate=False), SlackSettings(), host, port, worker=False)


@app.command()
def worker(
    database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL."),
    once: bool = typer.Option(False, "--once", help="One sweep and delivery, then exit."),
) -> None:
    """Every 30 s: escalate what is due and deliver queued chat messages (Slack)."""
    from adapters.slack.services import workspace_delivery
    from adapters.slack.settings import SlackSettings
    from chatbot.scheduler import build_scheduler, tick

    settings = SlackSettings()
    if not settings.enabled:
        raise typer.BadParameter("the worker delivers to Slack: set SLACK_BOT_TOKEN (or SLACK_CLIENT_ID/SECRET)")
    core = bootstrap(database, migrate=False)
    chat = workspace_delivery(core, settings)
    result = tick(core, chat)
    typer.echo(f"{result.escalations} escalation(s); {result.delivery.sent} sent, {result.delivery.failed} failed.")
    if once:
        return
    scheduler = build_scheduler(core, chat)
    scheduler.start()
    try:
        threading.Event().wait()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


def _serve(core, settings, host: str, port: int, *, worker: bool) -> None:
    import uvicorn

    from adapters.server import create_web_app

    web_app = create_web_app(core, settings)
    scheduler = _start_worker(core, settings) if worker else None
    try:
        uvicorn.run(web_app, host=host, port=port, log_level="info")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _run_socket_mode(core, settings, *, worker: bool) -> None:
    from adapters.slack.app import create_slack_app
    from adapters.slack.socket import socket_mode_handler

    scheduler = _start_worker(core, settings) if worker else None
    try:
        socket_mode_handler(create_slack_app(core, settings), settings).start()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _start_worker(core, settings):
    from adapters.slack.services import workspace_delivery
    from chatbot.scheduler import build_scheduler

    scheduler = build_scheduler(core, workspace_delivery(core, settings))
    scheduler.start()
    return scheduler


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
