"""The reaction lookout: a rep's reaction on a card claims the lead even when its event never
reached us (the web process was killed after acking it, or was down longer than Slack retries).

The worker runs `ReactionLookout.look` every LOOK_EVERY_S. For each open, unclaimed lead whose card
has been up for GRACE (time for the event itself to arrive) and was not looked at in the last
LOOK_AGAIN, it asks the team's chat who reacted to the card (`ChatPort.reactions`; a chat that
cannot say is skipped) and claims the lead for the first of them the reaction would have claimed
for: a rep on the team, with the team's claim emoji if it has one. That rep is told in a direct
message; the card is updated as after any claim. At most BATCH cards per pass (Slack allows
reactions.get about 50 times a minute).

Only cards nothing has happened to since they went up are looked at: a released lead's card
still carries the reaction that claimed it before, and that must not claim it again.
The claim is dated when the lookout finds it, not when the rep reacted (the chat does not say):
at most GRACE + LOOK_EVERY_S late. The last look per lead is kept in this process only: a restarted
worker looks again at once, which costs one call per card and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import col, select

from chatbot.core import Work, run
from chatbot.errors import FollowUpError
from chatbot.leads.ownership import Claimed
from chatbot.leads.reactions import claim_by_reaction
from chatbot.messaging import queue
from chatbot.messaging.ports import ChatDown, ChatUnavailable, MessageRef
from chatbot.store import queries
from chatbot.store.db import transaction
from chatbot.store.models import Lead, LeadStatus, Team

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=30)
LOOK_AGAIN = timedelta(minutes=1)
LOOK_EVERY_S = 20
BATCH = 15  # every LOOK_EVERY_S: at most 45 reactions.get a minute, under Slack's ~50 for that method


def claim_from_reaction(work: Work, team_id: int, lead_id: int, chat_user_id: str, emoji: str) -> Claimed | None:
    """Claim as the reaction's event would have (chatbot.leads.reactions, the same rule; None:
    that emoji does not claim here); the rep who wins is told why the lead is theirs."""
    claimed = claim_by_reaction(work, team_id, lead_id, chat_user_id, emoji)
    if claimed is not None and claimed.won:
        lead = queries.lead_in_team(work.session, team_id, lead_id)
        queue.enqueue_direct(work.session, lead, chat_user_id,
                              f"Your reaction on the card claimed it. {claimed.message}", work.now)
    return claimed


class ReactionLookout:
    """Claims unclaimed leads whose cards carry a reaction the chat never told us about."""

    def __init__(self) -> None:
        self._looked: dict[int, datetime] = {}  # lead id -> when this process last asked the chat

    def look(self, core, platforms) -> int:
        """One pass; returns how many leads it claimed."""
        now = core.clock.now()
        with transaction(core.engine) as session:
            unclaimed = session.exec(
                select(Lead.id, Lead.chat_channel, Lead.chat_message_id, Team)
                .join(Team, col(Team.id) == Lead.team_id)
                .where(Lead.status == LeadStatus.OPEN, col(Lead.owner_id).is_(None),
                       col(Lead.chat_message_id).is_not(None), col(Lead.posted_at) <= now - GRACE,
                       # nothing happened since the card went up: a released lead's card still
                       # carries its old owner's reaction, which must not claim it again
                       col(Lead.last_activity_at) <= col(Lead.posted_at))
                .order_by(col(Lead.posted_at)).limit(500)
            ).all()
        self._looked = {lead: at for lead, at in self._looked.items() if at > now - LOOK_AGAIN}
        due = [row for row in unclaimed if row[0] not in self._looked][:BATCH]
        claimed = 0
        down: set[int] = set()  # teams whose chat did not answer: ask again next pass
        for lead_id, channel, message_id, team in due:
            if team.id in down:
                continue
            chat = platforms.chat_for(team)
            reactions = getattr(chat, "reactions", None)
            self._looked[lead_id] = now
            if reactions is None:
                continue
            try:
                reacted = reactions(MessageRef(channel, message_id))
            except ChatUnavailable as exc:
                log.warning("reaction_lookout_failed team=%d lead=%d error=%s", team.id, lead_id, exc.error)
                if isinstance(exc, ChatDown):
                    down.add(team.id)
                continue
            for user, emoji in reacted:
                try:
                    result = run(core, claim_from_reaction, team.id, lead_id, user, emoji)
                except FollowUpError:  # not on the team, not allowed to claim, or the lead closed meanwhile
                    continue
                if result is None:  # another emoji than the team's claim emoji
                    continue
                if result.won:
                    claimed += 1
                    log.info("reaction_lookout_claimed team=%d lead=%d", team.id, lead_id)
                break  # claimed now, or by someone else meanwhile
        return claimed
