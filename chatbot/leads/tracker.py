"""The use cases: ingest, claim, log a touch, close, reassign, release. One transaction each.

Each function checks its input first and raises a `FollowUpError` (nothing changed) when it
cannot do what was asked. On success it updates the lead's facts, recomputes the lead's next
deadline, and queues the card update in the outbox, all in the same transaction: the chat
message can be late, but never wrong about the database and never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from chatbot.core import Core
from chatbot.domain.clock import whole_seconds
from chatbot.domain.policy import OpenWindow
from chatbot.errors import InvalidTouch, LeadClosed, NotAllowed, UnknownLead, UnknownMember
from chatbot.intake.fields import lead_fields
from chatbot.intake.lead import IncomingLead
from chatbot.leads.deadlines import due_window, hours_of, refresh_due
from chatbot.messaging import outbox
from chatbot.messaging.views import (
    claimed_elsewhere_text,
    format_duration,
    format_moment,
    shopper_back_text,
    touch_logged_text,
)
from chatbot.store.db import transaction
from chatbot.store.models import Lead, LeadStatus, LoggedVia, Member, Role, Team, Touch, TouchKind

FEW_ATTEMPTS = 3
FUTURE_TOLERANCE = timedelta(minutes=5)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Ingested:
    lead_id: int
    duplicate: bool


@dataclass(frozen=True)
class Claimed:
    lead_id: int
    won: bool
    owner_name: str
    owner_user_id: str
    claimed_at: datetime
    message: str


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


@dataclass(frozen=True)
class Reassigned:
    lead_id: int
    owner_name: str
    message: str


# ---------------------------------------------------------------- shared helpers


def member_by_chat_id(session: Session, team_id: int, chat_user_id: str) -> Member:
    member = session.exec(
        select(Member).where(Member.team_id == team_id, Member.chat_user_id == chat_user_id, Member.active)
    ).first()
    if member is None:
        raise UnknownMember(f"{chat_user_id} is not a rep on this team. A manager can add them with /followup.")
    return member


def member_by_chat_id_or_email(session: Session, team_id: int, who: str) -> Member:
    """A rep named the way a CRM or phone system knows them: chat user id, else e-mail."""
    member = session.exec(
        select(Member).where(Member.team_id == team_id, Member.active,
                             or_(Member.chat_user_id == who, func.lower(Member.email) == who.strip().lower()))
        .order_by(col(Member.chat_user_id) != who)
    ).first()
    if member is None:
        raise UnknownMember("No active rep on this team has the chat id or e-mail given.")
    return member


def lead_in_team(session: Session, team_id: int, lead_id: int, *, lock: bool = False) -> Lead:
    query = select(Lead).where(Lead.id == lead_id, Lead.team_id == team_id)
    if lock:
        query = query.with_for_update()
    lead = session.exec(query).first()
    if lead is None:
        raise UnknownLead(f"There is no lead #{lead_id} on this team. /leads lists the open ones.")
    return lead


def _require_open(lead: Lead) -> None:
    if lead.status != LeadStatus.OPEN:
        raise LeadClosed(f"Lead #{lead.id} ({lead.customer_name}) is closed {lead.status}; nothing to do.")


def _working_on(session: Session, team_id: int, lead_id: int, chat_user_id: str) -> tuple[Team, Member, Lead]:
    """The team, the member acting and the open lead they act on (locked until commit)."""
    team = _team(session, team_id)
    member = member_by_chat_id(session, team_id, chat_user_id)
    lead = lead_in_team(session, team_id, lead_id, lock=True)
    _require_open(lead)
    return team, member, lead


def _is_manager(member: Member) -> bool:
    return member.role in (Role.MANAGER, Role.ADMIN)


def _require_owner_or_manager(session: Session, lead: Lead, member: Member, action: str) -> None:
    """An unclaimed lead is anyone's; a claimed one is its owner's or a manager's."""
    if lead.owner_id not in (None, member.id) and not _is_manager(member):
        owner = session.get(Member, lead.owner_id)
        raise NotAllowed(f"{owner.name} owns {lead.customer_name}; only they or a manager can {action}.")


def _team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise UnknownLead(f"There is no team #{team_id}.")
    return team


# ---------------------------------------------------------------- use cases


RETURNING_WITHIN = timedelta(days=30)


def ingest(core: Core, team_id: int, incoming: IncomingLead) -> Ingested:
    """Store a new lead and queue its card; the same delivery twice is one lead.

    A shopper who asked before (same phone or e-mail, same team, within 30 days) is linked to
    their earlier lead; when that lead is open and owned, its owner hears first, directly.
    Both leads still count separately in every figure.
    """
    now = core.clock.now()
    with transaction(core.engine) as session:
        team = _team(session, team_id)
        fields = lead_fields(incoming, region=team.phone_region, now=now)
        existing = _lead_id_for(session, team_id, fields["source"], fields["external_id"])
        if existing is not None:
            return Ingested(existing, duplicate=True)
        submitted = fields["submitted_at"]
        earlier = _earlier_lead_of(session, team_id, fields["phone"], fields["email"], submitted)
        lead = Lead(
            team_id=team_id,
            **fields,
            received_at=now,
            last_activity_at=submitted,
            after_hours=not hours_of(team).is_open(submitted),
            returning_of_id=earlier.id if earlier else None,
        )
        try:
            with session.begin_nested():
                session.add(lead)
                session.flush()
        except IntegrityError:
            # Another process stored the same delivery between our check and our insert.
            session.expunge(lead)
            return Ingested(_lead_id_for(session, team_id, fields["source"], fields["external_id"]), duplicate=True)
        refresh_due(session, lead, team)
        outbox.enqueue_card(session, lead, now)
        if earlier is not None and earlier.status == LeadStatus.OPEN and earlier.owner_id is not None:
            owner = session.get(Member, earlier.owner_id)
            outbox.enqueue_direct(session, lead, owner.chat_user_id, shopper_back_text(lead, earlier, team, now), now)
        return Ingested(lead.id, duplicate=False)


def _lead_id_for(session: Session, team_id: int, source: str, external_id: str) -> int | None:
    return session.exec(
        select(Lead.id).where(Lead.team_id == team_id, Lead.source == source, Lead.external_id == external_id)
    ).first()


def _earlier_lead_of(session: Session, team_id: int, phone: str | None, email: str | None,
                     submitted: datetime) -> Lead | None:
    """The shopper's most recent lead on this team within RETURNING_WITHIN, by phone or e-mail."""
    same_person = [c for c in (Lead.phone == phone if phone else None, Lead.email == email if email else None)
                   if c is not None]
    if not same_person:
        return None
    return session.exec(
        select(Lead)
        .where(Lead.team_id == team_id, or_(*same_person),
               Lead.submitted_at >= submitted - RETURNING_WITHIN, Lead.submitted_at <= submitted)
        .order_by(col(Lead.submitted_at).desc(), col(Lead.id).desc())
        .limit(1)
    ).first()


def claim(core: Core, team_id: int, lead_id: int, chat_user_id: str, *, emoji: str | None = None) -> Claimed | None:
    """The first rep to claim owns the lead; everyone after is told who has it.

    One conditional UPDATE decides: under any number of concurrent claims on PostgreSQL or
    SQLite exactly one matches `owner_id IS NULL`. Returns None for a reaction that does not
    claim (the team only counts one emoji, and this is another).
    """
    now = core.clock.now()
    with transaction(core.engine) as session:
        team = _team(session, team_id)
        if emoji is not None and team.claim_emoji and emoji.strip(":") != team.claim_emoji.strip(":"):
            return None
        member = member_by_chat_id(session, team_id, chat_user_id)
        lead = lead_in_team(session, team_id, lead_id)
        _require_open(lead)
        won = _take_ownership(session, lead.id, member.id, now)
        session.refresh(lead)
        owner = session.get(Member, lead.owner_id)
        if won:
            lead.last_activity_at = max(lead.last_activity_at, now)
            refresh_due(session, lead, team)
            outbox.enqueue_card(session, lead, now)
            posted = lead.posted_at or lead.received_at
            message = (f"{lead.customer_name} is yours (claimed {format_duration(now - posted)} after posting). "
                       f"{team.playbook}")
        elif owner.id == member.id:
            message = f"You already own {lead.customer_name}'s lead."
        else:
            message = claimed_elsewhere_text(owner, lead.claimed_at, team, now)
        return Claimed(lead.id, won, owner.name, owner.chat_user_id, lead.claimed_at, message)


def _take_ownership(session: Session, lead_id: int, member_id: int, now: datetime) -> bool:
    result = session.execute(
        update(Lead)
        .where(col(Lead.id) == lead_id, col(Lead.owner_id).is_(None), col(Lead.status) == LeadStatus.OPEN)
        .values(owner_id=member_id, claimed_at=now)
    )
    return result.rowcount == 1


def log_touch(
    core: Core,
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
    """Record a call, text, e-mail, appointment or note; an unclaimed lead becomes the rep's."""
    now = core.clock.now()
    try:
        touch_kind = TouchKind(kind)
    except ValueError:
        raise InvalidTouch(f"'{kind}' is not a touch. Use one of: {', '.join(k.value for k in TouchKind)}.") from None
    when = whole_seconds(at) if at else now
    if when > now + FUTURE_TOLERANCE:
        raise InvalidTouch(f"That touch is in the future ({when:%Y-%m-%d %H:%M} UTC); log it when it happens.")
    with transaction(core.engine) as session:
        team, member, lead = _working_on(session, team_id, lead_id, chat_user_id)
        if when < lead.submitted_at:
            raise InvalidTouch(
                f"A touch can't come before {lead.customer_name} asked "
                f"({format_moment(lead.submitted_at, hours_of(team).zone, now)}). Check the time."
            )
        if external_id is not None:
            seen = session.exec(select(Touch).where(Touch.lead_id == lead.id, Touch.external_id == external_id)).first()
            if seen is not None:
                return TouchLogged(lead.id, seen.id, False, due_window(lead, team),
                                   "Already logged.", duplicate=True)
        if lead.owner_id is None and touch_kind.is_attempt:
            _take_ownership(session, lead.id, member.id, now)
            session.refresh(lead)
        touch = Touch(lead_id=lead.id, member_id=member.id, kind=touch_kind, outcome=outcome, at=when,
                      logged_via=via, recorded_at=now, external_id=external_id)
        session.add(touch)
        session.flush()
        was_contacted = lead.first_contact_at is not None
        _recount(session, lead, when)
        refresh_due(session, lead, team)
        outbox.enqueue_card(session, lead, now)
        due = due_window(lead, team)
        first = not was_contacted and lead.first_contact_at is not None
        return TouchLogged(lead.id, touch.id, first, due, touch_logged_text(touch_kind, lead, team, due, first, now))


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


def close(core: Core, team_id: int, lead_id: int, chat_user_id: str, *, won: bool, reason: str | None = None) -> Closed:
    """Close a lead won or lost; its timers stop. Lost with fewer than 3 attempts is flagged."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        team, member, lead = _working_on(session, team_id, lead_id, chat_user_id)
        _require_owner_or_manager(session, lead, member, "close it")
        lead.status = LeadStatus.WON if won else LeadStatus.LOST
        lead.closed_at = now
        lead.close_reason = reason
        lead.last_activity_at = max(lead.last_activity_at, now)
        refresh_due(session, lead, team)
        outbox.enqueue_card(session, lead, now)
        too_few = not won and lead.attempts < FEW_ATTEMPTS
        if won:
            message = f"{lead.customer_name} closed won after {lead.attempts} attempt(s). Nice work."
        elif too_few:
            message = (f"{lead.customer_name} closed lost after only {lead.attempts} attempt(s): fewer than "
                       f"{FEW_ATTEMPTS}. Most leads answer on a later try; this one shows in /baseline.")
        else:
            message = f"{lead.customer_name} closed lost after {lead.attempts} attempts."
        return Closed(lead.id, lead.status, lead.attempts, too_few, message)


def reassign(core: Core, team_id: int, lead_id: int, by_user_id: str, to_user_id: str) -> Reassigned:
    """Hand a lead to another rep: its owner or a manager may."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        team = _team(session, team_id)
        by = member_by_chat_id(session, team_id, by_user_id)
        to = member_by_chat_id(session, team_id, to_user_id)
        lead = lead_in_team(session, team_id, lead_id, lock=True)
        _require_open(lead)
        _require_owner_or_manager(session, lead, by, "hand it on")
        lead.owner_id = to.id
        lead.claimed_at = lead.claimed_at or now
        lead.last_activity_at = max(lead.last_activity_at, now)
        refresh_due(session, lead, team)
        outbox.enqueue_card(session, lead, now)
        outbox.enqueue_direct(session, lead, to.chat_user_id,
                              f"{by.name} handed you {lead.customer_name} (lead #{lead.id}). {team.playbook}", now)
        return Reassigned(lead.id, to.name, f"{lead.customer_name} is now {to.name}'s.")


def release(core: Core, team_id: int, lead_id: int, chat_user_id: str) -> Reassigned:
    """Give a lead back to the channel, so someone else can claim it."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        team, member, lead = _working_on(session, team_id, lead_id, chat_user_id)
        if lead.owner_id != member.id and not _is_manager(member):
            raise NotAllowed(f"Only the owner or a manager can release {lead.customer_name}'s lead.")
        lead.owner_id = None
        lead.claimed_at = None
        lead.last_activity_at = max(lead.last_activity_at, now)
        refresh_due(session, lead, team)
        outbox.enqueue_card(session, lead, now)
        return Reassigned(lead.id, "", f"{lead.customer_name} is back in the channel for anyone to claim.")


# ---------------------------------------------------------------- lookups adapters need


def lead_for_message(core: Core, channel: str, message_id: str) -> tuple[int, int] | None:
    """(team id, lead id) of the lead whose card is this chat message, or None."""
    with transaction(core.engine) as session:
        row = session.exec(
            select(Lead.team_id, Lead.id).where(Lead.chat_channel == channel, Lead.chat_message_id == message_id)
        ).first()
        return (row[0], row[1]) if row else None
