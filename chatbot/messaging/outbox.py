"""Chat messages the core has decided to send, kept in the database until the chat took them.

Use cases queue a message in the same transaction as the change it reports, so a chat outage
delays a card but never loses a lead. `deliver_pending` sends what is due, oldest first, and
retries failures with backoff. Delivery is at least once: a crash between the chat's answer and
our commit can send one message twice, never zero times.

Kinds:
- card: post the lead's card, or update it in place once it has been posted. Rendered from the
  lead as it is at delivery, so several queued updates collapse into one.
- notice: a short text to a thread under the card, a person (direct) or a channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from chatbot.leads.deadlines import due_window, refresh_due
from chatbot.messaging.ports import Channel, ChatPort, ChatUnavailable, Destination, Direct, MessageRef, Thread
from chatbot.messaging.views import Notice, lead_card, returning_note
from chatbot.store import queries
from chatbot.store.db import transaction
from chatbot.store.models import Lead, LeadStatus, Member, OutboxMessage, Team

LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(minutes=15)
CARD = "card"
NOTICE = "notice"


def enqueue_card(session: Session, lead: Lead, now: datetime) -> None:
    session.add(OutboxMessage(team_id=lead.team_id, lead_id=lead.id, kind=CARD, created_at=now, next_attempt_at=now))


def enqueue_notice(session: Session, lead: Lead, *, to: str, address: str | None, text: str,
                   mention: str | None, now: datetime, hint: str | None = None) -> None:
    """Queue a notice. `to` is 'thread' (under the card), 'direct' (address = user id) or 'channel'.

    `hint` names a phrasebook phrase the platform's renderer adds (views.Notice).
    """
    session.add(OutboxMessage(
        team_id=lead.team_id, lead_id=lead.id, kind=NOTICE, created_at=now, next_attempt_at=now,
        payload={"to": to, "address": address, "text": text, "mention": mention, "hint": hint},
    ))


def enqueue_direct(session: Session, lead: Lead, user_id: str, text: str, now: datetime) -> None:
    enqueue_notice(session, lead, to="direct", address=user_id, text=text, mention=None, now=now)


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    waiting: int


def deliver_pending(core, chat: ChatPort, limit: int = 200, *, team_id: int | None = None) -> Delivery:
    """Send every queued message that is due, in order per lead; failures wait and retry.

    Each message costs two short transactions around the chat call: one takes it (a lease, so
    another worker leaves it alone) and renders it, one records that it went.
    `team_id`: only that team's messages (a chat connection that speaks for one workspace).
    """
    now = core.clock.now()
    with transaction(core.engine) as session:
        query = select(OutboxMessage.id, OutboxMessage.lead_id).where(
            col(OutboxMessage.sent_at).is_(None), OutboxMessage.next_attempt_at <= now)
        if team_id is not None:
            query = query.where(OutboxMessage.team_id == team_id)
        due = session.exec(query.order_by(OutboxMessage.id).limit(limit)).all()
    sent = failed = waiting = 0
    held_back: set[int] = set()  # leads with an earlier message not sent: keep their order
    for message_id, lead_id in due:
        if lead_id in held_back:
            waiting += 1
            continue
        outgoing = _take(core, message_id, now)
        if outgoing is None:
            continue  # another worker has it, or a card delivery already covered it
        if outgoing.waits:
            held_back.add(lead_id)  # a notice for a card not posted yet
            waiting += 1
            continue
        try:
            ref = outgoing.send(chat)
        except ChatUnavailable as exc:
            _retry_later(core, outgoing.message, now, str(exc))
            held_back.add(lead_id)
            failed += 1
            continue
        _record_sent(core, outgoing, ref, now)
        sent += 1
    return Delivery(sent, failed, waiting)


@dataclass
class Outgoing:
    """A message taken from the outbox, rendered and addressed, ready for the chat."""

    message: OutboxMessage
    destination: Destination | None = None
    view: object = None
    update_of: MessageRef | None = None  # a card already posted: update it in place
    covered: tuple[int, ...] = ()  # every queued card message this one rendering answers
    waits: bool = False

    def send(self, chat: ChatPort) -> MessageRef | None:
        if self.update_of is not None:
            chat.update(self.update_of, self.view)
            return self.update_of
        return chat.post(self.destination, self.view)


def retry_now(core) -> None:
    """Make every waiting message due at once (the chat service is known to be back)."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        session.execute(update(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None)).values(next_attempt_at=now))


def pending_count(core) -> int:
    with transaction(core.engine) as session:
        return session.exec(select(func.count()).where(col(OutboxMessage.sent_at).is_(None))).one()


def _take(core, message_id: int, now: datetime) -> Outgoing | None:
    """Lease a due message for LEASE seconds and render it, in one transaction."""
    with transaction(core.engine) as session:
        message = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.id == message_id, col(OutboxMessage.sent_at).is_(None),
                   OutboxMessage.next_attempt_at <= now)
            .with_for_update(skip_locked=True)
        ).first()
        if message is None:
            return None
        lead = session.get(Lead, message.lead_id)
        outgoing = _card(session, message, lead, now) if message.kind == CARD else _notice(message, lead)
        if not outgoing.waits:
            message.next_attempt_at = now + LEASE
            session.add(message)
        return outgoing


def _card(session: Session, message: OutboxMessage, lead: Lead, now: datetime) -> Outgoing:
    """The lead's card as it is now; posted the first time, then updated in place."""
    team = session.get(Team, lead.team_id)
    owner = session.get(Member, lead.owner_id) if lead.owner_id else None
    covered = session.exec(
        select(OutboxMessage.id).where(OutboxMessage.lead_id == lead.id, OutboxMessage.kind == CARD,
                                       col(OutboxMessage.sent_at).is_(None))
    ).all()
    card = lead_card(lead, team, owner, due_window(lead, team), now, _returning_note(session, lead, now),
                     reps=queries.reachable_members(session, team.id) if lead.status == LeadStatus.OPEN else [])
    posted = MessageRef(lead.chat_channel, lead.chat_message_id) if lead.chat_message_id else None
    return Outgoing(message, Channel(team.leads_channel or "leads"), card, posted, tuple(covered))


def _notice(message: OutboxMessage, lead: Lead) -> Outgoing:
    payload = message.payload
    notice = Notice(text=payload["text"], mention=payload.get("mention"), lead_id=message.lead_id,
                    hint=payload.get("hint"))
    if payload["to"] == "thread":
        if lead.chat_message_id is None:
            return Outgoing(message, waits=True)
        return Outgoing(message, Thread(MessageRef(lead.chat_channel, lead.chat_message_id)), notice)
    if payload["to"] == "direct":
        return Outgoing(message, Direct(payload["address"]), notice)
    return Outgoing(message, Channel(payload["address"]), notice)


def _record_sent(core, outgoing: Outgoing, ref: MessageRef, now: datetime) -> None:
    """Mark it sent; a card's first post also stores where it is and starts the claim window."""
    with transaction(core.engine) as session:
        if outgoing.message.kind == CARD and outgoing.update_of is None:
            lead = session.get(Lead, outgoing.message.lead_id)
            if lead.chat_message_id is None:
                lead.chat_channel, lead.chat_message_id = ref.channel, ref.message_id
                lead.posted_at = now
                refresh_due(session, lead, session.get(Team, lead.team_id))
        _mark_sent(session, list(outgoing.covered or (outgoing.message.id,)), now)


def _retry_later(core, message: OutboxMessage, now: datetime, error: str) -> None:
    attempts = message.attempts + 1
    backoff = min(timedelta(seconds=5 * 2 ** min(attempts - 1, 10)), MAX_BACKOFF)
    with transaction(core.engine) as session:
        session.execute(
            update(OutboxMessage).where(col(OutboxMessage.id) == message.id)
            .values(attempts=attempts, next_attempt_at=now + backoff, last_error=error[:500])
        )


def _mark_sent(session: Session, message_ids: list[int], now: datetime) -> None:
    session.execute(update(OutboxMessage).where(col(OutboxMessage.id).in_(message_ids)).values(sent_at=now))


def _returning_note(session: Session, lead: Lead, now: datetime) -> str | None:
    if lead.returning_of_id is None:
        return None
    earlier = session.get(Lead, lead.returning_of_id)
    owner = session.get(Member, earlier.owner_id) if earlier.owner_id else None
    return returning_note(earlier, owner, now)
