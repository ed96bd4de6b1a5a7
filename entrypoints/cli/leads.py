"""`chatbot lead check` and `chatbot import`: what intake would store from a file, and a CRM's history
of leads and activities brought in for the baseline."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from adapters.console.words import printable
from chatbot.core import Core
from chatbot.domain.clock import SystemClock
from chatbot.intake.detect import parse_any
from chatbot.intake.errors import LeadFormatError
from chatbot.intake.fields import lead_fields
from chatbot.intake.history import CannotImport, check_header, import_history
from chatbot.messaging.views.card import warning_texts
from chatbot.team import roster
from entrypoints.cli.common import DATABASE_OPTION, bootstrap, create_api_team, fail, resolve_team


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
            fail(f"Cannot import {file.name}: {exc}")
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
            fail(f"Cannot import {file.name}: {exc}")
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
    return create_api_team(core, name, timezone)
