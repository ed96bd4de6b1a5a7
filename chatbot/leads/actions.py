"""The lead card's actions: one list, for every chat and for the console's commands.

Each `CardAction` says what it is and how it is presented: its label, what it asks for, where
it stands (the first row: claim it and work it; the second: end it or move it), its style, and
the words around it (a confirmation, a form's heading and question, a placeholder, the button
that runs it). A renderer only maps these to its platform's controls (Block Kit in
adapters/slack/blocks.py, Adaptive Cards in adapters/teams/cards.py); a command names the same
actions. `perform` runs one as a person: who may do what is decided in rules.py, once.

Texts that hold `{name}` (the customer) and `{lead_id}` are filled in by the renderer, which
shows the customer's name through its platform's escape.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chatbot.core import Work
from chatbot.errors import FollowUpError
from chatbot.ladder.rules import Act
from chatbot.leads import ownership, touches
from chatbot.store.models import LoggedVia

CALL_OUTCOMES = ("reached", "voicemail", "no answer")
OUTCOME_WORDS = {"reached": "reached", "spoke": "reached", "talked": "reached", "answered": "reached",
                 "voicemail": "voicemail", "vm": "voicemail", "left voicemail": "voicemail",
                 "no answer": "no answer", "no-answer": "no answer", "noanswer": "no answer", "na": "no answer"}
MAX_TEXT = 500


class ActionError(FollowUpError):
    """An action's detail is missing or unreadable; nothing was done."""


class Row(StrEnum):
    """Where a chat draws an action on the card."""

    PRIMARY = "primary"  # the work on the lead: claim it, log attempts and notes
    SECONDARY = "secondary"  # what ends or moves it: won, lost, release, reassign


class Style(StrEnum):
    POSITIVE = "positive"  # what the card most wants done now (Claim; "Take it" on a notice)
    DANGER = "danger"  # ends the lead for good (Lost)


@dataclass(frozen=True)
class CardAction:
    act: Act
    label: str
    asks: str | None = None  # what it needs from the person: "outcome", "note", "reason" or "rep"
    choices: tuple[str, ...] = ()
    row: Row = Row.PRIMARY
    style: Style | None = None
    confirm: str | None = None  # asked once more before it runs, for acts a mis-tap would undo work for
    heading: str | None = None  # the title of its confirmation or of the form that asks
    prompt: str | None = None  # what it asks for, as the form or the input says it
    placeholder: str | None = None  # an example of what to type or pick, shown in the empty input
    submit: str | None = None  # the button that runs it once it has asked or confirmed
    missing: str | None = None  # what a person is told who leaves what it asks for empty
    explains: str | None = None  # what pressing it does, where a chat shows that beside the button


CARD_ACTIONS: tuple[CardAction, ...] = (
    CardAction(Act.CLAIM, "Claim", style=Style.POSITIVE),
    CardAction(Act.CALL, "Call", asks="outcome", choices=CALL_OUTCOMES, prompt="How did the call go?",
               submit="Log call"),
    CardAction(Act.TEXT, "Text"),
    CardAction(Act.EMAIL, "E-mail"),
    CardAction(Act.APPOINTMENT, "Appointment"),
    CardAction(Act.NOTE, "Note", asks="note", heading="Add a note",
               prompt="A note on {name} (lead #{lead_id}). Notes are not counted as attempts.",
               placeholder="customer's wife called back, wants a trade-in quote", submit="Save note",
               missing="A note needs text, e.g. customer's wife called back."),
    CardAction(Act.WON, "Won", row=Row.SECONDARY, heading="Close as won?",
               confirm="{name} is closed won and its timers stop.", submit="Close as won"),
    CardAction(Act.LOST, "Lost", asks="reason", row=Row.SECONDARY, style=Style.DANGER, heading="Close lead as lost",
               prompt="Why was {name} (lead #{lead_id}) lost?",
               placeholder="bought elsewhere, no answer after 5 tries, ...", submit="Close as lost",
               missing="Say why it was lost, e.g. bought elsewhere."),
    CardAction(Act.RELEASE, "Release", row=Row.SECONDARY, heading="Release this lead?",
               confirm="{name} goes back to the channel for anyone to claim.", submit="Release"),
    CardAction(Act.REASSIGN, "Reassign", asks="rep", row=Row.SECONDARY, prompt="Hand it to",
               placeholder="Reassign to…", submit="Hand over", missing="Say who takes it over."),
)
# Actions on escalation notices rather than the card: "Take it" (value: the lead id).
TAKE_ACTION = CardAction(Act.TAKE, "Take it", style=Style.POSITIVE,
                         explains="Take it over: the lead becomes yours and its owner is told.")
NOTICE_ACTIONS: tuple[CardAction, ...] = (TAKE_ACTION,)
BY_ACT = {action.act: action for action in CARD_ACTIONS + NOTICE_ACTIONS}


def outcome_of(text: str | None) -> str | None:
    """A call's outcome: one of CALL_OUTCOMES when the words say so, else the rep's own words."""
    if not text or not text.strip():
        return None
    words = " ".join(text.split())
    return OUTCOME_WORDS.get(words.lower(), words)


def perform(work: Work, team_id: int, lead_id: int, user_id: str, act: Act, detail: str | None = None,
            *, via: str = LoggedVia.BUTTON) -> str:
    """Do one card action as this person; returns what they are told. `detail` is what the
    action asks for (a call's outcome, the note, the reason it was lost, the rep's chat id)."""
    action = BY_ACT.get(act)
    if action is None:
        raise ActionError(f"'{act}' is not something a lead card does.")
    detail = " ".join(detail.split()) if detail else None
    if detail and len(detail) > MAX_TEXT:
        raise ActionError(f"Keep it under {MAX_TEXT} characters (that was {len(detail)}).")
    if action.missing and not detail:
        raise ActionError(action.missing)
    if act is Act.CLAIM:
        return ownership.claim(work, team_id, lead_id, user_id).message
    if act is Act.WON:
        return touches.close(work, team_id, lead_id, user_id, won=True, reason=detail).message
    if act is Act.LOST:
        return touches.close(work, team_id, lead_id, user_id, won=False, reason=detail).message
    if act is Act.TAKE:
        return ownership.take(work, team_id, lead_id, user_id).message
    if act is Act.RELEASE:
        return ownership.release(work, team_id, lead_id, user_id).message
    if act is Act.REASSIGN:
        return ownership.reassign(work, team_id, lead_id, user_id, detail).message
    if act is Act.NOTE:
        return touches.log_touch(work, team_id, lead_id, user_id, "note", outcome=detail, via=via).message
    outcome = outcome_of(detail) if act is Act.CALL else detail
    return touches.log_touch(work, team_id, lead_id, user_id, act.value, outcome=outcome, via=via).message
