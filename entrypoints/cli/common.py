"""What every `chatbot` command shares: the settings, the core, a refusal, and which team a command means.

Which team a command means (`resolve_team`): --team NAME matches a team's name exactly,
ignoring case (or its number); with no --team, the one team that is not the console's. The
console's own team ("Demo Motors (console)") is only ever picked by its name or number.
"""

from __future__ import annotations

import re
from typing import NoReturn

import typer
from pydantic import ValidationError

from adapters.console.words import printable
from chatbot.core import Core
from chatbot.core import bootstrap as bootstrap_core
from chatbot.errors import FollowUpError
from chatbot.secret_keys import SecretKeyError
from chatbot.team import roster
from entrypoints import config

DATABASE_OPTION = typer.Option(None, "--database-url", help="Overrides DATABASE_URL.")
TEAM_OPTION = typer.Option(None, "--team", help="Team name or id (not needed when there is only one).")
CONSOLE_PLATFORM = "console"


def settings() -> config.Settings:
    """The configuration (environment, then .env); a value that cannot be read is one line and exit 1."""
    try:
        return config.load()
    except ValidationError as exc:
        wrong = ", ".join(".".join(str(p) for p in e["loc"]).upper() for e in exc.errors())
        fail(f"Cannot read the configuration ({wrong}): `chatbot doctor` says what is wrong.")


def bootstrap(database: str | None = None, clock=None, *, migrate: bool = True) -> Core:
    """The core on --database-url, else DATABASE_URL (environment or .env), else the SQLite file.
    A migration that cannot encrypt stored tokens (no SECRET_KEYS) is one line and exit 1."""
    chosen = settings()
    try:
        return bootstrap_core(database or chosen.database_url, clock, migrate=migrate,
                              secret_keys=chosen.secret_keys)
    except SecretKeyError as error:
        fail(str(error))


def fail(message: str) -> NoReturn:
    typer.echo(printable(message), err=True)  # a refusal may quote a name as typed
    raise typer.Exit(1)


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
            fail("No team yet. Create one: chatbot team create --name 'Demo Motors' --timezone America/Chicago"
                 + (" (the console's own team is used only when named with --team)." if teams else ""))
        fail("Say which team with --team: " + ", ".join(f"{t.name} (#{t.id})" for t in candidates) + ".")
    wanted = " ".join(spec.split()).lower()
    named = [t for t in teams if t.name.lower() == wanted]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        fail(f"{len(named)} teams are called {spec!r}: say which by number, "
             + ", ".join(f"--team {t.id} ({t.platform})" for t in named) + ".")
    if wanted.lstrip("#").isdigit():
        for team in teams:
            if team.id == int(wanted.lstrip("#")):
                return team
    others = f" (teams here: {', '.join(f'{t.name} #{t.id}' for t in teams)})" if teams else ""
    fail(f"No team called {spec!r}. Create it first: chatbot team create --name {spec!r} "
         f"--timezone America/Chicago{others}")


def create_api_team(core: Core, name: str, timezone: str, region: str = "US"):
    """A team that takes leads over HTTP only (platform "api"), its id made from its name. A name
    already taken is one line and exit 1."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "team"
    try:
        return roster.create_team(core, name=name, platform="api", platform_team_id=slug, timezone=timezone,
                                  phone_region=region)
    except FollowUpError as exc:
        fail(exc.message)
