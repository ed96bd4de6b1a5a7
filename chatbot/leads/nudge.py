"""Nudge: a manager reminds a lead's owner by direct message (from /stalled, a button or a command).

A nudge is a notice queued through the outbox in the same transaction; it is not a touch, so it
changes no figure and does not postpone "stalled" (only the owner's own work on the lead does).
"""

from __future__ import annotations

from chatbot.core import Core, Work, run
from chatbot.ladder.rules import require_nudge_allowed
from chatbot.messaging import queue
from chatbot.messaging.views.stalled import nudge_text
from chatbot.store import queries
from chatbot.store.models import Member


def nudge(work: Work, team_id: int, lead_id: int, by_user_id: str) -> str:
    """Queue a direct message to the lead's owner; returns what the manager is told."""
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    by = queries.member_by_chat_id(session, team_id, by_user_id)
    lead = queries.lead_in_team(session, team_id, lead_id)
    require_nudge_allowed(lead, by)
    owner = session.get(Member, lead.owner_id)
    queue.enqueue_direct(session, lead, owner.chat_user_id, nudge_text(lead, by, team, now), now)
    return f"{owner.name} is nudged about {lead.customer_name} (lead #{lead.id}) by direct message."


def nudge_lead(core: Core, team_id: int, lead_id: int, by_user_id: str) -> str:
    """`nudge` in a transaction of its own, as adapters call it."""
    return run(core, nudge, team_id, lead_id, by_user_id)
