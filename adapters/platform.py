"""The seam a chat platform plugs into: one object per platform, which the entry points iterate.

Each chat adapter exports one `ChatPlatform` (adapters/slack/plugin.py: SLACK, adapters/teams/plugin.py:
TEAMS) and entrypoints/platforms.py lists them. From that object alone the entry points know the
platform's variables (its pydantic-settings class, composed into entrypoints.config.Settings and the
README's table), whether they configure it, how it reaches a team's chat (`register`, into the core's
Platforms registry), its web routes (`mount`), a connection it opens itself instead (`connection`:
Slack's Socket Mode), its `chatbot doctor` checks, the secrets the logs and the doctor mask (and,
for entrypoints/logs.py, its SDK's loggers and the shape of its tokens), and any `chatbot` command
of its own. Adding a chat is one folder under adapters/ and one line in that list.

The console is not one: it is what `chatbot run` starts when no platform is configured, and it shows
its own messages. A plugin imports its SDK only inside its methods, so listing it costs nothing.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic_settings import BaseSettings

if TYPE_CHECKING:
    from chatbot.core import Core
    from chatbot.messaging.platforms import Platforms

SECRET = {"secret": True}
"""A settings field's `json_schema_extra` when its value must never be printed (a token, a password)."""


class Findings(Protocol):
    """What `chatbot doctor` writes a platform's lines into: one line each, ✓, ✗ or – (not checked)."""

    def ok(self, check: str, text: str) -> None: ...

    def bad(self, check: str, text: str) -> None: ...

    def skip(self, check: str, text: str) -> None: ...


class Probe(Protocol):
    """What `chatbot doctor` found before the platforms' checks run."""

    engine: Any  # the database's engine, or None when it could not be made
    core: Any  # a Core on it once the schema is at the newest migration, else None
    migrated: bool
    secrets: list[str]  # values to mask in the report: a check adds the tokens it reads
    options: dict[str, Any]  # what a test gives a check (e.g. Teams' token provider factory)


class ChatPlatform(ABC):
    """One chat platform, as the entry points see it. Subclasses set the class attributes and implement
    `configured` and `register`; every other hook has a default for a platform with nothing to add there."""

    name: ClassVar[str]
    """Its `Team.platform`: the registry's key, e.g. "slack"."""
    title: ClassVar[str]
    """How people name it, e.g. "Slack": the doctor's line for it."""
    settings: ClassVar[type[BaseSettings]]
    """Its variables, each field with a `description` (the README's table) and SECRET when secret."""
    switch: ClassVar[str]
    """The variable that turns it on, for "no chat configured" (e.g. SLACK_BOT_TOKEN)."""
    how_to_configure: ClassVar[str]
    """The variables that configure it, e.g. "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for Slack"."""
    reinstall: ClassVar[str]
    """What to do when a rooftop's chat refuses us for good (the app was removed)."""
    sdk_loggers: ClassVar[tuple[str, ...]] = ()
    """Its SDK's loggers, which log request bodies at DEBUG: the logs keep them at WARNING."""
    token_shapes: ClassVar[tuple[tuple[re.Pattern[str], str], ...]] = ()
    """(pattern, replacement) for the shape of its tokens: the logs mask any a library quotes."""
    shown_defaults: ClassVar[dict[str, str]] = {}
    """A default as the README's table says it, where the field's own default is not what applies."""

    @abstractmethod
    def configured(self, settings: Any) -> bool:
        """Do these settings turn the platform on?"""

    @abstractmethod
    def register(self, platforms: Platforms, core: Core, settings: Any) -> None:
        """Give the registry this platform's ChatFor (called only when configured)."""

    def start_problem(self, settings: Any) -> str | None:
        """Why a process must not start with these settings, in one sentence; None: it may."""
        return None

    def not_ready(self, settings: Any) -> str | None:
        """Why a deployment with these settings must not be called ready (/readyz stays red), or None."""
        return None

    def mount(self, web: Any, core: Core, settings: Any) -> None:
        """Add its routes to the web app (a FastAPI app; called only when configured)."""

    def connection(self, core: Core, settings: Any) -> Callable[[], None] | None:
        """A connection the platform opens itself, run instead of the web app (blocks until stopped);
        None: it is served over HTTP."""
        return None

    def setting_problems(self, settings: Any) -> list[str]:
        """What is wrong with its variables, one sentence each, for the doctor's configuration line."""
        return []

    def check(self, findings: Findings, probe: Probe, settings: Any) -> None:
        """Its doctor checks (called only when configured): its credentials work."""

    def keeps_tokens(self, settings: Any) -> bool:
        """Does it keep chat tokens in the database, sealed with SECRET_KEYS (Slack's OAuth installs)?"""
        return False

    def sealed_columns(self) -> dict[str, tuple[str, ...]]:
        """The database columns (table -> columns) where it keeps credentials sealed with SECRET_KEYS, for
        `chatbot secrets rotate` and the doctor's secret keys line."""
        return {}

    def commands(self, app: Any) -> None:
        """Add its own `chatbot` commands to the CLI (a typer app)."""

    def secrets(self, settings: Any) -> tuple[str, ...]:
        """The values the logs and the doctor mask: its fields marked SECRET that are set."""
        values = (getattr(settings, name) for name in secret_fields(type(settings)))
        return tuple(v for v in values if v)


def secret_fields(settings_class: type[BaseSettings]) -> tuple[str, ...]:
    """The names of a settings class's fields marked SECRET."""
    return tuple(name for name, field in settings_class.model_fields.items()
                 if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("secret"))


def first_line(exc: BaseException) -> str:
    """An exception in a few words: the driver's own message when there is one, its first line."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()
    first = text[0].strip() if text else ""
    return f"{type(inner).__name__}: {first}"[:300] if first else type(inner).__name__

