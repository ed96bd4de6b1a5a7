"""Teams and the people on them: set-up use cases the adapters share."""

from __future__ import annotations

from sqlmodel import select

from chatbot.store.db import transaction
from chatbot.store.models import Member, Role, Team


def ensure_team(core, *, name: str, platform: str, platform_team_id: str, **settings) -> Team:
    """The team for this chat workspace, created with `settings` the first time it is seen."""
    with transaction(core.engine) as session:
        team = session.exec(
            select(Team).where(Team.platform == platform, Team.platform_team_id == platform_team_id)
        ).first()
        if team is None:
            team = Team(name=name, platform=platform, platform_team_id=platform_team_id,
                        created_at=core.clock.now(), **settings)
            session.add(team)
            session.flush()
        return team


def add_member(core, team_id: int, *, name: str, chat_user_id: str, role: str = Role.REP,
               oncall_order: int | None = None, email: str | None = None) -> Member:
    """Add a person to the team, or update their name, role and rotation place if already there."""
    with transaction(core.engine) as session:
        member = session.exec(
            select(Member).where(Member.team_id == team_id, Member.chat_user_id == chat_user_id)
        ).first()
        if member is None:
            member = Member(team_id=team_id, chat_user_id=chat_user_id, name=name)
        member.name, member.role, member.oncall_order, member.active = name, role, oncall_order, True
        if email is not None:
            member.email = email.strip().lower()
        session.add(member)
        session.flush()
        return member


def members(core, team_id: int) -> list[Member]:
    with transaction(core.engine) as session:
        return list(session.exec(
            select(Member).where(Member.team_id == team_id, Member.active).order_by(Member.name)
        ))


def all_teams(core) -> list[Team]:
    with transaction(core.engine) as session:
        return list(session.exec(select(Team).order_by(Team.id)))


def team(core, team_id: int) -> Team:
    with transaction(core.engine) as session:
        return session.get(Team, team_id)


def member_named(core, team_id: int, name: str) -> Member | None:
    """A member by name or chat id, case-insensitively (console and '@name' arguments)."""
    wanted = name.lstrip("@").lower()
    for member in members(core, team_id):
        if wanted in (member.name.lower(), member.chat_user_id.lower()):
            return member
    return None


