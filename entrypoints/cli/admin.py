"""`chatbot team`, `chatbot keys`, `chatbot member`: the teams (rooftops), the intake API keys of lead
providers and CRMs, and the people on a team, before or beside what the chats set up."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from adapters.console.words import printable
from chatbot.errors import FollowUpError
from chatbot.intake import apikeys
from chatbot.intake.rate_limits import DEFAULT_PER_MINUTE
from chatbot.team import roster
from entrypoints.cli.common import DATABASE_OPTION, TEAM_OPTION, bootstrap, create_api_team, fail, resolve_team


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
    team = create_api_team(bootstrap(database), name, timezone, region.upper())
    typer.echo(printable(f"Team #{team.id}: {team.name} ({team.timezone}, phones read as {team.phone_region})."))


def team_list(database: str = DATABASE_OPTION) -> None:
    """Every team, with its id."""
    for team in roster.all_teams(bootstrap(database)):
        typer.echo(printable(f"#{team.id}  {team.name}  {team.platform}  {team.timezone}"))


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
        fail(exc.message)
    typer.echo(printable(f"API key for {made.name} (prefix {made.prefix}); shown once, store it now:"))
    typer.echo(f"  {made.key}")
    if made.hmac_secret:
        typer.echo("HMAC signing secret (X-Signature: sha256=<hex HMAC-SHA256 of the raw body>):")
        typer.echo(f"  {made.hmac_secret}")


def keys_list(team: str = typer.Option(None, "--team", help="Only this team's keys."),
              database: str = DATABASE_OPTION) -> None:
    """Every key by prefix (never the secret)."""
    core = bootstrap(database)
    team_id = resolve_team(core, team).id if team else None
    for key in apikeys.list_keys(core, team_id):
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M} UTC" if key.revoked_at else "active"
        typer.echo(printable(f"{key.prefix}  {key.team_name}  {key.name}  "
                             f"{'signed' if key.signed else 'unsigned'}  "
                             f"{_rate(key.rate_per_minute)}  created {key.created_at:%Y-%m-%d %H:%M} UTC  {state}"))


def _rate(per_minute: int | None) -> str:
    return f"{per_minute or DEFAULT_PER_MINUTE:,}/min" + ("" if per_minute else " (default)")


def keys_revoke(prefix: str = typer.Argument(..., help="The key's prefix, as `keys list` shows it."),
                database: str = DATABASE_OPTION) -> None:
    """Stop a key working at once."""
    try:
        key = apikeys.revoke_key(bootstrap(database), prefix)
    except apikeys.UnknownKey as exc:
        fail(exc.message)
    typer.echo(printable(f"Revoked {key.prefix} ({key.name}, {key.team_name})."))


def keys_rate(prefix: str = typer.Argument(..., help="The key's prefix, as `keys list` shows it."),
              per_minute: str = typer.Argument(..., help="Requests a minute it may make (1 to 100,000), or "
                                                          "'default'."),
              database: str = DATABASE_OPTION) -> None:
    """How many requests a minute a key may make; past it the intake answers 429 with Retry-After."""
    wanted = per_minute.strip().lower().replace(",", "").removesuffix("/min")
    if wanted != "default" and not wanted.isdigit():
        fail(f"'{per_minute}' is not a number of requests a minute (or 'default').")
    try:
        key = apikeys.set_rate(bootstrap(database), prefix, None if wanted == "default" else int(wanted))
    except FollowUpError as exc:
        fail(exc.message)
    typer.echo(printable(f"{key.prefix} ({key.name}, {key.team_name}) may make {_rate(key.rate_per_minute)}."))


SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


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
        fail(f"{slack_id!r} is not a Slack member id like U0123ABCD (in Slack: their profile, ⋮, Copy member ID).")
    core = bootstrap(database)
    chosen = resolve_team(core, team)
    try:
        member = roster.add_member(core, chosen.id, name=name, chat_user_id=slack_id and slack_id.strip(),
                                   role=role, oncall_order=oncall, email=email)
    except FollowUpError as exc:
        fail(exc.message)
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


def member_list(team: str = TEAM_OPTION, database: str = DATABASE_OPTION) -> None:
    """The team's people, with role, e-mail, chat id and rotation place."""
    core = bootstrap(database)
    chosen = resolve_team(core, team)
    people = roster.members(core, chosen.id)
    typer.echo(printable(f"{chosen.name}: {len(people)} {'person' if len(people) == 1 else 'people'}"))
    for member in people:
        typer.echo(printable(f"  {member.name}  {member.role}  {_member_how(member)}"))


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
        fail(exc.message)


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
        fail(exc.message)
