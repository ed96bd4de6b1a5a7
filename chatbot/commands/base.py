"""What every command handler gets: who asked, the words after the command, the platform's words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chatbot.core import Work
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.views import Reply


@dataclass(frozen=True)
class Caller:
    """Who typed the command: their team and their chat user id there."""

    team_id: int
    user_id: str


Handler = Callable[[Work, Caller, list[str], Phrasebook], Reply]


def say(*lines: str, share: str | None = None) -> Reply:
    return Reply(lines=tuple(lines), share=share)
