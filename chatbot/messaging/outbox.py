"""Chat messages the core has decided to send, kept in the database until the chat took them.

Use cases and the worker's sweeps queue a message (queue.py) in the same transaction as the
change it reports, so a chat outage delays a card but never loses a lead. `deliver_pending` sends what is due, oldest
first, and retries failures. The guarantees (docs/ARCHITECTURE.md, docs/RELIABILITY.md):
- a lead's card is posted **at most once** even when the chat's answer is lost: a post whose
  outcome is unknown is not repeated blindly; the card is first looked for (`ChatPort.find_card`,
  by the lead id the card carries) and adopted if it is there; a post the chat stores only after
  that look leaves a copy, which the worker's card tidy (tidy.py) deletes later;
- every other message (card updates, notices, handoffs, digests) is delivered **at least once**: a crash between
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
Sending is paced per lane at what the platform allows (a chat's optional `pace` attribute;
ChatPort declares none); the pace and the known outages are the deliverer's `Traffic`
(traffic.py). Each kind of message (card, notice, handoff, digest) is rendered at delivery from
the rows as they are then (render.py); one that no longer applies (a handoff whose shift is
over) is withdrawn: it leaves the outbox unsent, with one log line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, func, select

from chatbot.messaging import access
from chatbot.messaging.ports import ChatDown, ChatGone, ChatOutcomeUnknown, ChatPort, ChatUnavailable, MessageRef, Pace
from chatbot.messaging.queue import CARD, TAKEN, UNSURE, kv, pending_count, retry_now
from chatbot.messaging.render import Outgoing, record_sent, render
from chatbot.messaging.traffic import LocalTraffic, Traffic
from chatbot.store.db import transaction
from chatbot.store.models import Lead, OutboxMessage, Team

log = logging.getLogger("chatbot.delivery")

LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(minutes=15)
PROBE_MAX = timedelta(seconds=5)  # while a chat is down, how often its oldest message tries again
UNKNOWN_WAIT = timedelta(seconds=5)  # an unanswered post: give the chat this long before looking for it
# last_error starts with how the message failed; only a refused message lets later ones pass it
REFUSED, DOWN, UNKNOWN, GONE = "refused", "down", "unknown", "gone"


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    waiting: int


def deliver_pending(core, chat: ChatPort, limit: int = 200, *, team_id: int | None = None,
                    platform: str = "chat", traffic: Traffic | None = None) -> Delivery:
    """Send every queued message that is due, in order per lane and per lead; failures wait and retry.

    Each message costs two short transactions around the chat call: one takes it (a lease, so
    another worker leaves it alone) and renders it, one records that it went.
    `team_id`: only that team's messages (a chat connection that speaks for one workspace).
    `platform`: the platform's name, for the log lines. `traffic`: the deliverer's pace and
    outages (None: a fresh one, for this call only).
    """
    traffic = traffic if traffic is not None else LocalTraffic()
    sent = failed = 0
    waiting = 0
    for _ in range(5):  # a pass that saw the chat come back runs again with everything due
        result, recovered = _pass(core, chat, limit, team_id, platform, traffic)
        sent, failed, waiting = sent + result.sent, failed + result.failed, result.waiting
        if not recovered:
            break
    return Delivery(sent, failed, waiting)


def _pass(core, chat: ChatPort, limit: int, team_id: int | None, platform: str,
          traffic: Traffic) -> tuple[Delivery, bool]:
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

    def hold(message: OutboxMessage) -> None:
        if message.lead_id is not None:
            held_back.add(message.lead_id)

    for index, (message, leads_channel, _) in enumerate(rows):
        lane = (message.team_id, _lane(message, leads_channel))
        if lane in blocked or message.lead_id in held_back or message.team_id in parked:
            waiting += 1
            continue
        if message.next_attempt_at > now:  # leased by another deliverer, or waiting for its chat
            waiting += 1
            hold(message)
            if not (message.last_error or "").startswith(REFUSED):
                blocked.add(lane)
            continue
        outgoing = _take(core, message.id, now)
        if outgoing is None:
            if not _is_sent(core, message.id):  # another deliverer took it first: it goes first
                blocked.add(lane)
                hold(message)
                waiting += 1
            continue  # otherwise a card delivery already covered it, or it was withdrawn
        if outgoing.waits:
            hold(message)  # a notice for a card not posted yet
            waiting += 1
            continue
        if pace is not None and outgoing.update_of is None:  # the platform's limit is on new messages
            traffic.wait((platform, lane), pace)
        try:
            if outgoing.unsure_since is not None and outgoing.update_of is None:
                _look_for_card(chat, outgoing, platform)
            ref = outgoing.send(chat)
        except ChatDown as exc:
            _failed(core, outgoing, now, exc, platform, traffic)
            failed += 1
            waiting += len(rows) - index - 1  # the chat is down: everything after waits for it
            return Delivery(sent, failed, waiting), False
        except ChatGone as exc:
            _failed(core, outgoing, now, exc, platform, traffic)
            parked.add(message.team_id)  # nothing more for this rooftop: it waits for the app to be back
            failed += 1
            access.lose(core, chat, message.team_id, str(exc) or exc.error, platform)
            continue
        except ChatUnavailable as exc:
            _failed(core, outgoing, now, exc, platform, traffic)
            hold(message)
            failed += 1
            continue
        _record_sent(core, outgoing, ref, now)
        sent += 1
        if _came_back(core, outgoing.message, platform, now, traffic):
            return Delivery(sent, failed, waiting), True
    return Delivery(sent, failed, waiting), False


def _lane(message: OutboxMessage, leads_channel: str | None) -> str:
    """The chat channel a message goes to, as far as ordering and pacing are concerned."""
    if message.kind == CARD or message.payload.get("to") == "thread":
        return "#" + (leads_channel or "leads").lstrip("#")
    if message.payload.get("to") == "direct":
        return "@" + str(message.payload.get("address"))
    return "#" + str(message.payload.get("address") or "").lstrip("#")


def _look_for_card(chat: ChatPort, outgoing: Outgoing, platform: str) -> None:
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
    """Lease a due message for LEASE seconds and render it, in one transaction (None: another
    deliverer has it, it went, or it was withdrawn now)."""
    with transaction(core.engine) as session:
        message = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.id == message_id, col(OutboxMessage.sent_at).is_(None),
                   OutboxMessage.next_attempt_at <= now)
            .with_for_update(skip_locked=True)
        ).first()
        if message is None:
            return None
        if message.kind == CARD and session.get(Lead, message.lead_id).chat_message_id is None:
            _note_take(message, now)
        outgoing = render(session, message, now)
        if outgoing.withdrawn is not None:
            message.sent_at, message.last_error = now, f"withdrawn: {outgoing.withdrawn}"[:500]
            session.add(message)
            log.info(kv("delivery_withdrawn", team=message.team_id, outbox=message.id, kind=message.kind,
                        reason=outgoing.withdrawn))
            return None
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


def _record_sent(core, outgoing: Outgoing, ref: MessageRef, now: datetime) -> None:
    """Mark it sent, with what its kind keeps of it (render.record_sent)."""
    with transaction(core.engine) as session, session.no_autoflush:  # the lead's changes: one UPDATE, at commit
        record_sent(session, outgoing, ref, now)
        _mark_sent(session, list(outgoing.covered or (outgoing.message.id,)), now)


def _failed(core, outgoing: Outgoing, now: datetime, exc: ChatUnavailable, platform: str,
            traffic: Traffic) -> None:
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
    method = exc.method or ("post" if first_post or message.kind != CARD else "update")
    log.warning(kv("delivery_failed", platform=platform, team=message.team_id, outbox=message.id, kind=message.kind,
                    method=method, outcome=kind, error=error, attempt=attempts, next_try=next_try))
    if kind in (DOWN, UNKNOWN) and traffic.went_down((platform, message.team_id), now):
        log.warning(kv("chat_outage_started", platform=platform, team=message.team_id, error=error,
                        backlog=pending_count(core, message.team_id)))


def _came_back(core, message: OutboxMessage, platform: str, now: datetime, traffic: Traffic) -> bool:
    """After a success: was the chat down? Then everything waiting is due now, and we say so."""
    outage = traffic.came_back((platform, message.team_id))
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
