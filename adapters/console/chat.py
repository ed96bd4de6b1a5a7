"""The chat port for a terminal: cards as panels, updates and notices as one-liners.

Every text from the core's views is printed as it was typed (words.literal): `[b]` or
`[link=...]` in a customer's name is shown, not drawn."""

from __future__ import annotations

import tempfile
from itertools import count
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from adapters.console.words import literal
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.ports import Channel, ChatUnavailable, Destination, Direct, MessageRef, Thread
from chatbot.messaging.views import LeadCard, Notice

PHRASES = Phrasebook(claim="React to the card (/react N) or /claim N to take it.")


class ConsoleChat:
    """Prints what a Slack or Teams channel would show. `down = True` simulates an outage."""

    def __init__(self, console: Console, names: dict[str, str] | None = None) -> None:
        self.console = console
        self.names = names or {}  # chat user id -> display name, for mentions
        self.down = False
        self._ids = count(1)
        self.cards: dict[str, int] = {}  # message id -> lead id

    def post(self, to: Destination, view: object) -> MessageRef:
        self._check_up()
        if isinstance(view, LeadCard):
            channel = to.channel if isinstance(to, Channel) else "leads"
            ref = MessageRef(channel, f"m{next(self._ids)}")
            self.cards[ref.message_id] = view.lead_id
            self.console.print(card_panel(view, channel), soft_wrap=False)  # a long line wraps in the panel
            return ref
        assert isinstance(view, Notice)
        text = self._text(view)
        if isinstance(to, Thread):
            self.console.print(literal(f"  ↳ #{view.lead_id} thread: {text}"))
            return MessageRef(to.parent.channel, f"m{next(self._ids)}")
        if isinstance(to, Direct):
            self.console.print(literal(f"  ✉ to {self.names.get(to.user_id, to.user_id)}: {text}"))
            return MessageRef(to.user_id, f"m{next(self._ids)}")
        self.console.print(literal(f"  {to.channel}: {text}"))
        return MessageRef(to.channel, f"m{next(self._ids)}")

    def update(self, ref: MessageRef, view: object) -> None:
        self._check_up()
        assert isinstance(view, LeadCard)
        self.console.print(literal(f"  ↻ card #{view.lead_id} {card_summary(view)}"))

    def upload(self, to: Channel, view: object, png: bytes, filename: str) -> MessageRef:
        """The weekly digest as a panel; its chart is written to a file whose path is printed."""
        self._check_up()
        folder = Path(tempfile.gettempdir()) / "chatbot-digests"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / filename
        path.write_bytes(png)
        body = literal("\n".join([*getattr(view, "lines", ()), "", f"Chart: {path}"]))
        title = literal(f"{to.channel} · {getattr(view, 'title', '')}")
        self.console.print(Panel(body, title=title, title_align="left", expand=False))
        return MessageRef(to.channel, f"m{next(self._ids)}")

    def _text(self, notice: Notice) -> str:
        text = " ".join(part for part in (notice.text, PHRASES.hint(notice.hint)) if part)
        if notice.mention:
            return f"@{self.names.get(notice.mention, notice.mention)} {text}"
        return text

    def _check_up(self) -> None:
        if self.down:
            raise ChatUnavailable("console chat is down (/chat down)")


def card_summary(card: LeadCard, *, due: bool = True) -> str:
    owner = f"{card.owner_name} owns it" if card.owner_name else "unclaimed"
    parts = [card.closed] if card.closed else [owner, *card.facts]
    if card.due and due:
        parts.append(card.due.text)
    return " · ".join(parts)


def card_panel(card: LeadCard, channel: str) -> Panel:
    body = Text()
    body.append(literal(f"{card.vehicle}\n", style="bold"))
    contact = " · ".join(p for p in (card.phone_display, card.email) if p) or card.no_contact
    if contact:
        body.append(literal(contact + "\n"))
    body.append(literal(f"{card.source} · {card.asked}\n"))
    for warning in card.warnings:
        body.append(literal(f"⚠ {warning}\n", style="yellow"))
    if card.returning:
        body.append(literal(card.returning + "\n", style="yellow"))
    if card.comments:
        body.append(literal(f"“{card.comments}”\n", style="italic"))
    body.append(literal(card.playbook + "\n", style="dim"))
    body.append(literal(card_summary(card, due=False)))
    if card.due:  # what is due next, on a line of its own
        body.append(literal(f"\n{card.due.text}", style="bold red" if card.due.overdue else "bold"))
    return Panel(body, title=literal(f"{channel} · {card.title}"), title_align="left", expand=False)
