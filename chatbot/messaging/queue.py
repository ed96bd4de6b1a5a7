"""Putting chat messages in the outbox, and asking what waits there.

The narrow half of the outbox (chatbot/messaging/outbox.py delivers, render.py renders): use
cases, the sweep, the rollup, the on-call handoffs and the weekly digest queue their messages
here, in the same transaction as the change they report, and the parked-rooftop bookkeeping
(access.py) counts and releases what waits, none of them importing the delivery that renders
cards and asks what is due next.

Kinds: a lead's `card`; a `notice` (its text fixed when queued); a `handoff` (the incoming
on-call rep's notice, an OncallHandoff row) and a `digest` (the weekly digest, a TeamJob row),
both rendered from the rows as they are when sent. On PostgreSQL every message queued rings the
outbox bell (chatbot/messaging/bell.py) when its transaction commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, text, update
from sqlmodel import Session, col, func, select

from chatbot.messaging.bell import CHANNEL
from chatbot.store.db import transaction
from chatbot.store.models import Lead, OutboxMessage

CARD = "card"
NOTICE = "notice"
HANDOFF = "handoff"
DIGEST = "digest"
# a card's payload, kept by the delivery: a first post taken then, its outcome not recorded yet;
# when a post of it got no answer (look for it before posting again)
TAKEN, UNSURE = "taken_at", "unsure_since"


@event.listens_for(OutboxMessage, "after_insert")
def _ring(mapper, connection, target) -> None:
    """NOTIFY on PostgreSQL: delivered to listeners when the queuing transaction commits (never
    for one rolled back), several in one transaction collapse into one."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def enqueue_card(session: Session, lead: Lead, now: datetime) -> None:
    session.add(OutboxMessage(team_id=lead.team_id, lead_id=lead.id, kind=CARD, created_at=now, next_attempt_at=now))


def enqueue_notice(session: Session, lead: Lead, *, to: str, address: str | None, text: str,
                   mention: str | None, now: datetime, hint: str | None = None, take: bool = False) -> None:
    """Queue a notice. `to` is 'thread' (under the card), 'direct' (address = user id) or 'channel'.

    `hint` names a phrasebook phrase the platform's renderer adds; `take` offers "Take it" (views.Notice).
    """
    payload = {"to": to, "address": address, "text": text, "mention": mention, "hint": hint}
    if take:
        payload["take"] = True
    session.add(OutboxMessage(
        team_id=lead.team_id, lead_id=lead.id, kind=NOTICE, created_at=now, next_attempt_at=now, payload=payload,
    ))


def enqueue_direct(session: Session, lead: Lead, user_id: str, text: str, now: datetime) -> None:
    enqueue_notice(session, lead, to="direct", address=user_id, text=text, mention=None, now=now)


def enqueue_handoff(session: Session, team_id: int, handoff_id: int, user_id: str, now: datetime) -> None:
    """Queue the on-call handoff `handoff_id` for the rep `user_id` would be (direct)."""
    session.add(OutboxMessage(team_id=team_id, kind=HANDOFF, created_at=now, next_attempt_at=now,
                              payload={"to": "direct", "address": user_id, "handoff": handoff_id}))


def enqueue_digest(session: Session, team_id: int, job_id: int, channel: str, now: datetime) -> None:
    """Queue the weekly digest of the TeamJob `job_id`, to `channel`."""
    session.add(OutboxMessage(team_id=team_id, kind=DIGEST, created_at=now, next_attempt_at=now,
                              payload={"to": "channel", "address": channel, "job": job_id}))


def kv(event: str, **fields: object) -> str:
    """One structured log line: `event key=value ...` (values with spaces quoted)."""
    parts = [event]
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        text = str(value)
        parts.append(f'{key}="{text}"' if (" " in text or '"' in text or not text) else f"{key}={text}")
    return " ".join(parts)


def retry_now(core, team_id: int | None = None) -> int:
    """Make every waiting message due at once (the chat service is known to be back)."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        statement = update(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None), OutboxMessage.next_attempt_at > now)
        if team_id is not None:
            statement = statement.where(OutboxMessage.team_id == team_id)
        return session.execute(statement.values(next_attempt_at=now)).rowcount


def pending_count(core, team_id: int | None = None) -> int:
    with transaction(core.engine) as session:
        query = select(func.count()).where(col(OutboxMessage.sent_at).is_(None))
        if team_id is not None:
            query = query.where(OutboxMessage.team_id == team_id)
        return session.exec(query).one()
