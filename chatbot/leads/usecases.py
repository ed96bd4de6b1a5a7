"""The use cases on a lead: ingest, claim, log a touch, close, reassign, take, release.

Each is a function on a `Work` (one open transaction and its moment), so several can run in
one transaction; `chatbot.leads.tracker` wraps each in a transaction of its own. Each checks
its input first and raises a `FollowUpError` (nothing changed) when it cannot do what was
asked. On success it updates the lead's facts, recomputes the lead's next deadline, and queues
the card update in the outbox, in the same transaction: the chat message can be late, but
never wrong about the database and never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from chatbot.core import Work
from chatbot.domain.clock import whole_seconds
from chatbot.domain.policy import OpenWindow
from chatbot.domain.wording import format_duration, format_moment
from chatbot.errors import InvalidTouch, UnknownLead
from chatbot.intake.fields import lead_fields
from chatbot.intake.lead import IncomingLead
from chatbot.ladder.deadlines import due_window, hours_of, keep_plans_and_due, refresh_due
from chatbot.ladder.rules import Act, is_manager, require_allowed, require_open
from chatbot.messaging import queue
from chatbot.messaging.views.card import warning_texts
from chatbot.messaging.views.work import claimed_elsewhere_text, closed_text, shopper_back_text, touch_logged_text
from chatbot.store import queries
from chatbot.store.models import Lead, LeadStatus, LoggedVia, Member, Touch, TouchKind

FEW_ATTEMPTS = 3
FUTURE_TOLERANCE = timedelta(minutes=5)
RETURNING_WITHIN = timedelta(days=30)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Ingested:
    lead_id: int
    duplicate: bool
    warnings: tuple[str, ...] = ()  # what intake guessed or dropped, in words (views.card.warning_texts)


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
class Taken:
    lead_id: int
    won: bool
    owner_name: str
    previous_owner_name: str | None
    message: str


@dataclass(frozen=True)
class Reassigned:
    lead_id: int
    owner_name: str
    message: str


@dataclass(frozen=True)
class Released:
    """A lead given back to the channel: it has no owner now."""

    lead_id: int
    message: str


# ---------------------------------------------------------------- ingest


def ingest(work: Work, team_id: int, incoming: IncomingLead) -> Ingested:
    """Store a new lead and queue its card; the same delivery twice is one lead.

    A shopper who asked before (same phone or e-mail, same team, within 30 days) is linked to
    their earlier lead; when that lead is open and owned, its owner hears first, directly.
    Both leads still count separately in every figure. What intake had to guess or drop (an
    unreadable date, a phone that is not a number) is stored with the lead and returned.

    Intake's hot path (bench/intake.py), so it is five short statements (the team, the same delivery,
    the earlier lead, one INSERT ... ON CONFLICT DO NOTHING RETURNING id with the lead's ladder
    and due time already in it, the card's outbox row) rather than ORM flushes, a savepoint and
    UPDATEs; what it stores is what `refresh_due` would store for the new lead (it has no
    escalations yet). The check before the INSERT keeps a repeated delivery from using up a
    PostgreSQL sequence number.
    """
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    fields = lead_fields(incoming, region=team.phone_region, now=now)
    warnings = tuple(warning_texts(fields["details"]))
    connection = session.connection()
    existing = _lead_id_for(connection, team_id, fields["source"], fields["external_id"])
    if existing is not None:
        return Ingested(existing, duplicate=True, warnings=warnings)
    submitted = fields["submitted_at"]
    earlier = _earlier_lead_of(connection, team_id, fields["phone"], fields["email"], submitted)
    lead = Lead(
        team_id=team_id,
        **fields,
        received_at=now,
        last_activity_at=submitted,
        after_hours=not hours_of(team).is_open(submitted),
        returning_of_id=earlier.id if earlier else None,
    )
    keep_plans_and_due(lead, team, fired=set())  # what refresh_due stores: a new lead has fired no step
    lead.id = _insert_new(connection, lead)
    if lead.id is None:  # another process stored the same delivery between our check and our insert
        return Ingested(_lead_id_for(connection, team_id, fields["source"], fields["external_id"]), duplicate=True,
                        warnings=warnings)
    queue.enqueue_card(session, lead, now)
    if earlier is not None and earlier.status == LeadStatus.OPEN and earlier.owner_id is not None:
        earlier_lead = session.get(Lead, earlier.id)
        owner = session.get(Member, earlier.owner_id)
        queue.enqueue_direct(session, lead, owner.chat_user_id, shopper_back_text(lead, earlier_lead, team, now), now)
    return Ingested(lead.id, duplicate=False, warnings=warnings)


_LEAD = Lead.__table__
_LEAD_COLUMNS = tuple(c.name for c in _LEAD.columns if c.name != "id")


def _insert_new(connection, lead: Lead) -> int | None:
    """INSERT the lead unless its (team, source, external id) is stored: its new id, or None."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (insert(_LEAD).values({name: getattr(lead, name) for name in _LEAD_COLUMNS})
                 .on_conflict_do_nothing(index_elements=["team_id", "source", "external_id"])
                 .returning(_LEAD.c.id))
    return connection.execute(statement).scalar()


def _lead_id_for(connection, team_id: int, source: str, external_id: str) -> int | None:
    return connection.execute(
        select(_LEAD.c.id).where(_LEAD.c.team_id == team_id, _LEAD.c.source == source,
                                 _LEAD.c.external_id == external_id)
    ).scalar()


def _earlier_lead_of(connection, team_id: int, phone: str | None, email: str | None, submitted: datetime):
    """The shopper's most recent lead on this team within RETURNING_WITHIN, by phone or e-mail:
    a row (id, status, owner_id), or None."""
    lead = _LEAD.c
    same_person = [c for c in (lead.phone == phone if phone else None, lead.email == email if email else None)
                   if c is not None]
    if not same_person:
        return None
    return connection.execute(
        select(lead.id, lead.status, lead.owner_id)
        .where(lead.team_id == team_id, or_(*same_person),
               lead.submitted_at >= submitted - RETURNING_WITHIN, lead.submitted_at <= submitted)
        .order_by(lead.submitted_at.desc(), lead.id.desc())
        .limit(1)
    ).first()


# ---------------------------------------------------------------- claim


def claim(work: Work, team_id: int, lead_id: int, chat_user_id: str, *, emoji: str | None = None) -> Claimed | None:
    """The first rep to claim owns the lead; everyone after is told who has it.

    One conditional UPDATE decides: under any number of concurrent claims on PostgreSQL or
    SQLite exactly one matches `owner_id IS NULL`. `emoji` is the reaction's name (the adapter
    strips platform markup); returns None for a reaction that does not claim (the team counts
    only one emoji, and this is another).
    """
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    if emoji is not None and team.claim_emoji and emoji != team.claim_emoji:
        return None
    member = queries.member_by_chat_id(session, team_id, chat_user_id)
    lead = queries.lead_in_team(session, team_id, lead_id)
    require_allowed(session, Act.CLAIM, lead, member)
    won = _take_ownership(session, lead.id, member.id, now)
    session.refresh(lead)
    owner = session.get(Member, lead.owner_id)
    if won:
        lead.last_activity_at = max(lead.last_activity_at, now)
        refresh_due(session, lead, team)
        queue.enqueue_card(session, lead, now)
        posted = lead.posted_at or lead.received_at
        message = (f"{lead.customer_name} is yours (claimed {format_duration(now - posted)} after posting). "
                   f"{team.playbook}")
    elif owner.id == member.id:
        message = f"You already own {lead.customer_name}'s lead."
    else:
        message = claimed_elsewhere_text(owner, lead.claimed_at, team, now)
    return Claimed(lead.id, won, owner.name, owner.chat_user_id, lead.claimed_at, message)


def check_allowed(work: Work, team_id: int, lead_id: int, chat_user_id: str, act: Act) -> None:
    """Raise the refusal `act` would meet now (a form can refuse before it asks for anything)."""
    member = queries.member_by_chat_id(work.session, team_id, chat_user_id)
    require_allowed(work.session, act, queries.lead_in_team(work.session, team_id, lead_id), member)


def _take_ownership(session: Session, lead_id: int, member_id: int, now: datetime) -> bool:
    result = session.execute(
        update(Lead)
        .where(col(Lead.id) == lead_id, col(Lead.owner_id).is_(None), col(Lead.status) == LeadStatus.OPEN)
        .values(owner_id=member_id, claimed_at=now)
    )
    return result.rowcount == 1


# ---------------------------------------------------------------- touches


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
        _take_ownership(session, lead.id, member.id, now)
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
                       outcome: str | None, at: datetime, touch_id: str) -> TouchLogged:
    """A touch a CRM or phone system reports: find the lead by its source id and the rep by chat id or
    e-mail, then log it, all in one transaction (a retry with the same `touch_id` logs once)."""
    lead_id = _lead_id_for(work.session, team_id, source, external_id)
    if lead_id is None:
        raise NoSuchLead("no lead with this source and external_id on your team")
    member = queries.member_by_chat_id_or_email(work.session, team_id, rep)
    return log_touch(work, team_id, lead_id, member.chat_user_id, kind, outcome=outcome, at=at,
                     via=LoggedVia.WEBHOOK, external_id=touch_id)


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


# ---------------------------------------------------------------- close, reassign, release


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


def reassign(work: Work, team_id: int, lead_id: int, by_user_id: str, to_user_id: str) -> Reassigned:
    """Hand a lead to another rep: its owner or a manager may (anyone, while it is unclaimed)."""
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    by = queries.member_by_chat_id(session, team_id, by_user_id)
    to = queries.member_by_chat_id(session, team_id, to_user_id)
    lead = queries.lead_in_team(session, team_id, lead_id, lock=True)
    require_allowed(session, Act.REASSIGN, lead, by)
    lead.owner_id = to.id
    lead.claimed_at = lead.claimed_at or now
    lead.last_activity_at = max(lead.last_activity_at, now)
    refresh_due(session, lead, team)
    queue.enqueue_card(session, lead, now)
    if to.id != by.id:
        queue.enqueue_direct(session, lead, to.chat_user_id,
                              f"{by.name} handed you {lead.customer_name} (lead #{lead.id}). {team.playbook}", now)
    return Reassigned(lead.id, to.name, f"{lead.customer_name} is now {to.name}'s.")


def take(work: Work, team_id: int, lead_id: int, chat_user_id: str) -> Taken:
    """Take an open lead over from its owner (the "Take it" button on an escalation notice):
    anyone active on the team may. Its previous owner is told directly; the submission time and
    the first claim time stay, so its clocks do not restart.

    One conditional UPDATE on the owner this person saw decides: under concurrent taps exactly
    one matches, everyone after is told who has it now.
    """
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    member = queries.member_by_chat_id(session, team_id, chat_user_id)
    lead = queries.lead_in_team(session, team_id, lead_id)
    require_allowed(session, Act.TAKE, lead, member)
    if lead.owner_id == member.id:
        return Taken(lead.id, False, member.name, None, f"You already own {lead.customer_name}'s lead.")
    previous = session.get(Member, lead.owner_id) if lead.owner_id is not None else None
    seen_owner = col(Lead.owner_id).is_(None) if previous is None else col(Lead.owner_id) == previous.id
    result = session.execute(
        update(Lead)
        .where(col(Lead.id) == lead.id, seen_owner, col(Lead.status) == LeadStatus.OPEN)
        .values(owner_id=member.id, claimed_at=lead.claimed_at or now)
    )
    session.refresh(lead)
    if result.rowcount != 1:
        require_open(lead)  # closed meanwhile
        owner = session.get(Member, lead.owner_id) if lead.owner_id is not None else None
        if owner is None:
            return Taken(lead.id, False, "", None, f"{lead.customer_name} was released meanwhile; try again.")
        if owner.id == member.id:
            return Taken(lead.id, False, owner.name, None, f"You already own {lead.customer_name}'s lead.")
        return Taken(lead.id, False, owner.name, None,
                     f"{owner.name} took {lead.customer_name} first; it is theirs now.")
    lead.last_activity_at = max(lead.last_activity_at, now)
    refresh_due(session, lead, team)
    queue.enqueue_card(session, lead, now)
    if previous is None:
        return Taken(lead.id, True, member.name, None, f"{lead.customer_name} is yours now. {team.playbook}")
    queue.enqueue_direct(session, lead, previous.chat_user_id,
                          f"{member.name} took over {lead.customer_name} (lead #{lead.id}) after it was escalated; "
                          f"it is theirs now.", now)
    if team.managers_channel and not is_manager(member):  # a manager who took it knows
        queue.enqueue_notice(session, lead, to="channel", address=team.managers_channel, mention=None, now=now,
                              text=f"{member.name} took over {lead.customer_name} (lead #{lead.id}) from "
                                   f"{previous.name} after it was escalated.")
    return Taken(lead.id, True, member.name, previous.name,
                 f"{lead.customer_name} is yours now; {previous.name} was told.")


def release(work: Work, team_id: int, lead_id: int, chat_user_id: str) -> Released:
    """Give a lead back to the channel, so someone else can claim it."""
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    member = queries.member_by_chat_id(session, team_id, chat_user_id)
    lead = queries.lead_in_team(session, team_id, lead_id, lock=True)
    require_allowed(session, Act.RELEASE, lead, member)
    lead.owner_id = None
    lead.claimed_at = None
    lead.last_activity_at = max(lead.last_activity_at, now)
    refresh_due(session, lead, team)
    queue.enqueue_card(session, lead, now)
    return Released(lead.id, f"{lead.customer_name} is back in the channel for anyone to claim.")
