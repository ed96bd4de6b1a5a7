"""The lead card's actions: one list, for every chat and for the console's commands.

A renderer draws `CARD_ACTIONS` (buttons, a menu, modals for what an action asks); a command
names the same actions. `perform` runs one as a person: who may do what is decided in
rules.py, once.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class CardAction:
    act: Act
    label: str
    asks: str | None = None  # what it needs from the person: "outcome", "note", "reason" or "rep"
    choices: tuple[str, ...] = ()
    primary: bool = False  # the one a rep needs most, shown first


CARD_ACTIONS: tuple[CardAction, ...] = (
    CardAction(Act.CALL, "Call", asks="outcome", choices=CALL_OUTCOMES, primary=True),
    CardAction(Act.TEXT, "Text"),
    CardAction(Act.EMAIL, "E-mail"),
    CardAction(Act.APPOINTMENT, "Appointment"),
    CardAction(Act.NOTE, "Note", asks="note"),
    CardAction(Act.WON, "Won"),
    CardAction(Act.LOST, "Lost", asks="reason"),
    CardAction(Act.RELEASE, "Release"),
    CardAction(Act.REASSIGN, "Reassign", asks="rep"),
)
# Actions on escalation notices rather than the card: "Take it" (value: the lead id).
TAKE_ACTION = CardAction(Act.TAKE, "Take it", primary=True)
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
    if act is Act.WON:
        return touches.close(work, team_id, lead_id, user_id, won=True, reason=detail).message
    if act is Act.LOST:
        if not detail:
            raise ActionError("Say why it was lost, e.g. bought elsewhere.")
        return touches.close(work, team_id, lead_id, user_id, won=False, reason=detail).message
    if act is Act.TAKE:
        return ownership.take(work, team_id, lead_id, user_id).message
    if act is Act.RELEASE:
        return ownership.release(work, team_id, lead_id, user_id).message
    if act is Act.REASSIGN:
        if not detail:
            raise ActionError("Say who takes it over.")
        return ownership.reassign(work, team_id, lead_id, user_id, detail).message
    if act is Act.NOTE:
        if not detail:
            raise ActionError("A note needs text, e.g. customer's wife called back.")
        return touches.log_touch(work, team_id, lead_id, user_id, "note", outcome=detail, via=via).message
    outcome = outcome_of(detail) if act is Act.CALL else detail
    return touches.log_touch(work, team_id, lead_id, user_id, act.value, outcome=outcome, via=via).message
