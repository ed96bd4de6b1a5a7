"""Lapses in a row: a rep who lets the team's number of windows lapse in a row is set away.

A lapse is counted when the first step at or after a window's deadline fires for a lead whose
owner is on the floor, in business hours only (nobody is expected to call at midnight). A call,
text, e-mail or appointment the rep logs resets their count (leads/touches.py), and so does
`/back`. When the count reaches `team.away_after_lapses` (default 3; 0: never) the rep is set
away until they say `/back`: their leads' escalations go to the on-call rep meanwhile, they are
told why, and the managers are told. The count is kept on the member row and changed in the
escalation's own transaction, so it moves once per lapse, whatever the number of workers.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from chatbot.messaging import queue
from chatbot.messaging.views.escalations import set_away_managers_text, set_away_text
from chatbot.store.models import Lead, Member, Team

log = logging.getLogger(__name__)


def count_lapse(session: Session, lead: Lead, team: Team, owner: Member | None, open_now: bool,
                now: datetime) -> bool:
    """Count one lapsed window against the lead's owner; True when it sets them away."""
    if owner is None or not open_now or team.away_after_lapses <= 0 or owner.away_since is not None:
        return False
    owner.lapses_in_row += 1
    session.add(owner)
    if owner.lapses_in_row < team.away_after_lapses:
        return False
    count = owner.lapses_in_row
    owner.away_since, owner.away_until = now, None
    owner.away_reason = f"{count} windows lapsed in a row"
    owner.lapses_in_row = 0
    log.info("rep set away after lapses team=%d member=%d lapses=%d", team.id, owner.id, count)
    queue.enqueue_notice(session, lead, to="direct", address=owner.chat_user_id, text=set_away_text(count),
                          mention=None, now=now, hint="back")
    managers = team.managers_channel or team.leads_channel
    if managers:
        queue.enqueue_notice(session, lead, to="channel", address=managers,
                              text=set_away_managers_text(owner, count), mention=None, now=now)
    return True
