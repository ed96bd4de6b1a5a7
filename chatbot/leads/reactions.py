"""A reaction on a lead's card, wherever it is seen: its event (chatbot.inbound.reactions) or the
worker's lookout asking the chat about a reaction whose event never came
(chatbot.escalation.lookout). Both claim through `claim_by_reaction`, so a reaction means the
same thing on every platform and by either road.
"""

from __future__ import annotations

from chatbot.core import Work
from chatbot.leads import ownership
from chatbot.leads.ownership import Claimed
from chatbot.store import queries


def claims(claim_emoji: str | None, emoji: str) -> bool:
    """Whether a reaction with `emoji` (its name, the platform's markup taken off) claims on a
    rooftop whose claim emoji is `claim_emoji` (None: any reaction claims)."""
    return not claim_emoji or emoji == claim_emoji


def claim_by_reaction(work: Work, team_id: int, lead_id: int, chat_user_id: str, emoji: str) -> Claimed | None:
    """The reactor claims the lead, as Claim would (the first wins, the others are told who has
    it; a refusal raises its FollowUpError); None when the emoji is not the one that claims
    here: nothing happens, and the reactor is told nothing."""
    if not claims(queries.team(work.session, team_id).claim_emoji, emoji):
        return None
    return ownership.claim(work, team_id, lead_id, chat_user_id)
