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
every one; the line appears where tokens are or will be stored); each configured chat's credentials (Slack: `auth.test` with the bot
token, or with each installed workspace's token under OAuth; Teams: a token from Microsoft
Entra with the app id and secret or certificate); that every team has an intake API key; that
no rooftop is parked because its chat refuses us (the app removed: `chatbot.messaging.access`); and
the worker's last heartbeat (`chatbot.ops.heartbeat`). A check that depends on one that failed
says "not checked" (–) and why.

Never a traceback: every check catches what it raises and says it in one line. Never a secret:
tokens, secrets and the database password are replaced by *** in everything printed. The exit
code is 1 when any line is ✗, else 0, so a release step or a CI job can run it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from entrypoints import config, secrets_command

OK, BAD, SKIP = "✓", "✗", "–"
ASCII_MARKS = {OK: "[ok]", BAD: "[!!]", SKIP: "[--]"}
WORKER_STALE_S = 120
"""The worker beats every tick (5 s); two minutes without a beat means none is running."""
CONNECT_TIMEOUT_S = 5
CHAT_TIMEOUT_S = 20
REFUSED_TOKEN = {"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired",
                 "no_permission", "ekm_access_denied"}
CONSOLE = "console"


@dataclass(frozen=True)
class Line:
    mark: str
    check: str
    text: str

    def render(self) -> str:
        return f"{self.mark} {self.check}: {self.text}"


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)

    def ok(self, check: str, text: str) -> None:
        self.lines.append(Line(OK, check, text))

    def bad(self, check: str, text: str) -> None:
        self.lines.append(Line(BAD, check, text))

    def skip(self, check: str, text: str) -> None:
        self.lines.append(Line(SKIP, check, text))

    @property
    def problems(self) -> int:
        return sum(1 for line in self.lines if line.mark == BAD)


@dataclass
class Probe:
    """What the checks found out that later checks need."""

    settings: config.Settings
    url: str | None = None
    engine: object = None
    core: object = None
    reachable: bool = False
    migrated: bool = False
    secrets: list[str] = field(default_factory=list)


def diagnose(database: str | None = None, *, teams_provider_factory=None,
             now: Callable[[], datetime] | None = None) -> Report:
    """Run every check; `teams_provider_factory`: what makes the Teams token provider (tests: a local issuer)."""
    report = Report()
    probe = _configuration(report)
    checks = (
        ("database", lambda: _database(report, probe, database)),
        ("database schema", lambda: _schema(report, probe)),
        ("secret keys", lambda: secrets_command.check(report, probe)),
        ("chat", lambda: _chats(report, probe, teams_provider_factory)),
        ("intake keys", lambda: _intake_keys(report, probe)),
        ("rooftops", lambda: _rooftops(report, probe)),
        ("worker", lambda: _worker(report, probe, now or (lambda: datetime.now(timezone.utc)))),
    )
    for name, check in checks:
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - doctor never shows a traceback
            report.bad(name, f"could not check it ({_first_line(exc)})")
    if probe.engine is not None:
        probe.engine.dispose()
    return _redacted(report, probe.secrets)


def run(database: str | None = None, *, echo: Callable[[str], None] = print, **options) -> int:
    """Print the report, one line per check, and return the exit code (1: something is wrong)."""
    report = diagnose(database, **options)
    for line in report.lines:
        _say(echo, line.render())
    if report.problems:
        _say(echo, f"{report.problems} problem(s): fix the lines marked {BAD} and run `chatbot doctor` again.")
    else:
        _say(echo, "All good.")
    return 1 if report.problems else 0


def register(app) -> None:
    """Add `chatbot doctor` to the CLI (entrypoints/cli.py)."""
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


# ---------------------------------------------------------------- configuration


def _configuration(report: Report) -> Probe:
    check = "configuration"
    source = "the environment and .env" if Path(config.ENV_FILE).is_file() else "the environment (no .env here)"
    unreadable: list[str] = []
    try:
        settings = config.load()
    except ValidationError as exc:
        wrong = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")})
        for name in wrong:
            unreadable.append(f"{name.upper()} cannot be read ({_pydantic_reason(exc, name)}): "
                              f"{_expected(name)}")
        # go on with the defaults for what could not be read, so the other checks still run
        settings = config.Settings(**{name: config.Settings.model_fields[name].default for name in wrong})
    probe = Probe(settings, secrets=list(settings.secrets()))
    problems = unreadable + _setting_problems(settings)
    for problem in problems:
        report.bad(check, problem)
    if not problems:
        report.ok(check, f"from {source}")
    return probe


def _pydantic_reason(exc: ValidationError, name: str) -> str:
    for error in exc.errors():
        if error.get("loc") and str(error["loc"][0]) == name:
            return error.get("msg", "invalid").lower()
    return "invalid"


def _expected(name: str) -> str:
    if name == "port":
        return "set PORT to a port number such as 3000 (hosts set it for the web process)"
    if name == "teams_allow_anonymous":
        return "set TEAMS_ALLOW_ANONYMOUS to true or false"
    return f"see {name.upper()} in the README's table of variables"


def _setting_problems(s: config.Settings) -> list[str]:
    problems = []
    if s.log_level.strip().upper() not in config.LOG_LEVELS:
        problems.append(f"LOG_LEVEL={s.log_level!r} is not a level: use one of {', '.join(config.LOG_LEVELS)}")
    if not 0 < s.port < 65536:
        problems.append(f"PORT={s.port} is not a port: use a number from 1 to 65535")
    slack = s.slack()
    for problem in (slack.token_problem(), slack.keys_problem()):
        if problem:
            problems.append(problem)
    if bool(s.slack_client_id) != bool(s.slack_client_secret):
        have, missing = (("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET") if s.slack_client_id
                         else ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID"))
        problems.append(f"{have} is set without {missing}: installs through /slack/install need both "
                        f"(api.slack.com/apps → your app → Basic Information → App Credentials)")
    if slack.enabled and not slack.socket_mode and not s.slack_signing_secret:
        problems.append("SLACK_SIGNING_SECRET is not set: the web app cannot verify Slack's requests and will not "
                        "start. Copy the Signing Secret from api.slack.com/apps → your app → Basic Information "
                        "(or set SLACK_APP_TOKEN for Socket Mode)")
    for name in ("timezone", "teams_timezone"):
        try:
            ZoneInfo(getattr(s, name))
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"{name.upper()}={getattr(s, name)!r} is not a time zone: use an IANA name such as "
                            f"America/Chicago")
    if s.teams_cert_pfx_file and not Path(s.teams_cert_pfx_file).is_file():
        problems.append(f"TEAMS_CERT_PFX_FILE={s.teams_cert_pfx_file!r}: no such file here")
    return problems


# ---------------------------------------------------------------- database


def _database(report: Report, probe: Probe, explicit: str | None) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from chatbot.store.db import database_url, make_engine

    check = "database"
    raw = database_url(explicit or probe.settings.database_url)
    try:
        url = make_url(raw)
    except ArgumentError:
        report.bad(check, "the database URL cannot be read: it should read postgres://USER:PASSWORD@HOST:5432/DATABASE")
        return
    if url.password:
        probe.secrets.append(str(url.password))
    shown = url.render_as_string(hide_password=True)
    probe.url = shown
    if url.get_backend_name() == "sqlite":
        path = url.database
        if path and path != ":memory:" and not path.startswith("file:") and not Path(path).is_file():
            report.bad(check, f"the SQLite file {Path(path).resolve()} does not exist: create it with "
                              f"`chatbot db upgrade` (in production set DATABASE_URL to your PostgreSQL)")
            return
    elif url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        url = url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    try:
        engine = make_engine(url.render_as_string(hide_password=False))
    except Exception as exc:  # noqa: BLE001 - e.g. a driver that is not installed
        report.bad(check, f"{shown} cannot be used ({_first_line(exc)}): use postgres://... or postgresql://... "
                          f"(the psycopg driver) or sqlite:///FILE")
        return
    probe.engine = engine
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                version = connection.execute(text("SHOW server_version")).scalar()
                what = f"PostgreSQL {str(version).split()[0]}"
            else:
                connection.execute(text("SELECT 1"))
                what = "SQLite: one host only, see the README's Scaling out"
    except Exception as exc:  # noqa: BLE001
        report.bad(check, f"cannot connect to {shown} ({_first_line(exc)}): check DATABASE_URL and that the "
                          f"server is up and lets this host in")
        return
    probe.reachable = True
    report.ok(check, f"{shown} answers ({what})")


def _schema(report: Report, probe: Probe) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from chatbot.core import Core, alembic_config
    from chatbot.domain.clock import SystemClock

    check = "database schema"
    if not probe.reachable:
        report.skip(check, "not checked: see the database line above")
        return
    script = ScriptDirectory.from_config(alembic_config(probe.engine))
    heads = set(script.get_heads())
    with probe.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    fix = "run `chatbot db upgrade` (the Procfile's release step does it on each deploy)"
    if current == heads:
        probe.migrated = True
        probe.core = Core(engine=probe.engine, clock=SystemClock())
        report.ok(check, f"at the newest migration ({', '.join(sorted(heads))})")
    elif not current:
        report.bad(check, f"no tables yet (no migration applied): {fix}")
    elif current - {r.revision for r in script.walk_revisions()}:
        report.bad(check, f"at {', '.join(sorted(current))}, a migration this code does not know: the database "
                          f"belongs to a newer release; deploy that release (or restore a matching backup)")
    else:
        report.bad(check, f"at {', '.join(sorted(current))}, the code needs {', '.join(sorted(heads))}: {fix}")


# ---------------------------------------------------------------- chats


def _chats(report: Report, probe: Probe, teams_provider_factory) -> None:
    slack, teams = probe.settings.slack(), probe.settings.teams()
    if not slack.enabled and not teams.enabled:
        report.ok("chat", "no chat configured: console only (set SLACK_BOT_TOKEN or TEAMS_APP_ID to reach a chat; "
                          "leads are stored and wait in the outbox)")
        return
    if slack.enabled:
        try:
            _slack(report, probe, slack)
        except Exception as exc:  # noqa: BLE001
            report.bad("Slack", f"could not check it ({_first_line(exc)})")
    if teams.enabled:
        try:
            _teams(report, teams, teams_provider_factory)
        except Exception as exc:  # noqa: BLE001
            report.bad("Teams", f"could not check it ({_first_line(exc)})")


def _slack(report: Report, probe: Probe, settings) -> None:
    check = "Slack"
    if settings.token_problem():
        report.skip(check, "not checked: the token is of the wrong kind (see configuration)")
        return
    if settings.oauth and not settings.slack_bot_token:
        _slack_installs(report, probe, settings)
        return
    if not settings.slack_bot_token:
        report.skip(check, "not checked: no SLACK_BOT_TOKEN, and OAuth needs SLACK_CLIENT_SECRET too "
                           "(see configuration)")
        return
    answer = _auth_test(settings.slack_bot_token, settings.api_url)
    if answer.get("ok"):
        mode = "Socket Mode" if settings.socket_mode else "over HTTP"
        report.ok(check, f"the bot token works for workspace {answer.get('team')} ({answer.get('team_id')}), {mode}")
    else:
        report.bad(check, _slack_refusal("SLACK_BOT_TOKEN", answer, settings.api_url))


def _slack_installs(report: Report, probe: Probe, settings) -> None:
    """OAuth: each Slack team's installation answers auth.test with its stored token."""
    from sqlalchemy import inspect

    from adapters.slack.oauth import SealedInstallationStore
    from chatbot.secret_keys import SecretKeyError
    from chatbot.team import roster

    check = "Slack"
    if not probe.migrated:
        report.skip(check, "not checked: OAuth installs live in the database, which is not ready (see above)")
        return
    if settings.keys_problem():
        report.skip(check, "not checked: the stored tokens need SECRET_KEYS (see configuration)")
        return
    store = SealedInstallationStore(client_id=settings.slack_client_id, engine=probe.engine,
                                    keys=settings.required_keys())
    if not inspect(probe.engine).has_table(store.bots.name):
        report.bad(check, "no workspace has installed the app yet: open https://YOUR-APP-HOST/slack/install")
        return
    teams = [t for t in roster.all_teams(probe.core) if t.platform == "slack"]
    working, broken = [], []
    for team in teams:
        try:
            bot = store.find_bot(enterprise_id=None, team_id=team.platform_team_id)
        except SecretKeyError:
            broken.append(f"{team.name}'s token cannot be decrypted with SECRET_KEYS (see secret keys)")
            continue
        if bot is None:
            broken.append(f"{team.name} has no installation (reinstall through /slack/install)")
            continue
        probe.secrets.append(bot.bot_token)
        answer = _auth_test(bot.bot_token, settings.api_url)
        if answer.get("ok"):
            working.append(team.name)
        else:
            broken.append(f"{team.name}'s token was refused ({answer.get('error')}): reinstall through /slack/install")
    if broken:
        report.bad(check, "; ".join(broken))
    elif working:
        report.ok(check, f"{len(working)} installed workspace(s), every token works ({', '.join(working)})")
    else:
        report.bad(check, "no workspace has installed the app yet: open https://YOUR-APP-HOST/slack/install")


def _auth_test(token: str, base_url: str) -> dict:
    """Slack's auth.test with `token`: its answer, or {"ok": False, "error": ..., "unreachable": True}."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=token, base_url=base_url, timeout=CHAT_TIMEOUT_S)
    try:
        return dict(client.auth_test().data)
    except SlackApiError as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return {"ok": False, "error": data.get("error") or f"HTTP {exc.response.status_code}"}
    except Exception as exc:  # noqa: BLE001 - the network, DNS, TLS
        return {"ok": False, "error": _first_line(exc), "unreachable": True}


def _slack_refusal(variable: str, answer: dict, base_url: str) -> str:
    error = answer.get("error")
    if answer.get("unreachable"):
        return f"cannot reach Slack at {base_url} ({error}): check this host's network (or SLACK_API_URL)"
    if error in REFUSED_TOKEN:
        return (f"Slack refused {variable} ({error}): the token is wrong or was revoked (the app uninstalled or "
                f"reinstalled?). Copy the Bot User OAuth Token (xoxb-...) from api.slack.com/apps → your app → "
                f"OAuth & Permissions, set {variable} and restart")
    return f"auth.test answered {error}: see api.slack.com/methods/auth.test"


def _teams(report: Report, settings, provider_factory) -> None:
    check = "Teams"
    if settings.problem():
        report.bad(check, settings.problem())
        return
    if settings.anonymous:
        report.bad(check, "TEAMS_ALLOW_ANONYMOUS=true without TEAMS_APP_ID: /api/messages accepts anyone. Development "
                          "only: in production set TEAMS_APP_ID and TEAMS_APP_PASSWORD and unset it")
        return
    if not (settings.teams_app_password or settings.teams_cert_pfx_file):
        report.bad(check, "TEAMS_APP_ID is set but neither TEAMS_APP_PASSWORD nor TEAMS_CERT_PFX_FILE: make a client "
                          "secret (Azure portal → your Azure Bot → Configuration → Manage Password)")
        return
    error = _teams_token_error(settings, provider_factory)
    if error is None:
        tenant = settings.teams_tenant_id or "multi-tenant"
        report.ok(check, f"Microsoft Entra gave the app a token for the Bot Connector (tenant {tenant})")
    else:
        report.bad(check, error)


def _teams_token_error(settings, provider_factory) -> str | None:
    """Acquire the bot's token for the Bot Connector as the Teams adapter does; None when it works."""
    from adapters.teams.auth import (
        CONNECTOR_RESOURCE,
        CONNECTOR_SCOPES,
        SERVICE_CONNECTION,
        auth_configuration,
        connection_manager,
    )

    outcome: dict = {}

    def acquire() -> None:
        try:
            connections = connection_manager(auth_configuration(settings), provider_factory)
            provider = connections.get_connection(SERVICE_CONNECTION)
            token = asyncio.run(provider.get_access_token(CONNECTOR_RESOURCE, CONNECTOR_SCOPES))
            outcome["token"] = bool(token)
        except Exception as exc:  # noqa: BLE001
            outcome["error"] = exc

    quiet = [logging.getLogger(name) for name in ("microsoft_agents", "msal")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:  # the SDK logs MSAL's whole answer at ERROR: the one line below says it
        logger.setLevel(logging.CRITICAL + 1)
    try:
        worker = threading.Thread(target=acquire, daemon=True)  # MSAL blocks: never wait on it forever
        worker.start()
        worker.join(CHAT_TIMEOUT_S)
    finally:
        for logger, level in zip(quiet, levels):
            logger.setLevel(level)
    if worker.is_alive():
        return f"no answer from Microsoft Entra in {CHAT_TIMEOUT_S} s: check this host's network"
    if "error" not in outcome:
        return None if outcome.get("token") else "Microsoft Entra gave no token"
    text = str(outcome["error"])
    code = re.search(r"AADSTS\d+", text)
    kind = re.search(r"'error':\s*'([a-z_]+)'", text)
    if code and code.group(0) in ("AADSTS7000215", "AADSTS7000222") or (kind and kind.group(1) == "invalid_client"):
        return ("Microsoft Entra refused the app's credential (the client secret is wrong or expired): make a new one "
                "(Azure portal → your Azure Bot → Configuration → Manage Password) and set TEAMS_APP_PASSWORD")
    if code and code.group(0) in ("AADSTS700016",):
        return "Microsoft Entra does not know TEAMS_APP_ID in this tenant: check TEAMS_APP_ID and TEAMS_TENANT_ID"
    if code and code.group(0) in ("AADSTS90002", "AADSTS900023"):
        return "Microsoft Entra does not know TEAMS_TENANT_ID: copy the App Tenant ID from the Azure Bot's Configuration"
    what = code.group(0) if code else (kind.group(1) if kind else type(outcome["error"]).__name__)
    return f"could not get a token from Microsoft Entra ({what}): check TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TENANT_ID"


# ---------------------------------------------------------------- intake keys, rooftops, the worker


REINSTALL = {"teams": "add the app to that team again (in Teams: Apps → Manage your apps → the app → Add to a "
                      "team), picking the channel for new leads; its waiting messages then go out",
             "slack": "reinstall the app in that workspace (/slack/install); its waiting messages then go out"}


def _rooftops(report: Report, probe: Probe) -> None:
    """A rooftop whose chat refuses us for good (chatbot.messaging.access) is named, with the fix."""
    from chatbot.messaging import access

    check = "rooftops"
    if not probe.migrated:
        report.skip(check, "not checked: the database is not ready (see above)")
        return
    lost = access.parked(probe.core)
    for p in lost:
        fix = REINSTALL.get(p.platform, "set the rooftop's chat up again")
        report.bad(check, f"{p.name} gets no messages: {p.reason} (since {p.since:%Y-%m-%d %H:%M} UTC; "
                          f"{p.waiting} waiting, kept): {fix}")
    if not lost:
        report.ok(check, "every rooftop's chat takes our messages")


def _intake_keys(report: Report, probe: Probe) -> None:
    from chatbot.intake import apikeys
    from chatbot.team import roster

    check = "intake keys"
    if not probe.migrated:
        report.skip(check, "not checked: the database is not ready (see above)")
        return
    teams = [t for t in roster.all_teams(probe.core) if t.platform != CONSOLE]
    if not teams:
        report.bad(check, "no team yet, so no key: Slack and Teams make the team when the app is installed, or "
                          "`chatbot team create --name NAME --timezone America/Chicago`; then "
                          "`chatbot keys create --team NAME --name PROVIDER`")
        return
    active: dict[int, int] = {}
    for key in apikeys.list_keys(probe.core):
        if key.revoked_at is None:
            active[key.team_id] = active.get(key.team_id, 0) + 1
    missing = [t for t in teams if not active.get(t.id)]
    if missing:
        for team in missing:
            report.bad(check, f"{team.name} has no API key, so no lead provider or CRM can send it leads: "
                              f"`chatbot keys create --team \"{team.name}\" --name cars.com` (one per sender)")
        return
    report.ok(check, "every team has one (" + ", ".join(f"{t.name}: {active[t.id]}" for t in teams) + ")")


def _worker(report: Report, probe: Probe, now: Callable[[], datetime]) -> None:
    check = "worker"
    if not probe.migrated:
        report.skip(check, "not checked: the database is not ready (see above)")
        return
    try:
        from chatbot.ops.heartbeat import last_beat
    except ImportError:
        report.skip(check, "not checked: this version keeps no worker heartbeat")
        return
    beat = last_beat(probe.core)
    if beat is None:
        report.bad(check, "no worker has ever run on this database: start the Procfile's worker (`chatbot worker`); "
                          "without it nothing escalates and no message leaves the outbox")
        return
    age = max(0, int((now() - beat).total_seconds()))
    if age > WORKER_STALE_S:
        report.bad(check, f"last heartbeat {_ago(age)} ago ({beat:%Y-%m-%d %H:%M} UTC): the worker is not running; "
                          f"start it (`chatbot worker`, the Procfile's worker) and check its logs")
    else:
        report.ok(check, f"alive, last heartbeat {_ago(age)} ago")


def _ago(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


# ---------------------------------------------------------------- never a secret


def _first_line(exc: BaseException) -> str:
    """An exception in a few words: the driver's own message when there is one, its first line."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()
    first = text[0].strip() if text else ""
    return f"{type(inner).__name__}: {first}"[:300] if first else type(inner).__name__


def _redacted(report: Report, secrets: list[str]) -> Report:
    hidden = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    if not hidden:
        return report
    pattern = re.compile("|".join(re.escape(s) for s in hidden))
    return Report([Line(line.mark, line.check, pattern.sub("***", line.text)) for line in report.lines])
