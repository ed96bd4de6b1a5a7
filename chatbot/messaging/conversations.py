"""Stored conversation references: where a chat lets the bot post later, unprompted.

Teams lets a bot post a card or message a person only in a conversation it has seen, and only
through the service URL and tenant that conversation came with. The adapter stores what it
learns (on install and on every activity) under an address: 'service' for the team's service
URL and tenant, 'channel:<conversation id>', 'user:<chat user id>' for a personal chat. They
live in the database, so proactive messages survive restarts and serve many tenants.

The references are the platform's own data (a dict); the core only keeps and returns them.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from chatbot.store.db import transaction
from chatbot.store.models import ConversationRef, Team

SERVICE = "service"


def channel_address(channel_id: str) -> str:
    return f"channel:{channel_id}"


def user_address(chat_user_id: str) -> str:
    return f"user:{chat_user_id}"


def remember(core, team_id: int, address: str, reference: dict) -> None:
    """Store (or replace) the reference for this address; unchanged ones are not rewritten."""
    for _attempt in range(2):
        try:
            with transaction(core.engine) as session:
                row = session.exec(select(ConversationRef).where(ConversationRef.team_id == team_id,
                                                                 ConversationRef.address == address)).first()
                if row is not None and row.reference == reference:
                    return
                if row is None:
                    row = ConversationRef(team_id=team_id, address=address, reference=reference,
                                          updated_at=core.clock.now())
                else:
                    row.reference, row.updated_at = dict(reference), core.clock.now()
                session.add(row)
                return
        except IntegrityError:
            continue  # the same install's other activity stored it first: compare with that one


def recall(core, team_id: int, address: str) -> dict | None:
    """The stored reference for this address, or None when the bot has not seen it."""
    with transaction(core.engine) as session:
        row = session.exec(select(ConversationRef).where(ConversationRef.team_id == team_id,
                                                         ConversationRef.address == address)).first()
        return dict(row.reference) if row is not None else None


def forget(core, team_id: int, address: str) -> bool:
    """Drop the reference for this address (the chat said it is gone). True when there was one."""
    with transaction(core.engine) as session:
        row = session.exec(select(ConversationRef).where(ConversationRef.team_id == team_id,
                                                         ConversationRef.address == address)).first()
        if row is None:
            return False
        session.delete(row)
        return True


def adopt_leads_channel(core, team_id: int, channel: str, *, replace: bool = False) -> bool:
    """Make `channel` the team's leads channel when it has none yet, or always (`replace`: the
    person installing the app picked it, and is told new leads go there). True when it was set now."""
    with transaction(core.engine) as session:
        team = session.get(Team, team_id)
        if team is None or (team.leads_channel and not replace) or team.leads_channel == channel:
            return False
        team.leads_channel = channel
        session.add(team)
        return True
