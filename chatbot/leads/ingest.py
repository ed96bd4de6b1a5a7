"""A new lead: stored once, linked to the same shopper's earlier lead, its card queued.

A function on a `Work` (one open transaction and its moment), like every use case on a lead
(ownership.py, touches.py); `chatbot.leads.tracker` wraps it in a transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select

from chatbot.core import Work
from chatbot.intake.fields import lead_fields
from chatbot.intake.lead import IncomingLead
from chatbot.ladder.deadlines import hours_of, keep_plans_and_due
from chatbot.messaging import queue
from chatbot.messaging.views.card import warning_texts
from chatbot.messaging.views.work import shopper_back_text
from chatbot.store import queries
from chatbot.store.models import Lead, LeadStatus, Member

RETURNING_WITHIN = timedelta(days=30)


@dataclass(frozen=True)
class Ingested:
    lead_id: int
    duplicate: bool
    warnings: tuple[str, ...] = ()  # what intake guessed or dropped, in words (views.warning_texts)


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
    source, external_id = fields["source"], fields["external_id"]
    existing = queries.lead_id_at_source(connection, team_id, source, external_id)
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
        return Ingested(queries.lead_id_at_source(connection, team_id, source, external_id), duplicate=True,
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
