"""Each kind of outbox message as the chat gets it: rendered from the rows as they are at
delivery, and what its rows keep once the chat took it.

- card: the lead's card as it is now; posted the first time, then updated in place (several
  queued updates collapse into one rendering).
- notice: its text was fixed when it was queued; to a thread under the card (it waits until the
  card is posted), a person (direct) or a channel.
- handoff: the incoming on-call rep's notice, what is open and overdue now. A shift that is over
  (or that nobody holds any more) by the time it could be sent is withdrawn: no notice.
- digest: the weekly digest of the row's week, with its chart, built as of the moment it goes
  out (saying it is late when that is more than LATE_AFTER after its moment). A digest a newer
  week's has superseded is withdrawn.

A view is a plain value (chatbot.messaging.views, chatbot.reports.digest.Digest); the adapters
draw it. Everything here runs inside the delivery's taking transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from chatbot.ladder.deadlines import due_window, hours_of, refresh_due
from chatbot.messaging.next_up import next_up
from chatbot.messaging.ports import Channel, ChatPort, Destination, Direct, MessageRef, Thread
from chatbot.messaging.queue import CARD, DIGEST, HANDOFF, UNSURE
from chatbot.messaging.tidy import CHECK_AFTER
from chatbot.messaging.views import Notice
from chatbot.messaging.views.card import lead_card, returning_note
from chatbot.messaging.views.oncall import due_short, handoff_text
from chatbot.reports.digest import Digest, build_digest, late_text
from chatbot.store import queries
from chatbot.store.models import (
    JOB_DUE,
    JOB_SENT,
    Lead,
    LeadStatus,
    Member,
    OncallHandoff,
    OutboxMessage,
    Team,
    TeamJob,
)
from chatbot.team.schedule import load

LATE_AFTER = timedelta(minutes=10)  # a digest sent later than this after its moment says so


@dataclass
class Outgoing:
    """A message taken from the outbox, rendered and addressed, ready for the chat."""

    message: OutboxMessage
    destination: Destination | None = None
    view: object = None
    update_of: MessageRef | None = None  # a card already posted: update it in place
    covered: tuple[int, ...] = ()  # every queued card message this one rendering answers
    waits: bool = False  # not yet: a notice for a card not posted yet
    withdrawn: str | None = None  # no longer to be sent, and why
    unsure_since: datetime | None = None  # a first post of this card got no answer at that time
    adopted: bool = False  # the card was found in the channel: posted by that unanswered call
    keep: dict = field(default_factory=dict)  # what the kind's row records once it went

    def send(self, chat: ChatPort) -> MessageRef | None:
        if self.update_of is not None:
            chat.update(self.update_of, self.view)
            return self.update_of
        if isinstance(self.view, Digest):
            return post_digest(chat, self.destination, self.view)
        return chat.post(self.destination, self.view)


def post_digest(chat: ChatPort, to: Channel, digest: Digest) -> MessageRef:
    """The digest with its chart (ChatPort.upload); a chat without images gets the text."""
    from chatbot.reports.chart import digest_png  # matplotlib loads only when a digest is drawn

    upload = getattr(chat, "upload", None)
    if upload is None:
        return chat.post(to, Notice(text=digest.message.text))
    return upload(to, digest.message, digest_png(digest), digest.filename)


def render(session: Session, message: OutboxMessage, now: datetime) -> Outgoing:
    """The message as the chat gets it now."""
    if message.kind == CARD:
        return _card(session, message, session.get(Lead, message.lead_id), now)
    if message.kind == HANDOFF:
        return _handoff(session, message, now)
    if message.kind == DIGEST:
        return _digest(session, message, now)
    return _notice(message, session.get(Lead, message.lead_id))


def record_sent(session: Session, outgoing: Outgoing, ref: MessageRef, now: datetime) -> None:
    """What the message's rows keep once the chat took it: a card's first post stores where it is
    and starts the claim window (and, when a post of it went unanswered, when to look for copies:
    chatbot/messaging/tidy.py); a handoff who was told; a digest where it went and whether late."""
    message = outgoing.message
    if message.kind == CARD and (outgoing.update_of is None or outgoing.adopted):
        lead = session.get(Lead, message.lead_id)
        if lead.chat_message_id is None:
            lead.chat_channel, lead.chat_message_id = ref.channel, ref.message_id
            lead.posted_at = outgoing.unsure_since if outgoing.adopted and outgoing.unsure_since else now
            if outgoing.unsure_since is not None:  # the unanswered post may still show up beside this one
                lead.card_check_at = now + CHECK_AFTER
            refresh_due(session, lead, session.get(Team, lead.team_id))
    elif message.kind == HANDOFF:
        row = session.get(OncallHandoff, message.payload["handoff"])
        row.sent_at, row.member_id = now, outgoing.keep["member_id"]
        session.add(row)
    elif message.kind == DIGEST:
        job = session.get(TeamJob, message.payload["job"])
        job.status, job.sent_at, job.late = JOB_SENT, now, outgoing.keep["late"]
        job.channel, job.message_id = ref.channel, ref.message_id
        session.add(job)


# ----------------------------------------------------------------------------- cards and notices


def _card(session: Session, message: OutboxMessage, lead: Lead, now: datetime) -> Outgoing:
    """The lead's card as it is now; posted the first time, then updated in place."""
    team = session.get(Team, lead.team_id)
    owner = session.get(Member, lead.owner_id) if lead.owner_id else None
    queued = session.exec(
        select(OutboxMessage.id, OutboxMessage.payload).where(
            OutboxMessage.lead_id == lead.id, OutboxMessage.kind == CARD, col(OutboxMessage.sent_at).is_(None))
    ).all()
    unsure = [datetime.fromisoformat(payload[UNSURE]) for _, payload in queued if (payload or {}).get(UNSURE)]
    card = lead_card(lead, team, owner, next_up(session, lead, team, now, posting_at=now), now,
                     _returning_note(session, lead, now),
                     reps=queries.reachable_members(session, team.id) if lead.status == LeadStatus.OPEN else [])
    posted = MessageRef(lead.chat_channel, lead.chat_message_id) if lead.chat_message_id else None
    return Outgoing(message, Channel(team.leads_channel or "leads"), card, posted, tuple(i for i, _ in queued),
                    unsure_since=min(unsure) if unsure and posted is None else None)


def _returning_note(session: Session, lead: Lead, now: datetime) -> str | None:
    if lead.returning_of_id is None:
        return None
    earlier = session.get(Lead, lead.returning_of_id)
    owner = session.get(Member, earlier.owner_id) if earlier.owner_id else None
    return returning_note(earlier, owner, now)


def _notice(message: OutboxMessage, lead: Lead) -> Outgoing:
    payload = message.payload
    notice = Notice(text=payload["text"], mention=payload.get("mention"), lead_id=message.lead_id,
                    hint=payload.get("hint"), take=bool(payload.get("take")))
    if payload["to"] == "thread":
        if lead.chat_message_id is None:
            return Outgoing(message, waits=True)
        return Outgoing(message, Thread(MessageRef(lead.chat_channel, lead.chat_message_id)), notice)
    if payload["to"] == "direct":
        return Outgoing(message, Direct(payload["address"]), notice)
    return Outgoing(message, Channel(payload["address"]), notice)


# ----------------------------------------------------------------------------- the handoff


def _handoff(session: Session, message: OutboxMessage, now: datetime) -> Outgoing:
    """To whoever holds the shift now (an override made since it was queued wins)."""
    row = session.get(OncallHandoff, message.payload["handoff"])
    team = session.get(Team, row.team_id)
    schedule, people = load(session, team, now)
    shift = schedule.shift(row.day, now)
    rep = people.get(shift.rep) if shift.rep is not None else None
    if rep is None or not shift.covers(now):
        return Outgoing(message, withdrawn="the shift is over or nobody holds it")
    text = handoff_text(rep.name, shift, hours_of(team).zone, now, *_open_and_overdue(session, team, now))
    return Outgoing(message, Direct(rep.chat_user_id), Notice(text=text), keep={"member_id": rep.id})


def _open_and_overdue(session: Session, team: Team, now: datetime) -> tuple[int, list[str]]:
    rows = session.exec(  # a team's every open lead: not their details (JSON nobody here reads)
        select(Lead, Member.name).options(defer(Lead.details), defer(Lead.comments))
        .join(Member, col(Lead.owner_id) == Member.id, isouter=True)
        .where(Lead.team_id == team.id, Lead.status == LeadStatus.OPEN, col(Lead.history).is_(False))
        .order_by(Lead.id)
    ).all()
    overdue: list[str] = []
    for lead, owner in rows:
        due = due_window(lead, team)
        if due is not None and due.deadline <= now:
            overdue.append(f"#{lead.id} {lead.customer_name} ({owner or 'unclaimed'}, "
                           f"{due_short(lead, team, due, now)})")
    return len(rows), overdue


# ----------------------------------------------------------------------------- the digest


def _digest(session: Session, message: OutboxMessage, now: datetime) -> Outgoing:
    job = session.get(TeamJob, message.payload["job"])
    if job.status != JOB_DUE:
        return Outgoing(message, withdrawn=f"the digest is {job.status}")
    team = session.get(Team, job.team_id)
    late = now - job.due_at > LATE_AFTER
    digest = build_digest(session, team, job.period, now,
                          late=late_text(job.due_at, now, ZoneInfo(team.timezone)) if late else None)
    return Outgoing(message, Channel(message.payload["address"]), digest, keep={"late": late})
