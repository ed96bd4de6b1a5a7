"""Slack's words and markup, translated at the edge so the core never sees them.

In: mention markup `<@U123|sam>` becomes `@U123` and channel markup `<#C123|leads>` becomes
`C123` before text reaches a core command. Out: the phrasebook says how things are done in
Slack (react to the card; commands that have no slash command of their own go through
`/followup`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatbot.messaging.phrasebook import Phrasebook

SLASH_COMMANDS = ("/leads", "/baseline", "/stalled", "/oncall", "/followup")
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class SlackPhrasebook(Phrasebook):
    def command(self, line: str) -> str:
        """'/leads all' for a slash command of its own, '/followup reps' for the rest."""
        name = "/" + line.split(" ", 1)[0]
        return f"/{line}" if name in SLASH_COMMANDS else f"/followup {line}"


PHRASES = SlackPhrasebook(claim="React to the card to claim it.")


def mentioned_users(text: str) -> list[str]:
    return MENTION.findall(text or "")


def to_core_text(text: str) -> str:
    """What a person typed, with Slack's markup turned into what the core reads."""
    text = MENTION.sub(lambda m: f"@{m.group(1)}", text or "")
    return CHANNEL.sub(lambda m: m.group(1), text)
