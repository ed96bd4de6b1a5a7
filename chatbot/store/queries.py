"""Lookups every use case shares, each a function on an open session.

Use cases, reports and commands find teams, people and leads here, so no use-case module has
to import another for a helper. A lookup that must find something raises the `FollowUpError`
a person can act on; one that may find nothing returns None.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, or_
from sqlmodel import Session, col, select

from chatbot.errors import UnknownLead, UnknownMember, UnknownTeam
from chatbot.store.models import Lead, Member, Team


def team(session: Session, team_id: int) -> Team:
    found = session.get(Team, team_id)
    if found is None:
        raise UnknownTeam(f"There is no team #{team_id}.")
    return found


PLACEHOLDER_PREFIX = "email:"  # the chat id of someone added by e-mail who has not used the chat yet


def members(session: Session, team_id: int) -> list[Member]:
    """The team's active people, by name."""
    return list(session.exec(
        select(Member).where(Member.team_id == team_id, Member.active).order_by(Member.name)
    ))


def reachable_members(session: Session, team_id: int) -> list[Member]:
    """The team's active people the chat can reach and who are not away (not those known only by
    e-mail so far; an away that has run out is cleared by the worker's next pass)."""
    return [m for m in members(session, team_id)
            if not m.chat_user_id.startswith(PLACEHOLDER_PREFIX) and m.away_since is None]


def member_by_chat_id(session: Session, team_id: int, chat_user_id: str) -> Member:
    member = session.exec(
        select(Member).where(Member.team_id == team_id, Member.chat_user_id == chat_user_id, Member.active)
    ).first()
    if member is None:
        raise UnknownMember(f"{chat_user_id[:40]} is not a rep on this team yet. A manager can add them "
                            f"with chatbot member add.")
    return member


def member_by_chat_id_or_email(session: Session, team_id: int, who: str) -> Member:
    """A rep named the way a CRM or phone system knows them: chat user id, else e-mail."""
    member = session.exec(
        select(Member).where(Member.team_id == team_id, Member.active,
                             or_(Member.chat_user_id == who, func.lower(Member.email) == who.strip().lower()))
        .order_by(col(Member.chat_user_id) != who)
    ).first()
    if member is None:
        raise UnknownMember("No active rep on this team has the chat id or e-mail given.")
    return member


def member_named(session: Session, team_id: int, name: str) -> Member | None:
    """A member by '@name', name, chat id or e-mail, case-insensitively (what people type)."""
    wanted = name.strip().lstrip("@").lower()
    if not wanted:
        return None
    for member in members(session, team_id):
        if wanted in (member.name.lower(), member.chat_user_id.lower(), (member.email or "").lower()):
            return member
    return None


def rotation(session: Session, team_id: int) -> list[Member]:
    """The after-hours rotation in its order."""
    return list(session.exec(
        select(Member).where(Member.team_id == team_id, Member.active, col(Member.oncall_order).is_not(None))
        .order_by(Member.oncall_order, Member.id)
    ))


def lead_in_team(session: Session, team_id: int, lead_id: int, *, lock: bool = False) -> Lead:
    query = select(Lead).where(Lead.id == lead_id, Lead.team_id == team_id)
    if lock:
        query = query.with_for_update()
    lead = session.exec(query).first()
    if lead is None:
        raise UnknownLead(f"There is no lead #{lead_id} on this team.")
    return lead


def lead_id_at_source(connection: Connection | Session, team_id: int, source: str, external_id: str) -> int | None:
    """The id of the team's lead that `source` delivered as `external_id`, or None (a plain
    SELECT: intake's hot path runs it on the connection, without the ORM)."""
    lead = Lead.__table__.c
    return connection.execute(
        select(lead.id).where(lead.team_id == team_id, lead.source == source, lead.external_id == external_id)
    ).scalar()


def lead_for_message(session: Session, channel: str, message_id: str) -> tuple[int, int] | None:
    """(team id, lead id) of the lead whose card is this chat message, or None."""
    row = session.exec(
        select(Lead.team_id, Lead.id).where(Lead.chat_channel == channel, Lead.chat_message_id == message_id)
    ).first()
    return (row[0], row[1]) if row else None


def lead_sources(session: Session, team_id: int) -> dict[str, str]:
    """The team's lead sources, lower-case name -> name as stored."""
    names = session.exec(select(Lead.source).where(Lead.team_id == team_id).distinct()).all()
    return {name.lower(): name for name in names}
