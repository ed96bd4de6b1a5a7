"""Who is a manager: managers and admins may make others managers; reps may not."""

from __future__ import annotations

from sqlmodel import col, select

from chatbot.core import Work
from chatbot.errors import FollowUpError, NotAllowed, UnknownMember
from chatbot.ladder.rules import is_manager
from chatbot.store.models import Member, Role


def make_managers(work: Work, team_id: int, by_user_id: str, user_ids: list[str]) -> str:
    """Make these chat users managers (admins stay admins); only a manager or admin may.

    Returns the sentence to show, naming every manager now, e.g. "Managers now: Pat, Sam.".
    A rep is refused (NotAllowed), an id not on the team is refused (UnknownMember): nothing changes.
    """
    session = work.session
    wanted = list(dict.fromkeys(user_id.strip() for user_id in user_ids if user_id.strip()))
    actor = session.exec(
        select(Member).where(Member.team_id == team_id, Member.chat_user_id == by_user_id, Member.active)
    ).first()
    if actor is None or not is_manager(actor):
        raise NotAllowed("Only managers can name managers. Ask your sales manager.")
    if not wanted:
        raise FollowUpError("Name the people to make managers, e.g. @pat @sam.")
    people = session.exec(
        select(Member).where(Member.team_id == team_id, Member.active, col(Member.chat_user_id).in_(wanted))
    ).all()
    found = {m.chat_user_id for m in people}
    unknown = [user_id for user_id in wanted if user_id not in found]
    if unknown:
        raise UnknownMember(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not on this team yet, so "
                            f"nobody was made a manager. They join by using the bot once, or: chatbot member add.")
    for member in people:
        if not is_manager(member):
            member.role = Role.MANAGER
            session.add(member)
    session.flush()
    managers = session.exec(
        select(Member.name).where(Member.team_id == team_id, Member.active,
                                  col(Member.role).in_([Role.MANAGER.value, Role.ADMIN.value]))
        .order_by(Member.name)
    ).all()
    return "Managers now: " + ", ".join(managers) + "."
