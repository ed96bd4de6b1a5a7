"""Who is a manager: managers and admins may make others managers; reps may not."""

from __future__ import annotations

from chatbot.core import Work
from chatbot.errors import FollowUpError, NotAllowed
from chatbot.leads.rules import is_manager
from chatbot.store import queries
from chatbot.store.models import Role


def make_managers(work: Work, team_id: int, by_user_id: str, user_ids: list[str]) -> str:
    """Make these people managers (their rotation place stays); returns the confirmation."""
    if not user_ids:
        raise FollowUpError("Name who should be a manager, e.g. @pat.")
    session = work.session
    by = queries.member_by_chat_id(session, team_id, by_user_id)
    if not is_manager(by):
        raise NotAllowed("Only a manager can make someone a manager. Ask your sales manager.")
    for user_id in user_ids:
        person = queries.member_by_chat_id(session, team_id, user_id)
        if not is_manager(person):
            person.role = Role.MANAGER
            session.add(person)
    session.flush()
    names = [m.name for m in queries.members(session, team_id) if is_manager(m)]
    return "Managers now: " + ", ".join(names) + "."
