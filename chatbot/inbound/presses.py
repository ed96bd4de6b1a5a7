"""A button or menu pressed in a chat: one of the card's actions (chatbot.leads.actions), "Take
it" on an escalation notice, or a report row's Nudge. The presser is put on the rooftop the
first time (chatbot.inbound.people); who may do what is decided by the core's rules, once.
Every card action goes through `press`, so a press means the same on every platform.
"""

from __future__ import annotations

from chatbot.core import Core
from chatbot.domain.vocabulary import LoggedVia
from chatbot.errors import FollowUpError
from chatbot.inbound.answers import Told
from chatbot.inbound.people import Describe, Person, person_seen
from chatbot.ladder.rules import Act
from chatbot.leads import tracker
from chatbot.leads.nudge import nudge_lead


def press(core: Core, team_id: int, person: Person, lead_id: int, act: Act, detail: str | None = None, *,
          describe: Describe | None = None) -> Told:
    """`act` on lead `lead_id`, with what its control carried (`detail`: a call's outcome, a note,
    a reason, a rep's chat id), logged as done by a button. What the presser is told: done, or
    refused (nothing changed)."""
    person_seen(core, team_id, person, describe)
    try:
        return Told(tracker.perform(core, team_id, lead_id, person.chat_user_id, act, detail, via=LoggedVia.BUTTON))
    except FollowUpError as refused:
        return Told(refused.message, refused=True)


def refusal_before_asking(core: Core, team_id: int, person: Person, lead_id: int, act: Act,
                          describe: Describe | None = None) -> str | None:
    """Why `act` would be refused now, asked before a form asks for words (a note, a reason), so
    nobody types a reason to be told no; None: they may."""
    person_seen(core, team_id, person, describe)
    return tracker.refusal(core, team_id, lead_id, person.chat_user_id, act)


def nudge(core: Core, team_id: int, person: Person, lead_id: int, describe: Describe | None = None) -> Told:
    """A report row's Nudge: the lead's owner is reminded by direct message (queued); the manager
    who pressed it is told so, or why not."""
    person_seen(core, team_id, person, describe)
    try:
        return Told(nudge_lead(core, team_id, lead_id, person.chat_user_id))
    except FollowUpError as refused:
        return Told(refused.message, refused=True)
