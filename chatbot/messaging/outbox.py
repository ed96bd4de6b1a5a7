"""Chat messages the core has decided to send, kept in the database until the chat took them.

Use cases queue a message (queue.py) in the same transaction as the change it reports, so a
chat outage delays a card but never loses a lead. `deliver_pending` sends what is due, oldest
first, and retries failures. The guarantees (docs/ARCHITECTURE.md, docs/RELIABILITY.md):
- a lead's card is posted **at most once** even when the chat's answer is lost: a post whose
  outcome is unknown is not repeated blindly; the card is first looked for (`ChatPort.find_card`,
  by the lead id the card carries) and adopted if it is there;
- every other message (card updates, notices) is delivered **at least once**: a crash between
  the chat's answer and our commit can send one twice, never zero times;
- per channel (a *lane*: the team's leads channel with its threads, a person's DMs, another
  channel) messages go in the order they were queued: while the chat is down nothing overtakes
  the oldest waiting message, and a lead's messages go in order.

How failures are handled, by the kind the chat port raises (chatbot.messaging.ports):
- refused (`ChatUnavailable`): that message backs off on its own (5 s doubling to 15 min);
  other messages go on;
- chat down (`ChatDown`): the pass stops for that chat; the failed message is retried first,
  as a probe, after at most PROBE_MAX (or the chat's Retry-After); the first success after
  failures makes every waiting message of the team due at once (`retry_now`);
- the rooftop refused for good (`ChatGone`: the app removed, its channel refusing us): the
  rooftop is parked (chatbot.messaging.access): nothing more is sent for it, its messages wait
  untried, its managers are told where reachable, until the platform says the app is back;
- unknown outcome (`ChatOutcomeUnknown`): as chat down, and the card is marked so that its next
  attempt looks before it posts. So is a first post taken by a deliverer that never came back
  (killed between the chat's answer and our commit): its lease runs out, and the next taker,
  finding the take unrecorded, looks before it posts.
Sending is paced per lane at what the platform allows (a chat's optional `pace` attribute; ChatPort declares none).

Kinds:
- card: post the lead's card, or update it in place once it has been posted. Rendered from the
  lead as it is at delivery, so several queued updates collapse into one.
- notice: a short text to a thread under the card, a person (direct) or a channel.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, func, select

from chatbot.ladder.deadlines import refresh_due
from chatbot.messaging import access
from chatbot.messaging.next_up import next_up
from chatbot.messaging.ports import (
    Channel,
    ChatDown,
    ChatGone,
    ChatOutcomeUnknown,
    ChatPort,
    ChatUnavailable,
    Destination,
    Direct,
    MessageRef,
    Pace,
    Thread,
)
from chatbot.messaging.queue import CARD, NOTICE, kv, pending_count, retry_now
from chatbot.messaging.views import Notice
from chatbot.messaging.views.card import lead_card, returning_note
from chatbot.store import queries
from chatbot.store.db import transaction
from chatbot.store.models import Lead, LeadStatus, Member, OutboxMessage, Team

log = logging.getLogger("chatbot.delivery")

LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(minutes=15)
PROBE_MAX = timedelta(seconds=5)  # while a chat is down, how often its oldest message tries again
UNKNOWN_WAIT = timedelta(seconds=5)  # an unanswered post: give the chat this long before looking for it
# last_error starts with how the message failed; only a refused message lets later ones pass it
REFUSED, DOWN, UNKNOWN, GONE = "refused", "down", "unknown", "gone"
UNSURE = "unsure_since"  # a card's payload: when a post of it got no answer (look before posting)
TAKEN = "taken_at"  # a card's payload: a first post taken then, its outcome not recorded yet


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    waiting: int


# ----------------------------------------------------------------------------- pacing and outages


class Pacer:
    """Token buckets per lane: at most `pace.burst` at once, then `pace.per_second`.

    Real (monotonic) time, not the core's clock: it paces calls to a real service.
    """

    def __init__(self, monotonic=time.monotonic, sleep=time.sleep) -> None:
        self._monotonic, self._sleep = monotonic, sleep
        self._lock = threading.Lock()
        self._buckets: dict[tuple, tuple[float, float]] = {}

    def wait(self, lane: tuple, pace: Pace) -> float:
        """Take a token for `lane`, sleeping until there is one; returns the seconds slept."""
        with self._lock:
            now = self._monotonic()
            tokens, then = self._buckets.get(lane, (float(pace.burst), now))
            tokens = min(float(pace.burst), tokens + (now - then) * pace.per_second) - 1
            self._buckets[lane] = (tokens, now)
        delay = -tokens / pace.per_second if tokens < 0 else 0.0
        if delay > 0:
            self._sleep(delay)
        return delay


PACER = Pacer()


@dataclass
class _Outage:
    since: datetime
    failures: int = 0


_outages: dict[tuple[str, int | None], _Outage] = {}  # (platform, team) -> known down since
_outages_lock = threading.Lock()


# ----------------------------------------------------------------------------- delivering


def deliver_pending(core, chat: ChatPort, limit: int = 200, *, team_id: int | None = None,
                    platform: str = "chat") -> Delivery:
    """Send every queued message that is due, in order per lane and per lead; failures wait and retry.

    Each message costs two short transactions around the chat call: one takes it (a lease, so
    another worker leaves it alone) and renders it, one records that it went.
    `team_id`: only that team's messages (a chat connection that speaks for one workspace).
    `platform`: the platform's name, for the log lines.
    """
    sent = failed = 0
    waiting = 0
    for _ in range(5):  # a pass that saw the chat come back runs again with everything due
        result, recovered = _pass(core, chat, limit, team_id, platform)
        sent, failed, waiting = sent + result.sent, failed + result.failed, result.waiting
        if not recovered:
            break
    return Delivery(sent, failed, waiting)


def _pass(core, chat: ChatPort, limit: int, team_id: int | None, platform: str) -> tuple[Delivery, bool]:
    now = core.clock.now()
    with transaction(core.engine) as session:
        query = (
            select(OutboxMessage, Team.leads_channel, Team.chat_lost_at)
            .join(Team, col(Team.id) == OutboxMessage.team_id)
            .where(col(OutboxMessage.sent_at).is_(None),
                   or_(OutboxMessage.next_attempt_at <= now, col(OutboxMessage.last_error).is_(None),
                       col(OutboxMessage.last_error).notlike(REFUSED + "%")))
        )
        if team_id is not None:
            query = query.where(OutboxMessage.team_id == team_id)
        rows = session.exec(query.order_by(OutboxMessage.id).limit(limit)).all()
    pace: Pace | None = getattr(chat, "pace", None)
    sent = failed = waiting = 0
    blocked: set[tuple] = set()  # lanes where an earlier message is in flight or waits for the chat
    held_back: set[int] = set()  # leads with an earlier message not sent: keep their order
    parked = {message.team_id for message, _, lost_at in rows if lost_at is not None}
    for index, (message, leads_channel, _) in enumerate(rows):
        lane = (message.team_id, _lane(message, leads_channel))
        if lane in blocked or message.lead_id in held_back or message.team_id in parked:
            waiting += 1
            continue
        if message.next_attempt_at > now:  # leased by another deliverer, or waiting for its chat
            waiting += 1
            held_back.add(message.lead_id)
            if not (message.last_error or "").startswith(REFUSED):
                blocked.add(lane)
            continue
        outgoing = _take(core, message.id, now)
        if outgoing is None:
            if not _is_sent(core, message.id):  # another deliverer took it first: it goes first
                blocked.add(lane)
                held_back.add(message.lead_id)
                waiting += 1
            continue  # otherwise a card delivery already covered it
        if outgoing.waits:
            held_back.add(message.lead_id)  # a notice for a card not posted yet
            waiting += 1
            continue
        if pace is not None and outgoing.update_of is None:  # the platform's limit is on new messages
            PACER.wait((platform, lane), pace)
        try:
            if outgoing.unsure_since is not None and outgoing.update_of is None:
                _look_for_card(core, chat, outgoing, platform)
            ref = outgoing.send(chat)
        except ChatDown as exc:
            _failed(core, outgoing, now, exc, platform)
            failed += 1
            waiting += len(rows) - index - 1  # the chat is down: everything after waits for it
            return Delivery(sent, failed, waiting), False
        except ChatGone as exc:
            _failed(core, outgoing, now, exc, platform)
            parked.add(message.team_id)  # nothing more for this rooftop: it waits for the app to be back
            failed += 1
            access.lose(core, chat, message.team_id, str(exc) or exc.error, platform)
            continue
        except ChatUnavailable as exc:
            _failed(core, outgoing, now, exc, platform)
            held_back.add(message.lead_id)
            failed += 1
            continue
        _record_sent(core, outgoing, ref, now)
        sent += 1
        if _came_back(core, outgoing.message, platform, now):
            return Delivery(sent, failed, waiting), True
    return Delivery(sent, failed, waiting), False


def _lane(message: OutboxMessage, leads_channel: str | None) -> str:
    """The chat channel a message goes to, as far as ordering and pacing are concerned."""
    if message.kind == CARD or message.payload.get("to") == "thread":
        return "#" + (leads_channel or "leads").lstrip("#")
    if message.payload.get("to") == "direct":
        return "@" + str(message.payload.get("address"))
    return "#" + str(message.payload.get("address") or "").lstrip("#")


@dataclass
class Outgoing:
    """A message taken from the outbox, rendered and addressed, ready for the chat."""

    message: OutboxMessage
    destination: Destination | None = None
    view: object = None
    update_of: MessageRef | None = None  # a card already posted: update it in place
    covered: tuple[int, ...] = ()  # every queued card message this one rendering answers
    waits: bool = False
    unsure_since: datetime | None = None  # a first post of this card got no answer at that time
    adopted: bool = False  # the card was found in the channel: posted by that unanswered call

    def send(self, chat: ChatPort) -> MessageRef | None:
        if self.update_of is not None:
            chat.update(self.update_of, self.view)
            return self.update_of
        return chat.post(self.destination, self.view)


def _look_for_card(core, chat: ChatPort, outgoing: Outgoing, platform: str) -> None:
    """Before posting again a card whose last post went unanswered: is it in the channel already?"""
    find = getattr(chat, "find_card", None)
    found = find(outgoing.destination, outgoing.message.lead_id) if find is not None else None
    if found is not None:
        outgoing.update_of, outgoing.adopted = found, True  # brought up to date in place
    log.info(kv("card_lookup", platform=platform, team=outgoing.message.team_id, lead=outgoing.message.lead_id,
                 outbox=outgoing.message.id, found="yes" if found else "no"))


def next_attempt(core, after: datetime | None = None) -> datetime | None:
    """When the earliest unsent message is due (`after`: the earliest due later than that).
    The courier sleeps until then."""
    with transaction(core.engine) as session:
        query = select(func.min(OutboxMessage.next_attempt_at)).where(col(OutboxMessage.sent_at).is_(None))
        if after is not None:
            query = query.where(OutboxMessage.next_attempt_at > after)
        return session.exec(query).one()


def _is_sent(core, message_id: int) -> bool:
    with transaction(core.engine) as session:
        message = session.get(OutboxMessage, message_id)
        return message is None or message.sent_at is not None


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
        first_post = message.kind == CARD and lead.chat_message_id is None
        if first_post:
            _note_take(message, now)
        outgoing = _card(session, message, lead, now) if message.kind == CARD else _notice(message, lead)
        if not outgoing.waits:
            message.next_attempt_at = now + LEASE
            session.add(message)
        return outgoing


def _note_take(message: OutboxMessage, now: datetime) -> None:
    """A card's first post is being taken: if an earlier take never recorded how it went (its
    deliverer died, perhaps after the chat had posted it), the post is unsure; note this take."""
    payload = dict(message.payload or {})
    if payload.get(TAKEN) and not payload.get(UNSURE):
        payload[UNSURE] = payload[TAKEN]
    payload[TAKEN] = now.isoformat()
    message.payload = payload


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


def _record_sent(core, outgoing: Outgoing, ref: MessageRef, now: datetime) -> None:
    """Mark it sent; a card's first post also stores where it is and starts the claim window."""
    with transaction(core.engine) as session, session.no_autoflush:  # the lead's changes: one UPDATE, at commit
        if outgoing.message.kind == CARD and (outgoing.update_of is None or outgoing.adopted):
            lead = session.get(Lead, outgoing.message.lead_id)
            if lead.chat_message_id is None:
                lead.chat_channel, lead.chat_message_id = ref.channel, ref.message_id
                lead.posted_at = outgoing.unsure_since if outgoing.adopted and outgoing.unsure_since else now
                refresh_due(session, lead, session.get(Team, lead.team_id))
        _mark_sent(session, list(outgoing.covered or (outgoing.message.id,)), now)


def _failed(core, outgoing: Outgoing, now: datetime, exc: ChatUnavailable, platform: str) -> None:
    """Record a failed send, decide when it tries again, and say so in one log line."""
    message = outgoing.message
    attempts = message.attempts + 1
    kind = (UNKNOWN if isinstance(exc, ChatOutcomeUnknown) else DOWN if isinstance(exc, ChatDown)
            else GONE if isinstance(exc, ChatGone) else REFUSED)
    if kind == GONE:  # due again as soon as the rooftop is resumed; until then it is not tried
        delay = timedelta(0)
    elif kind == REFUSED:
        delay = min(timedelta(seconds=5 * 2 ** min(attempts - 1, 10)), MAX_BACKOFF)
    else:
        delay = (timedelta(seconds=exc.retry_after) if exc.retry_after
                 else min(timedelta(seconds=2 ** min(attempts - 1, 10)), PROBE_MAX))
        if kind == UNKNOWN:
            delay = max(delay, UNKNOWN_WAIT)
    next_try = now + delay
    error = (exc.error or type(exc).__name__)[:200]
    values: dict = {"attempts": attempts, "next_attempt_at": next_try, "last_error": f"{kind}: {error}"[:500]}
    first_post = message.kind == CARD and outgoing.update_of is None
    with transaction(core.engine) as session:
        if first_post:  # the take's outcome is recorded; an unanswered post leaves the card unsure
            payload = dict(session.get(OutboxMessage, message.id).payload or {})
            payload.pop(TAKEN, None)
            if kind == UNKNOWN:
                payload.setdefault(UNSURE, now.isoformat())
            values["payload"] = payload
        session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == message.id).values(**values))
    method = exc.method or ("post" if first_post or message.kind == NOTICE else "update")
    log.warning(kv("delivery_failed", platform=platform, team=message.team_id, outbox=message.id, kind=message.kind,
                    method=method, outcome=kind, error=error, attempt=attempts, next_try=next_try))
    if kind in (DOWN, UNKNOWN):
        _went_down(core, platform, message.team_id, now, error)


def _went_down(core, platform: str, team_id: int, now: datetime, error: str) -> None:
    with _outages_lock:
        outage = _outages.get((platform, team_id))
        started = outage is None
        if started:
            outage = _outages[(platform, team_id)] = _Outage(since=now)
        outage.failures += 1
    if started:
        log.warning(kv("chat_outage_started", platform=platform, team=team_id, error=error,
                        backlog=pending_count(core, team_id)))


def _came_back(core, message: OutboxMessage, platform: str, now: datetime) -> bool:
    """After a success: was the chat down? Then everything waiting is due now, and we say so."""
    with _outages_lock:
        outage = _outages.pop((platform, message.team_id), None)
    waited = (message.last_error or "").startswith((DOWN, UNKNOWN))
    if outage is None and not waited:
        return False
    made_due = retry_now(core, message.team_id)
    log.warning(kv("chat_outage_ended", platform=platform, team=message.team_id,
                    lasted_s=int((now - outage.since).total_seconds()) if outage else None,
                    failures=outage.failures if outage else None,
                    backlog=pending_count(core, message.team_id) + 1, made_due=made_due))  # + the one just sent
    return True


def _mark_sent(session: Session, message_ids: list[int], now: datetime) -> None:
    session.execute(update(OutboxMessage).where(col(OutboxMessage.id).in_(message_ids)).values(sent_at=now))


def _returning_note(session: Session, lead: Lead, now: datetime) -> str | None:
    if lead.returning_of_id is None:
        return None
    earlier = session.get(Lead, lead.returning_of_id)
    owner = session.get(Member, earlier.owner_id) if earlier.owner_id else None
    return returning_note(earlier, owner, now)
