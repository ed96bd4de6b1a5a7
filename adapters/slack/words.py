"""Slack's words and markup, translated at the edge so the core never sees them.

In: mention markup `<@U123|sam>` becomes `@U123` and channel markup `<#C123|leads>` becomes
`C123` before text reaches a core command. Out: the phrasebook says how things are done in
Slack (react to the card; commands that have no slash command of their own go through
`/followup`), and `literal` is the one escape every text from the core's views goes through
before it reaches mrkdwn (blocks, a message's `text`, modals, the Home tab, ephemeral answers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatbot.messaging.phrasebook import Phrasebook

SLASH_COMMANDS = ("/leads", "/baseline", "/stalled", "/oncall", "/followup")
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")
ZWSP = "\u200b"  # zero-width space: invisible, but no formatting or link runs across it
# bold, italic, strike at a word's edge (inside a word, as in first_last@example.com, Slack draws
# none), and code anywhere
FORMATTING = re.compile(r"(`|(?<!\w)[*_~]|[*_~](?!\w))")
AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=\bwww)(?=\.)", re.IGNORECASE)  # 'http://...', 'www.'


@dataclass(frozen=True)
class SlackPhrasebook(Phrasebook):
    def command(self, line: str) -> str:
        """'/leads all' for a slash command of its own, '/followup reps' for the rest."""
        name = "/" + line.split(" ", 1)[0]
        return f"/{line}" if name in SLASH_COMMANDS else f"/followup {line}"


PHRASES = SlackPhrasebook(claim="React to the card to claim it.", claim_card="React to this message to claim it.")


def mentioned_users(text: str) -> list[str]:
    return MENTION.findall(text or "")


def to_core_text(text: str) -> str:
    """What a person typed, with Slack's markup turned into what the core reads."""
    text = MENTION.sub(lambda m: f"@{m.group(1)}", text or "")
    return CHANNEL.sub(lambda m: m.group(1), text)


def literal(text: str) -> str:
    """A text shown exactly as it was typed in Slack's mrkdwn: no mention, link, formatting.

    Every text the core's views hold is plain (a customer's name, a rep's lost reason, our own
    sentences around them): a renderer puts it through here and adds only its own markup around
    it. Slack's three control characters become entities (its documented rule), so `<!channel>`,
    `<@U1>` and `<http://x|y>` show as typed; mrkdwn has no escape for `*_~` and backticks, so a
    zero-width space on each side of one at a word's edge (of a backtick anywhere) keeps it from
    opening or closing a style: Slack formats only at a word's edge, and neither side of the
    character is one then; inside a word (first_last@example.com) it is left as typed, so a copied
    address still works. One after `http:` and `www` keeps a typed address from becoming a link."""
    text = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return AUTOLINK.sub(ZWSP, FORMATTING.sub(ZWSP + r"\1" + ZWSP, text))
