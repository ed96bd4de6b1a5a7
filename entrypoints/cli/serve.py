"""`chatbot run`, `web`, `worker` and `sweep`: the processes that serve the chats and deliver.

Each configured chat platform (entrypoints/platforms.py; `config.Settings.chats()`) registers its
chat in the delivery registry (`configured_platforms`) and mounts its routes on the web app, or
opens its own connection (Slack's Socket Mode). With none configured, `run` is the console on an
SQLite file, and `web`/`worker` still run, store leads and keep their messages in the outbox.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime

import typer
from rich.console import Console

from chatbot.domain.clock import ManualClock, SystemClock
from chatbot.escalation.sweeper import sweep as sweep_due
from chatbot.messaging.outbox import pending_count
from chatbot.messaging.platforms import Platforms
from chatbot.worker import build_scheduler, tick
from entrypoints import config, operations
from entrypoints.cli.common import bootstrap, fail, settings


def run(
    start: str = typer.Option(None, help="Console only: start the clock here (ISO time, e.g. 2026-11-24T10:00-06:00)."),
    database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL."),
    host: str = typer.Option("0.0.0.0", help="Slack over HTTP: the address to listen on."),
    port: int = typer.Option(None, envvar="PORT", help="Slack over HTTP: the port (default 3000)."),
    no_worker: bool = typer.Option(False, "--no-worker", help="Slack: do not run the sweep/outbox loop here."),
) -> None:
    """Run the bot: Slack when configured (SLACK_BOT_TOKEN), else the console chat on an SQLite file."""
    chosen = settings()
    if chosen.chats():  # Slack, Teams or both: the web app and the worker
        _start_logging(chosen)
        core = bootstrap(database)
        platforms = configured_platforms(core, chosen)
        connection = next((c for chat in chosen.chats() if (c := chat.connection(core, chosen.of(chat)))), None)
        if connection is not None:
            _run_connection(core, connection, platforms, worker=not no_worker)
        else:
            _serve(core, chosen, platforms, host, port or chosen.port, worker=not no_worker)
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


def how_to_configure(chosen: config.Settings) -> str:
    """"set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for Slack, or TEAMS_APP_ID and ... for Teams"."""
    return "set " + ", or ".join(chat.how_to_configure for chat in chosen.platforms)


def configured_platforms(core, chosen: config.Settings | None = None) -> Platforms:
    """The chats this process can deliver to: each platform the settings configure (read from the
    environment when not given). Settings that must not start one stop the command with one line."""
    chosen = chosen if chosen is not None else settings()
    platforms = Platforms(when_empty=f"No chat is configured ({how_to_configure(chosen)}): leads are stored and "
                                     f"wait in the outbox.")
    for chat in chosen.chats():
        problem = chat.start_problem(chosen.of(chat))
        if problem:
            fail(problem)
        chat.register(platforms, core, chosen.of(chat))
    return platforms


def web(
    host: str = typer.Option("0.0.0.0", help="The address to listen on."),
    port: int = typer.Option(None, envvar="PORT", help="The port to listen on (default PORT, else 3000)."),
    database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL."),
) -> None:
    """Serve the web app (intake, health; Slack events, commands, interactivity when configured), no worker loop."""
    chosen = settings()
    _start_logging(chosen)
    core = operations.ready_or_exit(database or chosen.database_url, chosen.secret_keys)
    _serve(core, chosen, configured_platforms(core, chosen), host, port or chosen.port, worker=False)


def worker(
    database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL."),
    once: bool = typer.Option(False, "--once", help="One sweep and delivery, then exit."),
    metrics_port: int = typer.Option(None, "--metrics-port",
                                     help="Serve this process's /metrics (its chat API errors) on this port."),
) -> None:
    """Escalate each step the moment it falls due (5 s at most) and deliver each team's queued messages.

    SIGTERM (a platform's restart) stops it between deliveries, so no message is left leased."""
    chosen = settings()
    _start_logging(chosen)
    core = operations.ready_or_exit(database or chosen.database_url, chosen.secret_keys)
    platforms = configured_platforms(core, chosen)
    typer.echo(platforms.describe())
    result = tick(core, platforms)
    typer.echo(f"{result.escalations} escalation(s); {result.delivery.sent} sent, {result.delivery.failed} failed, "
               f"{result.delivery.waiting} waiting.")
    if once:
        return
    if metrics_port:
        from chatbot.ops.metrics import registry_for
        from entrypoints.scrape import serve_metrics

        serve_metrics(metrics_port, registry_for(core), chosen.metrics_token)
        typer.echo(_metrics_access(chosen.metrics_token))
    scheduler = build_scheduler(core, platforms)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # raises SystemExit here: shut down below
    scheduler.start()
    try:
        threading.Event().wait()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=True)  # the courier finishes the message in hand


def _serve(core, chosen: config.Settings, platforms: Platforms, host: str, port: int, *, worker: bool) -> None:
    import uvicorn

    from entrypoints.logs import UVICORN_LOG_CONFIG
    from entrypoints.web import create_web_app, serve_platforms

    typer.echo(platforms.describe())
    typer.echo(_metrics_access(chosen.metrics_token))
    web_app = serve_platforms(create_web_app(core, platforms, metrics_token=chosen.metrics_token), core, chosen)
    scheduler = _start_worker(core, platforms) if worker else None
    try:
        uvicorn.run(web_app, host=host, port=port, log_config=UVICORN_LOG_CONFIG)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _metrics_access(token: str | None) -> str:
    if token:
        return "/metrics asks for METRICS_TOKEN as a bearer token."
    return "/metrics answers anyone who can reach this port (no METRICS_TOKEN): keep the port private."


def _run_connection(core, connection, platforms: Platforms, *, worker: bool) -> None:
    """A platform's own connection (Slack's Socket Mode) instead of the web app, beside the worker."""
    typer.echo(platforms.describe())
    scheduler = _start_worker(core, platforms) if worker else None
    try:
        connection()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _start_logging(chosen: config.Settings) -> None:
    """Refuse what a platform cannot start with (a token of the wrong kind, SECRET_KEYS missing or malformed)
    in one sentence, then log in logfmt lines (LOG_LEVEL, default INFO) with every secret value masked
    (config.Settings.secrets: each platform's too)."""
    for chat in chosen.platforms:
        problem = chat.start_problem(chosen.of(chat))
        if problem:
            fail(problem)
    from entrypoints.logs import configure

    configure(level=chosen.log_level_number, secrets=chosen.secrets())


def _start_worker(core, platforms: Platforms):
    scheduler = build_scheduler(core, platforms)
    scheduler.start()
    return scheduler


def sweep(database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL.")) -> None:
    """Escalate whatever is due now, once. Their messages are queued: the worker delivers them."""
    core = bootstrap(database)
    fired = sweep_due(core)
    waiting = pending_count(core)
    recorded = f"{len(fired)} escalation(s) recorded"
    chosen = settings()
    if not configured_platforms(core, chosen):
        typer.echo(f"{recorded}. No chat is configured ({how_to_configure(chosen)}): "
                   f"their messages wait in the outbox ({waiting} message(s) waiting).")
    else:
        typer.echo(f"{recorded}; {waiting} message(s) queued for the worker to deliver.")
