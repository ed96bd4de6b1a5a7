"""The `chatbot` command.

    chatbot                  run the bot: Slack if SLACK_BOT_TOKEN is set (web app + worker in one
                             process; Socket Mode with SLACK_APP_TOKEN), else the console on SQLite
    chatbot web --port N     the web app only (Slack events, intake, health): the Procfile's web
    chatbot worker           escalate each step as it falls due + deliver: the Procfile's worker
    chatbot db upgrade       bring the database schema up to date
    chatbot backup --out F   the whole database, while the bot runs; `chatbot restore F` into an empty one
    chatbot secrets ...      the keys that encrypt stored chat tokens (new-key, rotate)
    chatbot doctor           check the deployment: configuration, database, chats, intake keys, worker
    chatbot sweep            escalate whatever is due now, once (the worker does it as each step falls due)
    chatbot team create      a team for lead intake when no chat adapter has made one
    chatbot member ...       people on a team: add (by e-mail before they use Slack), list, set-role, remove
    chatbot keys ...         API keys for lead providers and CRMs (create, list, revoke)
    chatbot lead check FILE  what intake would store from a file, without a database
    chatbot import FILE.csv  a CRM's history of leads and activities, for the baseline
    chatbot baseline         the follow-up figures of docs/METRICS.md
    chatbot digest           the weekly digest (--week 2026-W46, --out DIR, --post)

Configuration (DATABASE_URL, PORT, LOG_LEVEL, Slack's and Teams' variables) comes from the
environment or a `.env` file through one class, `entrypoints.config.Settings`.

The chat adapters are imported only by the command that uses them: the core imports none.
`web` and `worker` deliver through whatever chat is configured (`configured_platforms`); with
none they still run, store leads and keep their messages in the outbox.

Which team a command means (`resolve_team`): --team NAME matches a team's name exactly,
ignoring case (or its number); with no --team, the one team that is not the console's. The
console's own team ("Demo Motors (console)") is only ever picked by its name or number.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from adapters.console.words import printable
from chatbot.core import Core
from chatbot.core import bootstrap as bootstrap_core
from chatbot.domain.clock import ManualClock, SystemClock, whole_seconds
from chatbot.errors import FollowUpError
from chatbot.escalation.sweeper import sweep
from chatbot.intake import apikeys
from chatbot.intake.detect import parse_any
from chatbot.intake.errors import LeadFormatError
from chatbot.intake.fields import lead_fields
from chatbot.intake.history import CannotImport, check_header, import_history
from chatbot.ladder.deadlines import hours_of
from chatbot.messaging.outbox import pending_count
from chatbot.messaging.platforms import Platforms
from chatbot.messaging.views import baseline_text, warning_texts
from chatbot.reports.baseline_json import baseline_document
from chatbot.reports.figures import CSV_COLUMNS, PeriodError, after_hours_split, cohort_rows, compare, period_for
from chatbot.reports.spreadsheet import write_csv
from chatbot.secret_keys import SecretKeyError
from chatbot.store.db import transaction
from chatbot.team import roster
from chatbot.worker import build_scheduler, tick
from entrypoints import backup, config, doctor, operations, secrets_command

app = typer.Typer(help="Lead follow-up for dealerships: every lead posted, claimed and followed up.",
                  no_args_is_help=False, add_completion=False)
db_app = typer.Typer(help="Database schema.")
app.add_typer(db_app, name="db")
team_app = typer.Typer(help="Teams (dealership rooftops).")
app.add_typer(team_app, name="team")
keys_app = typer.Typer(help="API keys for lead providers and CRMs.")
app.add_typer(keys_app, name="keys")
lead_app = typer.Typer(help="Leads.")
app.add_typer(lead_app, name="lead")
member_app = typer.Typer(help="People on a team: reps and managers.")
app.add_typer(member_app, name="member")

DATABASE_OPTION = typer.Option(None, "--database-url", help="Overrides DATABASE_URL.")


def _settings() -> config.Settings:
    """The configuration (environment, then .env); a value that cannot be read is one line and exit 1."""
    try:
        return config.load()
    except ValidationError as exc:
        wrong = ", ".join(".".join(str(p) for p in e["loc"]).upper() for e in exc.errors())
        _fail(f"Cannot read the configuration ({wrong}): `chatbot doctor` says what is wrong.")


def bootstrap(database: str | None = None, clock=None, *, migrate: bool = True) -> Core:
    """The core on --database-url, else DATABASE_URL (environment or .env), else the SQLite file.
    A migration that cannot encrypt stored tokens (no SECRET_KEYS) is one line and exit 1."""
    settings = _settings()
    try:
        return bootstrap_core(database or settings.database_url, clock, migrate=migrate,
                              secret_keys=settings.secret_keys)
    except SecretKeyError as error:
        _fail(str(error))


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
    settings = _settings().slack()
    if settings.enabled or _teams_settings().enabled:  # Slack, Teams or both: the web app and the worker
        _start_logging(settings)
        core = bootstrap(database)
        platforms = configured_platforms(core, settings)
        if settings.socket_mode:
            _run_socket_mode(core, settings, platforms, worker=not no_worker)
        else:
            _serve(core, settings, platforms, host, port or _settings().port, worker=not no_worker)
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


HOW_TO_CONFIGURE = ("set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for Slack, or TEAMS_APP_ID and TEAMS_APP_PASSWORD "
                    "for Teams")
NO_CHAT = f"No chat is configured ({HOW_TO_CONFIGURE}): leads are stored and wait in the outbox."


def configured_platforms(core, slack=None, *, client=None) -> Platforms:
    """The chats this process can deliver to, from the environment: Slack when configured, else none.

    `slack`: SlackSettings (read from the environment when not given); `client`: a WebClient
    for a single workspace (tests point it at a fake).
    """
    from adapters.slack.services import register_slack

    platforms = register_slack(Platforms(when_empty=NO_CHAT), core, slack if slack is not None else _settings().slack(),
                               client)
    return _with_teams(platforms, core)


def _teams_settings():
    return _settings().teams()


def _with_teams(platforms: Platforms, core, web_app=None) -> Platforms:
    """Teams beside Slack when TEAMS_APP_ID is set (or the development mode): each team's messages
    go through its own platform. With `web_app`, also serve Teams at /api/messages. Settings that
    must not serve Teams (anonymous mode beside an app id) stop the command with one line."""
    settings = _teams_settings()
    if not settings.enabled:
        return platforms
    problem = settings.problem()
    if problem:
        _fail(problem)
    from adapters.teams.services import register_teams
    from adapters.teams.web import TeamsApp, mount_teams

    teams = TeamsApp(core, settings)
    if web_app is not None:
        mount_teams(web_app, teams)
        if settings.not_ready():
            web_app.state.not_ready.append(settings.not_ready())  # /readyz stays red in development mode
    if "teams" not in platforms:
        register_teams(platforms, teams.services)
    return platforms


@app.command()
def web(
    host: str = typer.Option("0.0.0.0", help="The address to listen on."),
    port: int = typer.Option(None, envvar="PORT", help="The port to listen on (default PORT, else 3000)."),
    database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL."),
) -> None:
    """Serve the web app (intake, health; Slack events, commands, interactivity when configured), no worker loop."""
    settings = _settings().slack()
    _start_logging(settings)
    core = operations.ready_or_exit(database or _settings().database_url, _settings().secret_keys)
    _serve(core, settings, configured_platforms(core, settings), host, port or _settings().port, worker=False)


@app.command()
def worker(
    database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL."),
    once: bool = typer.Option(False, "--once", help="One sweep and delivery, then exit."),
    metrics_port: int = typer.Option(None, "--metrics-port",
                                     help="Serve this process's /metrics (its chat API errors) on this port."),
) -> None:
    """Escalate each step the moment it falls due (5 s at most) and deliver each team's queued messages.

    SIGTERM (a platform's restart) stops it between deliveries, so no message is left leased."""
    settings = _settings().slack()
    _start_logging(settings)
    core = operations.ready_or_exit(database or _settings().database_url, _settings().secret_keys)
    platforms = configured_platforms(core, settings)
    typer.echo(platforms.describe())
    result = tick(core, platforms)
    typer.echo(f"{result.escalations} escalation(s); {result.delivery.sent} sent, {result.delivery.failed} failed, "
               f"{result.delivery.waiting} waiting.")
    if once:
        return
    if metrics_port:
        from chatbot.ops.metrics import registry_for
        from entrypoints.scrape import serve_metrics

        token = _settings().metrics_token
        serve_metrics(metrics_port, registry_for(core), token)
        typer.echo(_metrics_access(token))
    scheduler = build_scheduler(core, platforms)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # raises SystemExit here: shut down below
    scheduler.start()
    try:
        threading.Event().wait()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=True)  # the courier finishes the message in hand


def _serve(core, settings, platforms: Platforms, host: str, port: int, *, worker: bool) -> None:
    import uvicorn

    from entrypoints.logs import UVICORN_LOG_CONFIG
    from entrypoints.web import create_web_app

    slack_app = None
    if settings.enabled:
        from adapters.slack.app import create_slack_app

        slack_app = create_slack_app(core, settings)
    typer.echo(platforms.describe())
    token = _settings().metrics_token
    typer.echo(_metrics_access(token))
    web_app = create_web_app(core, platforms, slack_app=slack_app, metrics_token=token)
    _with_teams(platforms, core, web_app)
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


def _run_socket_mode(core, settings, platforms: Platforms, *, worker: bool) -> None:
    from adapters.slack.app import create_slack_app
    from adapters.slack.socket import socket_mode_handler

    typer.echo(platforms.describe())
    scheduler = _start_worker(core, platforms) if worker else None
    try:
        socket_mode_handler(create_slack_app(core, settings), settings).start()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _start_logging(settings) -> None:
    """Refuse a token of the wrong kind or a missing or malformed SECRET_KEYS in one sentence, then log in
    logfmt lines (LOG_LEVEL, default INFO) with every secret setting masked (config.SECRETS)."""
    problem = settings.token_problem() or settings.keys_problem()
    if problem:
        _fail(problem)
    from entrypoints.logs import configure

    everything = _settings()
    configure(level=everything.log_level_number, secrets=everything.secrets())  # every secret set, Teams' too


def _start_worker(core, platforms: Platforms):
    scheduler = build_scheduler(core, platforms)
    scheduler.start()
    return scheduler


@app.command("sweep")
def sweep_once(database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL.")) -> None:
    """Escalate whatever is due now, once. Their messages are queued: the worker delivers them."""
    core = bootstrap(database)
    fired = sweep(core)
    waiting = pending_count(core)
    recorded = f"{len(fired)} escalation(s) recorded"
    if not configured_platforms(core):
        typer.echo(f"{recorded}. No chat is configured ({HOW_TO_CONFIGURE}): "
                   f"their messages wait in the outbox ({waiting} message(s) waiting).")
    else:
        typer.echo(f"{recorded}; {waiting} message(s) queued for the worker to deliver.")


# ---------------------------------------------------------------- teams and keys


def _fail(message: str) -> None:
    typer.echo(printable(message), err=True)  # a refusal may quote a name as typed
    raise typer.Exit(1)


CONSOLE_PLATFORM = "console"


def resolve_team(core: Core, spec: str | None):
    """The team a command means. Refusals are one line on stderr and exit code 1.

    --team NAME: the team with exactly that name, ignoring case (a number: the team with that id).
    No --team: the only team that is not the console's. The console's own team is picked only
    by its name or number, never by default.
    """
    teams = roster.all_teams(core)
    if spec is None:
        candidates = [t for t in teams if t.platform != CONSOLE_PLATFORM]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            _fail("No team yet. Create one: chatbot team create --name 'Demo Motors' --timezone America/Chicago"
                  + (" (the console's own team is used only when named with --team)." if teams else ""))
        _fail("Say which team with --team: " + ", ".join(f"{t.name} (#{t.id})" for t in candidates) + ".")
    wanted = " ".join(spec.split()).lower()
    named = [t for t in teams if t.name.lower() == wanted]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        _fail(f"{len(named)} teams are called {spec!r}: say which by number, "
              + ", ".join(f"--team {t.id} ({t.platform})" for t in named) + ".")
    if wanted.lstrip("#").isdigit():
        for team in teams:
            if team.id == int(wanted.lstrip("#")):
                return team
    others = f" (teams here: {', '.join(f'{t.name} #{t.id}' for t in teams)})" if teams else ""
    _fail(f"No team called {spec!r}. Create it first: chatbot team create --name {spec!r} "
          f"--timezone America/Chicago{others}")


@team_app.command("create")
def team_create(
    name: str = typer.Option(..., "--name", help="The rooftop's name, e.g. 'Demo Motors'."),
    timezone: str = typer.Option("America/Chicago", "--timezone", help="IANA zone of the showroom."),
    region: str = typer.Option("US", "--region", help="Country of local phone numbers (ISO code)."),
    database: str = DATABASE_OPTION,
) -> None:
    """Create a team for lead intake (chat adapters create theirs when installed)."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"{timezone!r} is not a time zone like America/Chicago", param_hint="--timezone")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "team"
    try:
        team = roster.create_team(bootstrap(database), name=name, platform="api", platform_team_id=slug,
                                  timezone=timezone, phone_region=region.upper())
    except FollowUpError as exc:
        _fail(exc.message)
    typer.echo(printable(f"Team #{team.id}: {team.name} ({team.timezone}, phones read as {team.phone_region})."))


@team_app.command("list")
def team_list(database: str = DATABASE_OPTION) -> None:
    """Every team, with its id."""


    for team in roster.all_teams(bootstrap(database)):
        typer.echo(printable(f"#{team.id}  {team.name}  {team.platform}  {team.timezone}"))


@keys_app.command("create")
def keys_create(
    team: str = typer.Option(None, "--team", help="Team name or id (not needed when there is only one)."),
    name: str = typer.Option("provider", "--name", help="Who will hold the key: cars.com, website, CRM ..."),
    signed: bool = typer.Option(False, "--hmac", help="Also require an HMAC-SHA256 signature of each body."),
    database: str = DATABASE_OPTION,
) -> None:
    """Make a key for a lead provider or CRM. It is printed once and cannot be shown again."""
    core = bootstrap(database)
    try:
        made = apikeys.create_key(core, resolve_team(core, team).id, name, signed=signed)
    except FollowUpError as exc:
        _fail(exc.message)
    typer.echo(printable(f"API key for {made.name} (prefix {made.prefix}); shown once, store it now:"))
    typer.echo(f"  {made.key}")
    if made.hmac_secret:
        typer.echo("HMAC signing secret (X-Signature: sha256=<hex HMAC-SHA256 of the raw body>):")
        typer.echo(f"  {made.hmac_secret}")


@keys_app.command("list")
def keys_list(team: str = typer.Option(None, "--team", help="Only this team's keys."),
              database: str = DATABASE_OPTION) -> None:
    """Every key by prefix (never the secret)."""
    core = bootstrap(database)
    team_id = resolve_team(core, team).id if team else None
    for key in apikeys.list_keys(core, team_id):
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M} UTC" if key.revoked_at else "active"
        typer.echo(printable(f"{key.prefix}  {key.team_name}  {key.name}  "
                             f"{'signed' if key.signed else 'unsigned'}  "
                             f"created {key.created_at:%Y-%m-%d %H:%M} UTC  {state}"))


@keys_app.command("revoke")
def keys_revoke(prefix: str = typer.Argument(..., help="The key's prefix, as `keys list` shows it."),
                database: str = DATABASE_OPTION) -> None:
    """Stop a key working at once."""
    try:
        key = apikeys.revoke_key(bootstrap(database), prefix)
    except apikeys.UnknownKey as exc:
        _fail(exc.message)
    typer.echo(printable(f"Revoked {key.prefix} ({key.name}, {key.team_name})."))


# ---------------------------------------------------------------- people

SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
TEAM_OPTION = typer.Option(None, "--team", help="Team name or id (not needed when there is only one).")


@member_app.command("add")
def member_add(
    name: str = typer.Option(..., "--name", help="How the bot names them, e.g. Sam."),
    email: str = typer.Option(None, "--email", help="Their work e-mail: how Slack and CRMs recognise them."),
    slack_id: str = typer.Option(None, "--slack-id", help="Their Slack member id (U0123ABCD), if known."),
    role: str = typer.Option("rep", "--role", help="rep or manager."),
    oncall: int = typer.Option(None, "--oncall", min=1, help="Their place in the after-hours rotation (1, 2, ...)."),
    team: str = TEAM_OPTION,
    database: str = DATABASE_OPTION,
) -> None:
    """Put someone on a team, even before they first use Slack (by e-mail and/or Slack id)."""
    if slack_id is not None and not SLACK_USER_ID.fullmatch(slack_id.strip()):
        _fail(f"{slack_id!r} is not a Slack member id like U0123ABCD (in Slack: their profile, ⋮, Copy member ID).")
    core = bootstrap(database)
    chosen = resolve_team(core, team)
    try:
        member = roster.add_member(core, chosen.id, name=name, chat_user_id=slack_id and slack_id.strip(),
                                   role=role, oncall_order=oncall, email=email)
    except FollowUpError as exc:
        _fail(exc.message)
    typer.echo(printable(f"{member.name} is on {chosen.name} as a {member.role}: {_member_how(member)}."))


def _member_how(member) -> str:
    parts = [f"e-mail {member.email}"] if member.email else []
    if roster.is_placeholder(member):
        parts.append("not seen in Slack yet (matched by e-mail the first time they use it)")
    else:
        parts.append(f"chat id {member.chat_user_id}")
    if member.oncall_order is not None:
        parts.append(f"on call #{member.oncall_order}")
    return ", ".join(parts)


@member_app.command("list")
def member_list(team: str = TEAM_OPTION, database: str = DATABASE_OPTION) -> None:
    """The team's people, with role, e-mail, chat id and rotation place."""
    core = bootstrap(database)
    chosen = resolve_team(core, team)
    people = roster.members(core, chosen.id)
    typer.echo(printable(f"{chosen.name}: {len(people)} {'person' if len(people) == 1 else 'people'}"))
    for member in people:
        typer.echo(printable(f"  {member.name}  {member.role}  {_member_how(member)}"))


@member_app.command("set-role")
def member_set_role(
    member: str = typer.Argument(..., help="Name, e-mail or chat id."),
    role: str = typer.Argument(..., help="rep, manager or admin."),
    team: str = TEAM_OPTION,
    database: str = DATABASE_OPTION,
) -> None:
    """Make someone a rep, a manager or an admin."""
    core = bootstrap(database)
    chosen = resolve_team(core, team)
    try:
        typer.echo(roster.set_role(core, chosen.id, member, role))
    except FollowUpError as exc:
        _fail(exc.message)


@member_app.command("remove")
def member_remove(
    member: str = typer.Argument(..., help="Name, e-mail or chat id."),
    team: str = TEAM_OPTION,
    database: str = DATABASE_OPTION,
) -> None:
    """Take someone off the team. Their open leads keep them as owner until reassigned."""
    core = bootstrap(database)
    chosen = resolve_team(core, team)
    try:
        typer.echo(roster.remove_member(core, chosen.id, member))
    except FollowUpError as exc:
        _fail(exc.message)


# ---------------------------------------------------------------- lead check


@lead_app.command("check")
def lead_check(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="ADF/XML, JSON or .eml file."),
    tz: str = typer.Option("America/Chicago", "--tz", help="Zone for ADF request dates without an offset."),
    region: str = typer.Option("US", "--region", help="Country of phone numbers without a country code."),
) -> None:
    """Print, as JSON, exactly what intake would store from FILE, with a `warnings` list of what it had to
    guess or drop (an unreadable date, a phone that is not a number). Touches no database."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"{tz!r} is not a time zone like America/Chicago", param_hint="--tz")
    data = file.read_bytes()
    try:
        leads = parse_any(data, filename=file.name, default_tz=tz)
    except LeadFormatError as exc:
        typer.echo(json.dumps({"error": exc.message, "where": exc.where}, indent=2))
        raise typer.Exit(1)
    now = SystemClock().now()
    stored = [lead_fields(lead, region=region.upper(), now=now) for lead in leads]
    for fields in stored:
        fields["submitted_at"] = fields["submitted_at"].isoformat()
        fields["warnings"] = warning_texts(fields["details"])  # what it had to guess or drop, in words
    typer.echo(json.dumps(stored, indent=2, ensure_ascii=False))


# ---------------------------------------------------------------- history import


@app.command("import")
def import_csv(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A CRM export (.csv) of leads and activities."),
    team: str = typer.Option(None, "--team", help="Team name or id (not needed when there is only one). "
                                                   "With --tz, a team of that name is created if there is none."),
    tz: str = typer.Option(None, "--tz", help="Zone of the file's local times (default: the team's); "
                                              "a team created by this import gets it."),
    mapping: list[str] = typer.Option(None, "--map", help="COLUMN=FIELD for a column the aliases miss, e.g. "
                                                         "'Opp #=lead_id'. Repeatable."),
    database: str = DATABASE_OPTION,
) -> None:
    """Import a CRM's leads and activities as history: counted in figures, never posted or escalated.

    On a new database, `--team NAME --tz ZONE` creates the team first (phones read as US)."""


    pairs: dict[str, str] = {}
    for item in mapping or []:
        column, eq, name = item.rpartition("=")
        if not eq or not column:
            raise typer.BadParameter(f"{item!r}: write COLUMN=FIELD", param_hint="--map")
        pairs[column] = name.strip()
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise typer.BadParameter(f"{tz!r} is not a time zone like America/Chicago", param_hint="--tz")
    core = bootstrap(database)
    created = None
    if team is not None and tz is not None and not _names_a_team(core, team):
        try:
            check_header(file, pairs)  # a file that cannot be imported creates no team
        except CannotImport as exc:
            _fail(f"Cannot import {file.name}: {exc}")
        created = _create_api_team(core, team, tz)
    chosen = resolve_team(core, team)
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description:8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        try:
            report = import_history(core, chosen.id, file, tz=tz, mapping=pairs, progress=progress)
        except CannotImport as exc:
            _fail(f"Cannot import {file.name}: {exc}")
    if created is not None:
        typer.echo(printable(f"Created team #{created.id}: {created.name} ({created.timezone}, phones read as "
                             f"{created.phone_region}); it did not exist."))
    typer.echo(printable(f"Imported {file.name} into {chosen.name}:"))
    for line in report.lines():
        typer.echo(printable(f"  {line}"))
    typer.echo("  columns: " + ", ".join(f"{f}={c!r}" for f, c in report.columns.items()))


def _names_a_team(core: Core, spec: str) -> bool:
    """Whether --team SPEC picks a team, as resolve_team reads it (name in any case, or number)."""
    wanted = " ".join(spec.split()).lower()
    teams = roster.all_teams(core)
    if any(t.name.lower() == wanted for t in teams):
        return True
    return wanted.lstrip("#").isdigit() and any(t.id == int(wanted.lstrip("#")) for t in teams)


def _create_api_team(core: Core, name: str, timezone: str):
    """A team for `chatbot import --team NAME --tz ZONE` on a database that has none by that name.
    A number is never taken for a name (it means a team id): resolve_team then refuses."""
    if " ".join(name.split()).lstrip("#").isdigit():
        return None
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "team"
    try:
        return roster.create_team(core, name=name, platform="api", platform_team_id=slug, timezone=timezone,
                                  phone_region="US")
    except FollowUpError as exc:
        _fail(exc.message)


# ---------------------------------------------------------------- baseline


@app.command("baseline")
def baseline_command(
    team: str = typer.Option(None, "--team", help="Team name or id (not needed when there is only one)."),
    period: str = typer.Option(None, "--period", help="7d, 30d, last-week, this-week or 2026-11-09..2026-11-15 "
                               "(default: the last 7 days, today included)."),
    as_of: str = typer.Option(None, "--as-of", help="Report as if it were this moment (ISO, with offset)."),
    as_json: bool = typer.Option(False, "--json", help="Every figure of docs/METRICS.md under stable keys."),
    as_csv: bool = typer.Option(False, "--csv", help="One row per cohort lead: every figure's inputs and tests."),
    database: str = DATABASE_OPTION,
) -> None:
    """The follow-up figures for a period: what /baseline shows, all of them as JSON, or the
    cohort lead by lead as CSV (the sum of a 0/1 column is the figure)."""
    now = SystemClock().now()
    if as_of:
        try:
            now = datetime.fromisoformat(as_of)
        except ValueError:
            raise typer.BadParameter(f"{as_of!r} is not an ISO time like 2026-11-24T10:00-06:00", param_hint="--as-of")
        if now.tzinfo is None:
            raise typer.BadParameter("give --as-of a UTC offset, e.g. 2026-11-24T10:00-06:00", param_hint="--as-of")
        now = whole_seconds(now)
    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv", param_hint="--csv")
    core = bootstrap(database)
    chosen = resolve_team(core, team)
    try:
        chosen_period = period_for(period, hours_of(chosen), now)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period")
    with transaction(core.engine) as session:
        if as_csv:
            write_csv(sys.stdout, CSV_COLUMNS, cohort_rows(session, chosen, chosen_period, now))
            return
        both = compare(session, chosen, chosen_period, now)
        split = after_hours_split(session, chosen, chosen_period)
    if as_json:
        typer.echo(json.dumps(baseline_document(chosen, both.now, split, now, both.before), indent=2))
    else:
        typer.echo(printable(baseline_text(both.now, chosen.name, before=both.before, split=split)))


@app.command("teams-package")
def teams_package(
    app_id: str = typer.Option(..., "--app-id", envvar="TEAMS_APP_ID", help="The bot's Microsoft Entra app id."),
    host: str = typer.Option(None, "--host", help="Your app's public host (for validDomains), e.g. bot.dealer.com."),
    out: Path = typer.Option(Path("lead-followup-teams.zip"), "--out", help="Where to write the app package."),
) -> None:
    """Write the Teams app package (manifest.json + icons) with your app id, to upload in Teams."""
    from adapters.teams.package import PackageError, write_package

    try:
        written = write_package(out, app_id, host)
    except PackageError as exc:
        _fail(str(exc))
    typer.echo(f"Wrote {written}: upload it in Teams (Apps > Manage your apps > Upload an app).")


@app.command("digest")
def digest_command(
    team: str = typer.Option(None, "--team", help="Team name or id (not needed when there is only one)."),
    week: str = typer.Option(None, "--week", help="The ISO week it covers, e.g. 2026-W46 (default: last week)."),
    out: Path = typer.Option(None, "--out", help="Write the text and the chart's PNG into this folder."),
    post: bool = typer.Option(False, "--post", help="Post it to the team's channel through its chat, now."),
    database: str = DATABASE_OPTION,
) -> None:
    """The weekly digest: last week against the week before and the target, with its chart."""
    from chatbot.core import Work
    from chatbot.escalation import team_jobs
    from chatbot.messaging.ports import Channel, ChatUnavailable
    from chatbot.messaging.render import post_digest
    from chatbot.reports.chart import digest_png
    from chatbot.reports.digest import WeekError, digest_for, last_week, week_monday

    core = bootstrap(database)
    chosen = resolve_team(core, team)
    zone, now = ZoneInfo(chosen.timezone), core.clock.now()
    try:
        label = week or last_week(now, zone)
        week_monday(label)
    except WeekError as exc:
        raise typer.BadParameter(str(exc), param_hint="--week")
    with transaction(core.engine) as session:
        schedule = team_jobs.schedule_of(session, chosen.id)
        # as the team read it the morning it went out (now, for a digest not due yet)
        moment = team_jobs.due_moment(label, team_jobs.DEFAULT if schedule.off else schedule, zone)
        made = digest_for(Work(session, now), chosen.id, label, as_of=min(now, moment))
    typer.echo(printable(made.message.text))  # names customers: no control character reaches the terminal
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        png_file = out / made.filename
        text_file = png_file.with_suffix(".txt")
        text_file.write_text(made.message.text + "\n", encoding="utf-8")
        png_file.write_bytes(digest_png(made))
        typer.echo(f"\nWrote {text_file} and {png_file}")
    if post:
        chat = configured_platforms(core).chat_for(chosen)
        channel = chosen.leads_channel or chosen.managers_channel
        if chat is None or not channel:
            _fail(f"No chat reaches {chosen.name} ({chosen.platform}) from here, or it has no channel: nothing posted.")
        try:
            post_digest(chat, Channel(channel), made)
        except ChatUnavailable as exc:
            _fail(f"The chat did not take it ({exc.error}): nothing posted.")
        typer.echo(f"Posted to {channel}.")


doctor.register(app)  # `chatbot doctor`: entrypoints/doctor.py
operations.register(app, db_app, _settings)  # `chatbot db upgrade`: entrypoints/operations.py
backup.register(app, _settings)  # `chatbot backup`, `chatbot restore`: entrypoints/backup.py
secrets_command.register(app)  # `chatbot secrets new-key|rotate`: entrypoints/secrets_command.py


def main() -> None:
    app()


if __name__ == "__main__":
    main()
