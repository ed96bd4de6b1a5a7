"""A person first seen in a chat: who they become on the rooftop.

The platform says what it knows of them (`Person`); the rule is here, once, for every chat:

- someone already on the rooftop (by chat id) stays as they are (a removed member stays removed);
- someone a manager added by e-mail before they used the chat takes that row (its name, role and
  rotation place), matched by the e-mail the chat gives;
- a workspace admin (Slack's admins and owners) starts as a manager, anyone else as a rep;
- the person who installs the app for a rooftop with no active manager becomes its first
  manager (also when they were a rep already); a later installer is on the team as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chatbot.core import Core
from chatbot.domain.vocabulary import Role
from chatbot.store.models import Member
from chatbot.team import roster


@dataclass(frozen=True)
class Person:
    """What a platform says of someone who acted: their chat id, and what it knows beside."""

    chat_user_id: str
    name: str | None = None
    email: str | None = None
    admin: bool = False
    """An administrator or owner of the chat workspace (Slack's is_admin, is_owner)."""
    installer: bool = False
    """The person who has just installed the app for this rooftop (Teams: added it to the team)."""


Describe = Callable[[], Person]
"""Asks the platform about the person (Slack's users.info): called only for someone the rooftop
has not seen yet, so a known person costs the platform no call."""


def person_seen(core: Core, team_id: int, person: Person, describe: Describe | None = None) -> Member:
    """Who this person is on the rooftop, put on it the first time they act there (the rules above)."""
    if not person.installer:
        known = roster.member_with_chat_id(core, team_id, person.chat_user_id)
        if known is not None:
            return known
        if describe is not None:
            person = describe()
    name = person.name or person.chat_user_id
    if person.installer:
        return roster.member_who_installed(core, team_id, chat_user_id=person.chat_user_id, name=name)
    return roster.member_from_chat(core, team_id, chat_user_id=person.chat_user_id, name=name, email=person.email,
                                   role=Role.MANAGER if person.admin else Role.REP)
