"""The lead use cases as adapters call them: each in a transaction of its own.

The work itself is in `chatbot.leads.ingest`, `ownership` and `touches` (functions on a `Work`,
composable in one transaction); each function here is the thin wrapper that opens the transaction.
"""

from __future__ import annotations

from chatbot.core import Core, run
from chatbot.errors import FollowUpError
from chatbot.ladder.rules import Act
from chatbot.leads import actions, ownership, touches
from chatbot.leads.ingest import Ingested
from chatbot.leads.ingest import ingest as store_lead
from chatbot.leads.ownership import Claimed, Reassigned, Released, Taken
from chatbot.leads.touches import Closed, TouchLogged
from chatbot.store import queries

__all__ = ["Claimed", "Closed", "Ingested", "Reassigned", "Released", "Taken", "TouchLogged", "ingest", "claim",
           "log_touch", "log_reported_touch", "close", "reassign", "take", "release", "perform", "refusal",
           "lead_for_message"]


def ingest(core: Core, team_id: int, incoming) -> Ingested:
    return run(core, store_lead, team_id, incoming)


def claim(core: Core, team_id: int, lead_id: int, chat_user_id: str) -> Claimed:
    return run(core, ownership.claim, team_id, lead_id, chat_user_id)


def log_touch(core: Core, team_id: int, lead_id: int, chat_user_id: str, kind: str, **details) -> TouchLogged:
    return run(core, touches.log_touch, team_id, lead_id, chat_user_id, kind, **details)


def log_reported_touch(core: Core, team_id: int, source: str, external_id: str, rep: str, kind: str,
                       **details) -> TouchLogged:
    return run(core, touches.log_reported_touch, team_id, source, external_id, rep, kind, **details)


def close(core: Core, team_id: int, lead_id: int, chat_user_id: str, *, won: bool, reason: str | None = None) -> Closed:
    return run(core, touches.close, team_id, lead_id, chat_user_id, won=won, reason=reason)


def reassign(core: Core, team_id: int, lead_id: int, by_user_id: str, to_user_id: str) -> Reassigned:
    return run(core, ownership.reassign, team_id, lead_id, by_user_id, to_user_id)


def take(core: Core, team_id: int, lead_id: int, chat_user_id: str) -> Taken:
    return run(core, ownership.take, team_id, lead_id, chat_user_id)


def release(core: Core, team_id: int, lead_id: int, chat_user_id: str) -> Released:
    return run(core, ownership.release, team_id, lead_id, chat_user_id)


def perform(core: Core, team_id: int, lead_id: int, user_id: str, act: Act, detail: str | None = None,
            **options) -> str:
    """One card action as this person (chatbot.leads.actions); returns what they are told."""
    return run(core, actions.perform, team_id, lead_id, user_id, act, detail, **options)


def refusal(core: Core, team_id: int, lead_id: int, user_id: str, act: Act) -> str | None:
    """Why this person may not do `act` to this lead now, or None when they may."""
    try:
        run(core, ownership.check_allowed, team_id, lead_id, user_id, act)
    except FollowUpError as refused:
        return refused.message
    return None


def lead_for_message(core: Core, channel: str, message_id: str) -> tuple[int, int] | None:
    """(team id, lead id) of the lead whose card is this chat message, or None."""
    return run(core, lambda work: queries.lead_for_message(work.session, channel, message_id))
