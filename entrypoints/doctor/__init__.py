"""`chatbot doctor`: is this deployment ready? One line per check, in plain words.

    ✓ configuration: from the environment and .env
    ✓ database: postgresql+psycopg://app:***@db.example.com:5432/leads answers (PostgreSQL 16.4)
    ✓ database schema: at the newest migration (0012)
    ✓ secret keys: all 3 stored chat token(s) decrypt with the first key of SECRET_KEYS
    ✗ Slack: Slack refused SLACK_BOT_TOKEN (invalid_auth): ... how to fix it
    ✓ intake keys: every team has one (Demo Motors: 2)
    ✓ worker: alive, last heartbeat 3 s ago

What it checks: the configuration (`entrypoints.config.Settings`: values that cannot be read,
tokens of the wrong kind, variables that need a partner); the database (it answers; its schema
is at the newest migration); the chat tokens stored in it (encrypted, and SECRET_KEYS decrypts
every one; the line appears where tokens are or will be stored); each configured chat's credentials,
checked by its platform (`ChatPlatform.check`; Slack: `auth.test` with the bot token, or with each
installed workspace's token under OAuth; Teams: a token from Microsoft Entra with the app id and
secret or certificate); that every team has an intake API key; that
no rooftop is parked because its chat refuses us (the app removed: `chatbot.messaging.access`); and
the worker's last heartbeat (`chatbot.ops.heartbeat`). A check that depends on one that failed
says "not checked" (–) and why.

Never a traceback: every check catches what it raises and says it in one line. Never a secret:
tokens, secrets and the database password are replaced by *** in everything printed. The exit
code is 1 when any line is ✗, else 0, so a release step or a CI job can run it.

report.py (the lines), configuration.py, database.py, service.py (intake keys, rooftops, the
worker); the platforms' lines come from their plugins (adapters/*/doctor.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone

from adapters.platform import ChatPlatform, first_line
from entrypoints import config, secrets_command
from entrypoints.doctor import database, service
from entrypoints.doctor.configuration import configuration
from entrypoints.doctor.report import BAD, OK, SKIP, Line, Probe, Report

__all__ = ["diagnose", "run", "register", "Report", "Line"]

ASCII_MARKS = {OK: "[ok]", BAD: "[!!]", SKIP: "[--]"}


def diagnose(database_url: str | None = None, *, now: Callable[[], datetime] | None = None,
             chats: tuple[ChatPlatform, ...] | None = None, **options) -> Report:
    """Run every check. `chats`: the platforms to check (entrypoints/platforms.py's unless given);
    `options`: what a platform's check takes from a test (`teams_provider_factory`: a local issuer)."""
    report = Report()
    probe = configuration(report, config.Settings if chats is None else config.compose(chats))
    probe.options.update(options)
    checks = (
        ("database", lambda: database.database(report, probe, database_url)),
        ("database schema", lambda: database.schema(report, probe)),
        ("secret keys", lambda: secrets_command.check(report, probe)),
        ("chat", lambda: _chats(report, probe)),
        ("intake keys", lambda: service.intake_keys(report, probe)),
        ("rooftops", lambda: service.rooftops(report, probe)),
        ("worker", lambda: service.worker(report, probe, now or (lambda: datetime.now(timezone.utc)))),
    )
    for name, check in checks:
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - doctor never shows a traceback
            report.bad(name, f"could not check it ({first_line(exc)})")
    if probe.engine is not None:
        probe.engine.dispose()
    return _redacted(report, probe.secrets)


def run(database_url: str | None = None, *, echo: Callable[[str], None] = print, **options) -> int:
    """Print the report, one line per check, and return the exit code (1: something is wrong)."""
    report = diagnose(database_url, **options)
    for line in report.lines:
        _say(echo, line.render())
    if report.problems:
        _say(echo, f"{report.problems} problem(s): fix the lines marked {BAD} and run `chatbot doctor` again.")
    else:
        _say(echo, "All good.")
    return 1 if report.problems else 0


def register(app) -> None:
    """Add `chatbot doctor` to the CLI (entrypoints/cli/)."""
    import typer

    @app.command("doctor")
    def doctor(database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL.")) -> None:
        """Check the deployment: configuration, database, chats, intake keys, worker. Exit 1 if anything is wrong."""
        raise typer.Exit(run(database, echo=typer.echo))


def _say(echo, text: str) -> None:
    try:
        echo(text)
    except UnicodeEncodeError:  # a terminal that cannot show ✓ and ✗
        for mark, ascii_mark in ASCII_MARKS.items():
            text = text.replace(mark, ascii_mark)
        echo(text.encode("ascii", "replace").decode("ascii"))


def _chats(report: Report, probe: Probe) -> None:
    """Each configured platform's own line (`ChatPlatform.check`); with none, one line saying so."""
    settings = probe.settings
    configured = settings.chats()
    if not configured:
        switches = [chat.switch for chat in settings.platforms]
        either = " or ".join(filter(None, (", ".join(switches[:-1]), switches[-1])))  # A, B or C
        report.ok("chat", f"no chat configured: console only (set {either} to reach a chat; "
                          "leads are stored and wait in the outbox)")
        return
    for chat in configured:
        try:
            chat.check(report, probe, settings.of(chat))
        except Exception as exc:  # noqa: BLE001
            report.bad(chat.title, f"could not check it ({first_line(exc)})")


def _redacted(report: Report, secrets: list[str]) -> Report:
    hidden = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    if not hidden:
        return report
    pattern = re.compile("|".join(re.escape(s) for s in hidden))
    return Report([Line(line.mark, line.check, pattern.sub("***", line.text)) for line in report.lines])
