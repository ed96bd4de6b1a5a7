"""Platform-neutral messages: what the bot says, not how Slack or Teams draws it.

Adapters render these dataclasses (Block Kit, Adaptive Cards, a terminal panel); the texts in
them are composed in this package's modules, one per feature, once, so they are short, specific
and the same on every platform: card.py (the lead card and its due line), work.py (what a rep
hears after working a lead), escalations.py (the ladder's steps, moves and lapses), morning.py
(the managers' morning summary), baseline.py, stalled.py, oncall.py (and the on-call handoff),
ladder.py (/followup ladder), parked.py (a rooftop whose chat refuses us), and formatting.py (the
wording they share). /away's and /back's answers live with availability in
chatbot/team/availability.py.

Every text here is plain text, with no markup of any platform, and most hold words from outside
(a customer's name, a provider's source, a rep's note or lost reason). So a renderer shows each
one exactly as it reads: it puts it through its platform's one escape (adapters/*/words.py
`literal`) and adds only its own markup around it (bold labels, mentions by chat id, links it
builds itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chatbot.store.models import LeadStatus


@dataclass(frozen=True)
class DueLine:
    what: str
    at: datetime
    overdue: bool
    text: str


@dataclass(frozen=True)
class LeadCard:
    """The lead's message in the team channel, updated in place as the lead moves."""

    lead_id: int
    title: str
    customer_name: str
    phone: str | None  # E.164, for a tap-to-call link
    phone_display: str | None
    email: str | None
    vehicle: str
    source: str
    asked: str  # "asked 3 min ago (Tue 10:02)"
    comments: str | None
    playbook: str
    status: str
    owner_name: str | None
    owner_user_id: str | None
    facts: list[str] = field(default_factory=list)  # "claimed in 1 min", "first contact in 4 min 10s", "2 attempts"
    due: DueLine | None = None
    returning: str | None = None
    closed: str | None = None
    reps: tuple[tuple[str, str], ...] = ()  # (chat user id, name) of who it can be handed to
    offers: frozenset[str] = frozenset()  # the card actions (rules.Act values) that apply now
    # What intake guessed or dropped: "phone given: abc, not a number", "the provider's date ..."
    warnings: tuple[str, ...] = ()
    phone_given: str | None = None  # a phone that is not a number, as given: shown, never dialled
    email_given: str | None = None  # an e-mail that is not an address, as given: shown, never linked
    no_contact: str | None = None  # "no phone or e-mail given", when nothing at all was given

    @property
    def is_open(self) -> bool:
        return self.status == LeadStatus.OPEN


@dataclass(frozen=True)
class Notice:
    """A short message to a person or a channel; `mention` is a chat user id to address.

    `hint` names a phrase of the platform's phrasebook (chatbot.messaging.phrasebook) that the
    renderer adds, e.g. "claim": how to claim a lead on that platform. `take`: an escalation
    notice for someone other than the lead's owner, so a chat may add a "Take it" control
    (chatbot.leads.actions.TAKE_ACTION) for `lead_id`.
    """

    text: str
    mention: str | None = None
    lead_id: int | None = None
    hint: str | None = None
    take: bool = False


@dataclass(frozen=True)
class RowAction:
    """A control on one row of a report (a lead's Nudge or Reassign). A chat draws a button or
    a menu; the console names `command`, which does the same."""

    act: str  # "nudge" or "reassign" (chatbot.ladder.rules.Act value)
    lead_id: int
    label: str
    command: str  # in the platform's words: "/nudge 12", "/reassign 12 @rep"
    choices: tuple[tuple[str, str], ...] = ()  # reassign: (chat user id, name) of who can take it


@dataclass(frozen=True)
class CardRef:
    """Where a lead's card is in chat (channel and message id), for a link where the chat has one."""

    channel: str
    message_id: str


@dataclass(frozen=True)
class Table:
    """Rows a renderer may draw as a table (terminal) or as one line each (chat on a phone).

    Optional, for reports managers act on: a `title` above it, per row the `actions` (a tuple
    per row) and the `cards` the rows are about, and `more` (how to see the rows not shown).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str | None = None
    actions: tuple[tuple[RowAction, ...], ...] = ()
    cards: tuple[CardRef | None, ...] = ()
    more: str | None = None

    def lines(self) -> list[str]:
        """The table as plain lines: title, one line per row (cells joined with ' · '), more."""
        return ([self.title] if self.title else []) + [" · ".join(row) for row in self.rows] + (
            [self.more] if self.more else [])


@dataclass(frozen=True)
class Reply:
    """A command's answer to the person who typed it.

    `refused`: nothing was done, and `lines` say why and what works. `share`: the command line
    that recomputes this answer, when the channel may want to see it (reports). `tables`: more
    tables after `table` (a report's sections), each with its own title.
    """

    lines: tuple[str, ...]
    table: Table | None = None
    refused: bool = False
    share: str | None = None
    tables: tuple[Table, ...] = ()

    @property
    def all_tables(self) -> tuple[Table, ...]:
        return ((self.table,) if self.table else ()) + self.tables

    @property
    def text(self) -> str:
        """Everything as plain lines (table rows joined with ' · ')."""
        return "\n".join([*self.lines, *(line for table in self.all_tables for line in table.lines())])
