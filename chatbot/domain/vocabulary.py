"""The dealership's words for a lead's states, a person's roles and what a rep does to a lead."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


class LeadStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class TouchKind(StrEnum):
    CALL = "call"
    TEXT = "text"
    EMAIL = "email"
    APPOINTMENT = "appointment"
    NOTE = "note"

    @property
    def is_attempt(self) -> bool:
        """Calls, texts, e-mails and appointments are contact attempts; notes are not."""
        return self is not TouchKind.NOTE


class LoggedVia(StrEnum):
    BUTTON = "button"
    REACTION = "reaction"
    COMMAND = "command"
    WEBHOOK = "webhook"
    IMPORT = "import"
