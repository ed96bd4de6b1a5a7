"""Teams' words and markup, translated at the edge so the core never sees them.

In: a message's `<at>Name</at>` mentions (with their `mention` entities) become '@<chat id>',
the bot's own mention is taken out, and HTML Teams wraps around text is dropped. Out: the
phrasebook says how things are done in Teams (react to the card or press Claim; commands are
typed after @mentioning the bot, or on their own in its personal chat), and each kind of text
Teams shows has one escape that every text from the core's views goes through: `literal` for
Adaptive Card TextBlocks and facts (markdown), `literal_xml` for messages sent as
`textFormat: xml` (a notice that @mentions someone), `literal_plain` for plain messages,
notification summaries and input labels.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from chatbot.messaging.phrasebook import Phrasebook

TAG = re.compile(r"<[^>]+>")
ZWSP = "\u200b"  # zero-width space: invisible, but no link or card function runs across it
MARKDOWN = re.compile(r"([\\*_\[\]`~])")  # TextBlock markdown: bold, italic, links, code, strike
LINE_START = re.compile(r"^(\s*)(?:([#>+-])|(\d+)\.)", re.MULTILINE)  # headings, quotes, lists
# '{{' opens a card function (DATE, TIME); 'http://' and 'www.' make Teams draw a link
INERT = re.compile(r"(?<=\{)|(?<=:)(?=//)|(?<=\bwww)(?=\.)", re.IGNORECASE)
AT = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class TeamsPhrasebook(Phrasebook):
    def command(self, line: str) -> str:
        """'leads all' in quotes: typed after @mentioning the bot, or alone in its personal chat."""
        return f"'{line}'"


PHRASES = TeamsPhrasebook(claim="React to the card or press Claim to claim it.",
                          claim_card="React to this message or press Claim.", command_prefix="/",
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


def literal_plain(text: str | None) -> str:
    """A text shown as typed where Teams formats nothing itself (a plain message, a summary, an
    input's label) but still runs card functions and turns addresses into links: a zero-width
    space after each `{` and after `http:` and `www` stops both, and is invisible."""
    return INERT.sub(ZWSP, text or "")


def literal(text: str | None) -> str:
    """A text shown as typed in an Adaptive Card TextBlock or fact (markdown): no link,
    formatting, list, heading or card function. Every text from the core's views (a customer's
    name, a rep's lost reason, our own sentences around them) goes through here; the renderer
    adds only its own markup around it."""
    escaped = MARKDOWN.sub(r"\\\1", text or "")
    escaped = LINE_START.sub(lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\."),
                             escaped)
    return literal_plain(escaped)


def literal_xml(text: str | None) -> str:
    """A text shown as typed in a message sent as `textFormat: xml` (a notice with an <at>
    mention): `<`, `>`, `&` and quotes as entities, so `<b>` or `<at>` someone typed is shown,
    not drawn."""
    return literal_plain(html.escape(text or "", quote=True))
