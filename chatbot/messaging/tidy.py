"""The card tidy: one live card per lead, even when the chat stored a post after we gave up on it.

A card whose first post got no answer is looked for before it is posted again (outbox.py), but
the chat may store that post later than the look (Slack holding a request past the client's
timeout): the channel then shows the card twice. When such a card is recorded
(render.record_sent), its lead gets `card_check_at`, CHECK_AFTER later. The worker runs
`tidy_cards` every TIDY_EVERY_S: for each lead due it asks the team's chat for the lead's cards
in the channel (`ChatPort.lead_cards`) and deletes all but one (`ChatPort.delete`), one log line
each. The one kept is the card the lead records, unless only another one carries reactions
(people reacted to the copy): the lead then adopts that one and queues its card update, so it
shows the lead as it is now, and the reaction lookout (chatbot/escalation/lookout.py) claims
from those reactions as from any card's.

Each lead is looked at once: its mark is cleared after the look, or when its chat cannot look
(no `lead_cards` or `delete`: Teams) or refuses to. A chat that is down or not reachable from
this worker keeps the mark, due again LOOK_AGAIN later. The mark is a stored row, so a
restarted worker neither repeats a look nor skips one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from chatbot.messaging.ports import Channel, ChatDown, ChatPort, ChatUnavailable, MessageRef
from chatbot.messaging.queue import enqueue_card, kv
from chatbot.store.db import transaction
from chatbot.store.models import Lead, Team

log = logging.getLogger("chatbot.delivery")

CHECK_AFTER = timedelta(seconds=30)  # after recording a card whose post went unanswered: look for copies
LOOK_AGAIN = timedelta(minutes=1)  # the chat was down: look then
TIDY_EVERY_S = 20
BATCH = 10  # leads per pass: each look is a history read (Slack allows ~50 a minute)


def tidy_cards(core, platforms) -> int:
    """One pass over the leads due for a look; returns how many adopted another copy of their
    card (a card update is queued for each)."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        due = session.exec(
            select(Lead.id, Lead.chat_channel, Lead.chat_message_id, Team)
            .join(Team, col(Team.id) == Lead.team_id)
            .where(col(Lead.card_check_at) <= now)
            .order_by(col(Lead.card_check_at)).limit(BATCH)
        ).all()
    adopted = 0
    down: set[int] = set()  # teams whose chat did not answer: their leads wait for the next look
    for lead_id, channel, message_id, team in due:
        chat = platforms.chat_for(team) if team.id not in down else None
        if chat is None:  # not reachable from here now (parked, not configured, down): later
            down.add(team.id)
            _mark(core, lead_id, now + LOOK_AGAIN)
            continue
        if getattr(chat, "lead_cards", None) is None or getattr(chat, "delete", None) is None:
            _mark(core, lead_id, None)  # this chat cannot look: nothing to tidy, ever
            continue
        try:
            adopted += _tidy(core, chat, team.id, lead_id, MessageRef(channel, message_id), now)
        except ChatUnavailable as exc:
            log.warning(kv("card_tidy_failed", team=team.id, lead=lead_id, method=exc.method, error=exc.error))
            if isinstance(exc, ChatDown):
                down.add(team.id)
                _mark(core, lead_id, now + LOOK_AGAIN)
                continue
        _mark(core, lead_id, None)  # looked at (or refused for good): once is enough
    return adopted


def _tidy(core, chat: ChatPort, team_id: int, lead_id: int, recorded: MessageRef, now: datetime) -> bool:
    """Keep one card of the lead, delete its copies; True when the lead adopted a copy."""
    cards = chat.lead_cards(Channel(recorded.channel), lead_id)
    copies = [card for card in cards if card != recorded]
    if not copies:
        return False
    keep = recorded if recorded in cards else copies[0]
    reactions = getattr(chat, "reactions", None)
    if reactions is not None and not (recorded in cards and reactions(recorded)):
        keep = next((card for card in copies if reactions(card)), keep)  # the one people reacted to
    if keep != recorded:  # recorded before any deletion: a crash in between keeps the one adopted
        with transaction(core.engine) as session:
            lead = session.get(Lead, lead_id)
            lead.chat_channel, lead.chat_message_id = keep.channel, keep.message_id
            session.add(lead)
            enqueue_card(session, lead, now)  # the copy was drawn when it was posted: bring it up to date
    for card in dict.fromkeys([*cards, recorded]):
        if card != keep:
            chat.delete(card)
            log.info(kv("card_copy_deleted", team=team_id, lead=lead_id, channel=card.channel,
                        message=card.message_id, kept=keep.message_id))
    return keep != recorded


def _mark(core, lead_id: int, at: datetime | None) -> None:
    with transaction(core.engine) as session:
        session.execute(update(Lead).where(col(Lead.id) == lead_id).values(card_check_at=at))
