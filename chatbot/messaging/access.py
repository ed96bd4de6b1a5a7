"""A rooftop whose chat no longer takes our messages: parked, said once, resumed when the app is back.

When the platform says the app is gone from a rooftop (removed from its team, uninstalled), or
answers a message for the rooftop's channel with a refusal that no retry will change (the chat
port raises `ChatGone`), the rooftop is *parked*: `Team.chat_lost_at` and a reason. While parked:
- the outbox sends nothing for it; every message (new leads' cards too) stays in the outbox,
  untried, so no lead is lost (`outbox.deliver_pending` skips the rooftop, counting them waiting);
- the moment it is parked, its managers are told in private where the chat still lets us reach
  them (a personal chat with the bot), and one `chat_lost` log line says so and how many of them
  could not be reached;
- `/readyz` (chatbot.ops.health) and `chatbot doctor` name it and why.
When the platform says the app is back (installed again, or an activity from the rooftop's own
team arrives), `resume` unparks it and makes every waiting message due at once.

Parking and resuming are conditional UPDATEs: of two processes that see the same removal, one
parks and tells the managers; the other does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, func, select

from chatbot.messaging import queue
from chatbot.messaging.ports import ChatPort, ChatUnavailable, Direct
from chatbot.messaging.views import Notice
from chatbot.messaging.views.parked import chat_lost_text
from chatbot.store.db import transaction
from chatbot.store.models import Member, OutboxMessage, Role, Team
from chatbot.store.queries import PLACEHOLDER_PREFIX

log = logging.getLogger("chatbot.delivery")
REASON_MOST = 200


@dataclass(frozen=True)
class Parked:
    """A rooftop whose chat refuses us, for /readyz and `chatbot doctor`."""

    team_id: int
    name: str
    platform: str
    since: datetime
    reason: str
    waiting: int


def lose(core, chat: ChatPort | None, team_id: int, reason: str, platform: str) -> bool:
    """Park the rooftop because its chat refuses us for good (`reason`, a few words, no secret);
    the first time only, tell its managers through `chat` where they can be reached and log one
    line. True when it was parked now (False: it already was, or there is no such rooftop)."""
    now = core.clock.now()
    reason = " ".join(reason.split())[:REASON_MOST] or "the chat refuses the bot"
    with transaction(core.engine) as session:
        parked = session.execute(update(Team).where(col(Team.id) == team_id, col(Team.chat_lost_at).is_(None))
                                 .values(chat_lost_at=now, chat_lost_reason=reason)).rowcount
        team = session.get(Team, team_id) if parked else None
        managers = list(session.exec(
            select(Member.chat_user_id).where(Member.team_id == team_id, Member.active,
                                              col(Member.role).in_((Role.MANAGER, Role.ADMIN)),
                                              col(Member.chat_user_id).notlike(PLACEHOLDER_PREFIX + "%"))
            .order_by(Member.id))) if parked else []
    if not parked:
        return False
    waiting = queue.pending_count(core, team_id)
    told = 0
    if chat is not None:
        text = chat_lost_text(team, reason, waiting)
        for user_id in managers:
            try:
                chat.post(Direct(user_id), Notice(text=text, hint="reinstall"))
                told += 1
            except ChatUnavailable:  # their personal chat went with the app, or never was: the log says so
                continue
    log.warning(queue.kv("chat_lost", platform=platform, team=team_id, reason=reason, waiting=waiting,
                          managers_told=told, managers_unreachable=len(managers) - told))
    return True


def resume(core, team_id: int, platform: str) -> bool:
    """The platform says the app is back for this rooftop: unpark it and make every waiting message
    due at once. True when it was parked."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        since = session.exec(select(Team.chat_lost_at).where(Team.id == team_id)).first()
        resumed = since is not None and session.execute(
            update(Team).where(col(Team.id) == team_id, col(Team.chat_lost_at).is_not(None))
            .values(chat_lost_at=None, chat_lost_reason=None)).rowcount
    if not resumed:
        return False
    made_due = queue.retry_now(core, team_id)
    log.warning(queue.kv("chat_resumed", platform=platform, team=team_id,
                          lost_s=int((now - since).total_seconds()), waiting=queue.pending_count(core, team_id),
                          made_due=made_due))
    return True


def is_parked(core, team_id: int) -> bool:
    with transaction(core.engine) as session:
        return session.exec(select(Team.chat_lost_at).where(Team.id == team_id)).first() is not None


def parked(core) -> list[Parked]:
    """Every parked rooftop, the longest parked first, with how many messages wait for it."""
    with transaction(core.engine) as session:
        rows = session.exec(
            select(Team, func.count(col(OutboxMessage.id)))
            .outerjoin(OutboxMessage, (col(OutboxMessage.team_id) == Team.id) & col(OutboxMessage.sent_at).is_(None))
            .where(col(Team.chat_lost_at).is_not(None))
            .group_by(Team.id).order_by(Team.chat_lost_at, Team.id)
        ).all()
    return [Parked(team.id, team.name, team.platform, team.chat_lost_at, team.chat_lost_reason or "", waiting)
            for team, waiting in rows]
