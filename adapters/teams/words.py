"""Teams' words and markup, translated at the edge so the core never sees them.

In: a message's `<at>Name</at>` mentions (with their `mention` entities) become '@<chat id>',
the bot's own mention is taken out, and HTML Teams wraps around text is dropped. Out: the
phrasebook says how things are done in Teams (react to the card or press Claim; commands are
typed after @mentioning the bot, or on their own in its personal chat).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from chatbot.messaging.phrasebook import Phrasebook

TAG = re.compile(r"<[^>]+>")
AT = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class TeamsPhrasebook(Phrasebook):
    def command(self, line: str) -> str:
        """'leads all' in quotes: typed after @mentioning the bot, or alone in its personal chat."""
        return f"'{line}'"


PHRASES = TeamsPhrasebook(claim="React to the card or press Claim to claim it.", command_prefix="/",
                          reinstall="To resume, add the app to the team again in Teams (Apps, Manage your apps, "
                                    "Lead follow-up, Add to a team) and pick the channel for new leads.")


def to_core_text(text: str | None, entities: list | None, bot_id: str | None) -> str:
    """What a person typed, as the core reads it: the bot's mention out, other people's as '@<id>'."""
    text = text or ""
    for entity in entities or []:
        data = entity if isinstance(entity, dict) else entity.model_dump(by_alias=True, exclude_none=True)
        if data.get("type") != "mention":
            continue
        who = data.get("mentioned") or {}
        mentioned = who.get("id")
        replacement = "" if mentioned == bot_id else f" @{mentioned} " if mentioned else None
        if replacement is None:
            continue
        # the entity's text, or (Teams is not always consistent) <at>Name</at> with the mentioned name
        for shown in (data.get("text"), f"<at>{who.get('name')}</at>" if who.get("name") else None):
            if shown and shown in text:
                text = text.replace(shown, replacement, 1)
                break
    text = AT.sub("", text)  # a mention without an entity: not a person we can name
    text = html.unescape(TAG.sub(" ", text)).replace("\u00a0", " ")
    return " ".join(text.split())
