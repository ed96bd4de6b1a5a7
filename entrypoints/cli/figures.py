"""`chatbot baseline` and `chatbot digest`: the follow-up figures and the weekly digest, built by the
same core functions as `/baseline` and the digest (chatbot/commands), each in one unit of work."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import typer

from adapters.console.words import printable
from chatbot.commands.digest import digest_as_sent
from chatbot.commands.reports import cohort, period_figures
from chatbot.core import run
from chatbot.domain.clock import ManualClock, SystemClock, whole_seconds
from chatbot.reports.baseline_json import baseline_document
from chatbot.reports.cohort import CSV_COLUMNS
from chatbot.reports.periods import PeriodError
from chatbot.reports.spreadsheet import write_csv
from entrypoints.cli.common import DATABASE_OPTION, TEAM_OPTION, bootstrap, fail, resolve_team


def baseline(
    team: str = TEAM_OPTION,
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
    core = bootstrap(database, ManualClock(now))  # the figures are as of that moment
    chosen = resolve_team(core, team)
    try:
        if as_csv:
            write_csv(sys.stdout, CSV_COLUMNS, run(core, cohort, chosen.id, period))
            return
        shown = run(core, period_figures, chosen.id, period)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period")
    if as_json:
        typer.echo(json.dumps(baseline_document(shown.team, shown.figures.now, shown.split, now,
                                                shown.figures.before), indent=2))
    else:
        typer.echo(printable(shown.text(shown.team.name)))


def digest(
    team: str = TEAM_OPTION,
    week: str = typer.Option(None, "--week", help="The ISO week it covers, e.g. 2026-W46 (default: last week)."),
    out: Path = typer.Option(None, "--out", help="Write the text and the chart's PNG into this folder."),
    post: bool = typer.Option(False, "--post", help="Post it to the team's channel through its chat, now."),
    database: str = DATABASE_OPTION,
) -> None:
    """The weekly digest: last week against the week before and the target, with its chart."""
    from chatbot.messaging.ports import Channel, ChatUnavailable
    from chatbot.messaging.render import post_digest
    from chatbot.reports.chart import digest_png
    from chatbot.reports.digest import WeekError
    from entrypoints.cli.serve import configured_platforms

    core = bootstrap(database)
    chosen = resolve_team(core, team)
    try:
        made = run(core, digest_as_sent, chosen.id, week)
    except WeekError as exc:
        raise typer.BadParameter(str(exc), param_hint="--week")
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
            fail(f"No chat reaches {chosen.name} ({chosen.platform}) from here, or it has no channel: nothing posted.")
        try:
            post_digest(chat, Channel(channel), made)
        except ChatUnavailable as exc:
            fail(f"The chat did not take it ({exc.error}): nothing posted.")
        typer.echo(f"Posted to {channel}.")
