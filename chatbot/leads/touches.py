"""What happened with the shopper: a call, text, e-mail, appointment or note, and the close.

Each is a function on a `Work` (one open transaction and its moment); `chatbot.leads.tracker`
wraps each in a transaction of its own. A rep logs a touch in chat; a CRM or phone system
reports one (`log_reported_touch`), and the same report twice is one touch. Each recomputes the
lead's contact facts and next deadline and queues the card update in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from chatbot.core import Work
from chatbot.domain.clock import whole_seconds
from chatbot.domain.policy import OpenWindow
from chatbot.domain.wording import format_moment
from chatbot.errors import InvalidTouch, UnknownLead
from chatbot.ladder.deadlines import due_window, hours_of, refresh_due
from chatbot.ladder.rules import Act, require_allowed, require_open
from chatbot.leads.ownership import take_ownership
from chatbot.messaging import queue
from chatbot.messaging.views.work import closed_text, touch_logged_text
from chatbot.store import queries
from chatbot.store.models import Lead, LeadStatus, LoggedVia, Touch, TouchKind

FEW_ATTEMPTS = 3
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class TouchLogged:
    lead_id: int
    touch_id: int
    first_contact: bool
    next_due: OpenWindow | None
    message: str
    duplicate: bool = False


@dataclass(frozen=True)
class Closed:
    lead_id: int
    status: str
    attempts: int
    too_few_attempts: bool
    message: str


def log_touch(
    work: Work,
    team_id: int,
    lead_id: int,
    chat_user_id: str,
    kind: str,
    *,
    outcome: str | None = None,
    at: datetime | None = None,
    via: str = LoggedVia.COMMAND,
    external_id: str | None = None,
) -> TouchLogged:
    """Record a call, text, e-mail, appointment or note; an unclaimed lead becomes the rep's.

    In chat, a claimed lead's attempts are its owner's or a manager's (rules.py); a CRM or
    phone system (`via` webhook or import) reports what happened, whoever did it.
    """
    session, now = work.session, work.now
    try:
        touch_kind = TouchKind(kind)
    except ValueError:
        raise InvalidTouch(f"'{kind}' is not a touch. Use one of: {', '.join(k.value for k in TouchKind)}.") from None
    when = whole_seconds(at) if at else now
    if when > now + FUTURE_TOLERANCE:
        raise InvalidTouch(f"That touch is in the future ({when:%Y-%m-%d %H:%M} UTC); log it when it happens.")
    team = queries.team(session, team_id)
    member = queries.member_by_chat_id(session, team_id, chat_user_id)
    lead = queries.lead_in_team(session, team_id, lead_id, lock=True)
    require_open(lead)
    if via not in (LoggedVia.WEBHOOK, LoggedVia.IMPORT):
        require_allowed(session, Act(touch_kind.value), lead, member)
    if when < lead.submitted_at:
        raise InvalidTouch(
            f"A touch can't come before {lead.customer_name} asked "
            f"({format_moment(lead.submitted_at, hours_of(team).zone, now)}). Check the time."
        )
    if external_id is not None:
        seen = session.exec(select(Touch).where(Touch.lead_id == lead.id, Touch.external_id == external_id)).first()
        if seen is not None:
            return TouchLogged(lead.id, seen.id, False, due_window(lead, team), "Already logged.", duplicate=True)
    if lead.owner_id is None and touch_kind.is_attempt:
        take_ownership(session, lead.id, member.id, now)
        session.refresh(lead)
    if touch_kind.is_attempt:
        member.lapses_in_row = 0  # they are working their leads (escalation/lapses.py)
        session.add(member)
    touch = Touch(lead_id=lead.id, member_id=member.id, kind=touch_kind, outcome=outcome, at=when,
                  logged_via=via, recorded_at=now, external_id=external_id)
    session.add(touch)
    session.flush()
    was_contacted = lead.first_contact_at is not None
    _recount(session, lead, when)
    refresh_due(session, lead, team)
    queue.enqueue_card(session, lead, now)
    due = due_window(lead, team)
    first = not was_contacted and lead.first_contact_at is not None
    return TouchLogged(lead.id, touch.id, first, due,
                       touch_logged_text(touch_kind, outcome, lead, team, due, first, now))


class NoSuchLead(UnknownLead):
    """A CRM named a lead (by source and external id) that this team does not have."""


def log_reported_touch(work: Work, team_id: int, source: str, external_id: str, rep: str, kind: str, *,
                       outcome: str | None, at: datetime, touch_id: str | None = None) -> TouchLogged:
    """A touch a CRM or phone system reports: find the lead by its source id and the rep by chat id or
    e-mail, then log it, all in one transaction. A retry logs once: one with the same `touch_id`
    (the CRM's id for the activity), or, without one, the same kind, moment and rep (`touch_key`)."""
    lead_id = queries.lead_id_at_source(work.session, team_id, source, external_id)
    if lead_id is None:
        raise NoSuchLead("no lead with this source and external_id on your team")
    member = queries.member_by_chat_id_or_email(work.session, team_id, rep)
    return log_touch(work, team_id, lead_id, member.chat_user_id, kind, outcome=outcome, at=at,
                     via=LoggedVia.WEBHOOK, external_id=touch_id or touch_key(kind, at, rep))


def touch_key(kind: str, at: datetime, rep: str) -> str:
    """What makes two reports of one lead's touch the same touch when they carry no id: the
    kind, the moment to the second (in any time zone) and the rep, however it is capitalised."""
    key = "|".join([kind, whole_seconds(at).isoformat(), rep.strip().lower()])
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _recount(session: Session, lead: Lead, when: datetime) -> None:
    """Recompute the lead's contact facts from its touches (a CRM may report one late)."""
    attempts = session.exec(
        select(Touch.at).where(Touch.lead_id == lead.id, col(Touch.kind) != TouchKind.NOTE).order_by(Touch.at)
    ).all()
    lead.attempts = len(attempts)
    lead.first_contact_at = attempts[0] if attempts else None
    lead.second_contact_at = attempts[1] if len(attempts) > 1 else None
    lead.last_touch_at = max(lead.last_touch_at or when, when)
    lead.last_activity_at = max(lead.last_activity_at, when)


def close(work: Work, team_id: int, lead_id: int, chat_user_id: str, *, won: bool,
          reason: str | None = None) -> Closed:
    """Close a lead won or lost; its timers stop. Lost with fewer than 3 attempts is flagged."""
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    member = queries.member_by_chat_id(session, team_id, chat_user_id)
    lead = queries.lead_in_team(session, team_id, lead_id, lock=True)
    require_allowed(session, Act.WON if won else Act.LOST, lead, member)
    lead.status = LeadStatus.WON if won else LeadStatus.LOST
    lead.closed_at = now
    lead.close_reason = reason
    lead.last_activity_at = max(lead.last_activity_at, now)
    refresh_due(session, lead, team)
    queue.enqueue_card(session, lead, now)
    too_few = not won and lead.attempts < FEW_ATTEMPTS
    return Closed(lead.id, lead.status, lead.attempts, too_few, closed_text(lead, FEW_ATTEMPTS))
