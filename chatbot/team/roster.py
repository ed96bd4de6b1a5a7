"""Teams and the people on them: set-up use cases the adapters and the CLI share.

People are members of one team with a role (rep, manager, admin). Managers and admins may
change settings and name other managers; reps work leads.

Someone can be put on the team before they have ever used the chat: by e-mail, by their chat
user id (a Slack member id), or both. Member.chat_user_id is required and unique per team, so
a person known only by e-mail is stored under the placeholder chat id ``email:<address>``
(see `placeholder_chat_id`). The first time they act in the chat, the adapter calls
`member_from_chat` with their real chat id and the e-mail the chat knows for them; the
placeholder row is taken over (same member, same leads, same role), never duplicated.

Each function here opens its own transaction; a refusal raises a FollowUpError whose message
is the sentence to show, and changes nothing.
"""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from chatbot.core import run
from chatbot.errors import FollowUpError, UnknownMember
from chatbot.store.db import transaction
from chatbot.store.models import Lead, LeadStatus, Member, Role, Team
from chatbot.store.queries import PLACEHOLDER_PREFIX
from chatbot.team import managers

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MANAGING_ROLES = (Role.MANAGER, Role.ADMIN)


class MemberError(FollowUpError):
    """A person could not be added or changed as asked (a bad e-mail, role or name)."""


class TeamNameTaken(FollowUpError):
    """Another team already has this name."""


# ---------------------------------------------------------------- teams


def _team_named(session: Session, name: str) -> Team | None:
    return session.exec(
        select(Team).where(func.lower(Team.name) == name.strip().lower()).order_by(Team.id)
    ).first()


def ensure_team(core, *, name: str, platform: str, platform_team_id: str, also: str | None = None,
                **settings) -> Team:
    """The team for this chat workspace, created with `settings` the first time it is seen.

    Team names are unique (case-insensitive): a workspace whose name is already another team's
    gets what the chat calls it added (`also`: "Dealership (North)"), else its platform and id
    ("Dealership (slack T0123)"), rather than a twin. Two first events of the same workspace at
    once (Teams sends an install's conversationUpdate and installationUpdate together) make one team.
    """
    for _attempt in range(2):
        try:
            with transaction(core.engine) as session:
                team = session.exec(
                    select(Team).where(Team.platform == platform, Team.platform_team_id == platform_team_id)
                ).first()
                if team is None:
                    chosen = name
                    if _team_named(session, name) is not None:
                        also = " ".join((also or "").split())[:80]
                        taken = not also or _team_named(session, f"{name} ({also})") is not None
                        chosen = f"{name} ({platform} {platform_team_id})" if taken else f"{name} ({also})"
                    team = Team(name=chosen, platform=platform, platform_team_id=platform_team_id,
                                created_at=core.clock.now(), **settings)
                    session.add(team)
                    session.flush()
                return team
        except IntegrityError:
            continue  # the other event made it first: read theirs
    return find_team(core, platform, platform_team_id)


def team_on_platform(core, platform: str, platform_team_id: str) -> Team | None:
    """The team of this chat workspace (Slack team id, Teams tenant id) if there is one; creates nothing."""
    with transaction(core.engine) as session:
        return session.exec(
            select(Team).where(Team.platform == platform, Team.platform_team_id == platform_team_id)
        ).first()


def create_team(core, *, name: str, platform: str, platform_team_id: str, **settings) -> Team:
    """A new team; refused (TeamNameTaken) when another team has this name, whatever its case."""
    name = " ".join(name.split())
    if not name:
        raise MemberError("Give the team a name, e.g. 'Demo Motors'.")
    with transaction(core.engine) as session:
        taken = _team_named(session, name)
        if taken is not None:
            raise TeamNameTaken(f"Team #{taken.id} ({taken.platform}) is already called '{taken.name}'. "
                                f"Team names are unique: pick another, e.g. '{name} North'.")
        slug, n = platform_team_id, 1
        while session.exec(select(Team.id).where(Team.platform == platform, Team.platform_team_id == slug)).first():
            n += 1
            slug = f"{platform_team_id}-{n}"
        team = Team(name=name, platform=platform, platform_team_id=slug, created_at=core.clock.now(), **settings)
        session.add(team)
        session.flush()
        return team


def find_team(core, platform: str, platform_team_id: str) -> Team | None:
    """The team for this chat workspace, or None: never seen (nothing is created)."""
    with transaction(core.engine) as session:
        return session.exec(
            select(Team).where(Team.platform == platform, Team.platform_team_id == platform_team_id)
        ).first()


def rekey_team(core, platform: str, old_id: str, new_id: str) -> Team | None:
    """The team known by the chat as `old_id` is now known as `new_id` (a chat that now tells apart
    what it used to lump together); None when there is no such team or `new_id` is taken."""
    try:
        with transaction(core.engine) as session:
            if session.exec(select(Team.id).where(Team.platform == platform,
                                                  Team.platform_team_id == new_id)).first():
                return None
            team = session.exec(select(Team).where(Team.platform == platform,
                                                   Team.platform_team_id == old_id)).first()
            if team is None:
                return None
            team.platform_team_id = new_id
            session.add(team)
            return team
    except IntegrityError:  # another event of the new workspace made its team meanwhile
        return None


def teams_of_member(core, platform: str, chat_user_id: str, within: str = "") -> list[Team]:
    """The teams on `platform` this chat user is an active member of, among those whose chat id
    starts with `within` (e.g. one organisation's), oldest team first."""
    with transaction(core.engine) as session:
        return list(session.exec(
            select(Team).join(Member, col(Member.team_id) == Team.id)
            .where(Team.platform == platform, col(Team.platform_team_id).startswith(within, autoescape=True),
                   Member.chat_user_id == chat_user_id, Member.active)
            .order_by(Team.id)))


def all_teams(core) -> list[Team]:
    with transaction(core.engine) as session:
        return list(session.exec(select(Team).order_by(Team.id)))


def team(core, team_id: int) -> Team:
    with transaction(core.engine) as session:
        return session.get(Team, team_id)


# ---------------------------------------------------------------- people


def placeholder_chat_id(email: str) -> str:
    """The chat id stored for someone known only by e-mail until they first use the chat."""
    return PLACEHOLDER_PREFIX + email


def is_placeholder(member: Member) -> bool:
    """Known only by e-mail so far: not seen in the chat yet."""
    return member.chat_user_id.startswith(PLACEHOLDER_PREFIX)


def _email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    tidy = email.strip().lower()
    if not EMAIL.fullmatch(tidy):
        raise MemberError(f"'{email.strip()}' is not an e-mail address like sam@dealer.com.")
    return tidy


def _role(role: str) -> Role:
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        raise MemberError(f"'{role}' is not a role: rep, manager or admin.") from None


def _find(session: Session, team_id: int, *, chat_user_id: str | None, email: str | None) -> Member | None:
    """The row for this person: by chat id, else by e-mail (any active state)."""
    if chat_user_id:
        found = session.exec(
            select(Member).where(Member.team_id == team_id, Member.chat_user_id == chat_user_id)
        ).first()
        if found is not None:
            return found
    if email:
        return session.exec(
            select(Member).where(Member.team_id == team_id, func.lower(Member.email) == email)
            .order_by(col(Member.chat_user_id).startswith(PLACEHOLDER_PREFIX).desc(), Member.id)
        ).first()
    return None


def add_member(core, team_id: int, *, name: str, chat_user_id: str | None = None, role: str = Role.REP,
               oncall_order: int | None = None, email: str | None = None) -> Member:
    """Put a person on the team, or update the one already there (and make them active again).

    Found by chat id, else by e-mail. With only an e-mail they are stored under a placeholder
    chat id until they first use the chat (`member_from_chat` then takes the row over). A
    placeholder row given a real chat id here takes that id.
    """
    name = " ".join((name or "").split())
    if not name:
        raise MemberError("Give the person a name, e.g. --name Sam.")
    tidy_email = _email(email)
    chat_user_id = (chat_user_id or "").strip() or None
    if chat_user_id is None and tidy_email is None:
        raise MemberError(f"Say how the bot will know {name}: an e-mail, a chat user id, or both.")
    chosen_role = _role(role)
    with transaction(core.engine) as session:
        member = _find(session, team_id, chat_user_id=chat_user_id, email=tidy_email)
        if member is None:
            member = Member(team_id=team_id, chat_user_id=chat_user_id or placeholder_chat_id(tidy_email), name=name)
        elif chat_user_id and member.chat_user_id != chat_user_id:
            if not is_placeholder(member):
                raise MemberError(f"{tidy_email} is {member.name}'s e-mail, known in the chat as "
                                  f"{member.chat_user_id}, not {chat_user_id}. Nothing changed.")
            member.chat_user_id = chat_user_id
        member.name, member.role, member.oncall_order, member.active = name, chosen_role, oncall_order, True
        if tidy_email is not None:
            member.email = tidy_email
        session.add(member)
        session.flush()
        return member


def member_from_chat(core, team_id: int, *, chat_user_id: str, name: str, email: str | None = None,
                     role: str = Role.REP) -> Member:
    """Who this chat user is, the first time they act in the chat.

    Already on the team by chat id: that member, as they are (a removed member stays removed).
    Else someone added by e-mail before they used the chat: that row takes this chat id and
    keeps the name, role and rotation place a manager gave it. Else a new member with `role`.
    """
    try:
        tidy_email = _email(email)
    except MemberError:
        tidy_email = None  # the chat's profile e-mail is not ours to refuse
    for _attempt in range(2):
        try:
            with transaction(core.engine) as session:
                member = _find(session, team_id, chat_user_id=chat_user_id, email=None)
                if member is not None:
                    return member
                if tidy_email is not None:
                    member = session.exec(
                        select(Member).where(Member.team_id == team_id, func.lower(Member.email) == tidy_email,
                                             col(Member.chat_user_id).startswith(PLACEHOLDER_PREFIX))
                        .order_by(Member.id)
                    ).first()
                if member is None:
                    member = Member(team_id=team_id, chat_user_id=chat_user_id, name=name or chat_user_id,
                                    role=_role(role), email=tidy_email)
                else:
                    member.chat_user_id = chat_user_id
                session.add(member)
                session.flush()
                return member
        except IntegrityError:
            continue  # the same person's other event got there first: read theirs
    with transaction(core.engine) as session:
        return _find(session, team_id, chat_user_id=chat_user_id, email=None)


def member_who_installed(core, team_id: int, *, chat_user_id: str, name: str) -> Member:
    """The person who set the team up in the chat (installed the app in it): its manager when it
    has no active manager or admin yet (its first install, or every manager has left), else on
    the team as they are (a rep the first time)."""
    member = member_from_chat(core, team_id, chat_user_id=chat_user_id, name=name)
    with transaction(core.engine) as session:
        managed = session.exec(select(Member.id).where(Member.team_id == team_id, Member.active,
                                                       col(Member.role).in_(MANAGING_ROLES))).first()
        if managed is not None or not member.active or member.role in MANAGING_ROLES:
            return member
        row = session.get(Member, member.id)
        row.role = Role.MANAGER
        session.add(row)
        return row


def member_with_chat_id(core, team_id: int, chat_user_id: str) -> Member | None:
    """The team's member with this chat id, active or removed (None: never seen)."""
    with transaction(core.engine) as session:
        return session.exec(
            select(Member).where(Member.team_id == team_id, Member.chat_user_id == chat_user_id)
        ).first()


def members(core, team_id: int) -> list[Member]:
    with transaction(core.engine) as session:
        return list(session.exec(
            select(Member).where(Member.team_id == team_id, Member.active).order_by(Member.name)
        ))


def member_named(core, team_id: int, name: str) -> Member | None:
    """A member by name or chat id, case-insensitively (console and '@name' arguments)."""
    wanted = name.lstrip("@").lower()
    for member in members(core, team_id):
        if wanted in (member.name.lower(), member.chat_user_id.lower()):
            return member
    return None


def _spec_member(session: Session, team_id: int, spec: str) -> Member:
    """An active member by name, e-mail or chat id (case-insensitive); refused when none or several."""
    wanted = spec.strip().lstrip("@").lower()
    people = session.exec(
        select(Member).where(Member.team_id == team_id, Member.active).order_by(Member.name, Member.id)
    ).all()
    by_id = [m for m in people if m.chat_user_id.lower() == wanted or (m.email or "") == wanted]
    if len(by_id) == 1:
        return by_id[0]
    named = [m for m in people if m.name.lower() == wanted]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        ways = ", ".join(m.email or m.chat_user_id for m in named)
        raise UnknownMember(f"{len(named)} people are called {spec.strip()}: name one by e-mail or chat id ({ways}).")
    on_team = ", ".join(m.name for m in people) or "nobody yet"
    raise UnknownMember(f"Nobody on this team is called {spec.strip()} (by name, e-mail or chat id). "
                        f"On the team: {on_team}.")


def _article(role: str) -> str:
    return f"an {role}" if str(role)[0] in "aeiou" else f"a {role}"


def set_role(core, team_id: int, member_spec: str, role: str) -> str:
    """Make a member (by name, e-mail or chat id) a rep, manager or admin; returns the confirmation."""
    chosen = _role(role)
    with transaction(core.engine) as session:
        member = _spec_member(session, team_id, member_spec)
        before = member.role
        member.role = chosen
        session.add(member)
        if before == chosen:
            return f"{member.name} is already {_article(chosen.value)}."
        return f"{member.name} is now {_article(chosen.value)} (was {_article(str(before))})."


def remove_member(core, team_id: int, member_spec: str) -> str:
    """Take a member off the team (active=False, out of the rotation). Their open leads keep them as owner."""
    with transaction(core.engine) as session:
        member = _spec_member(session, team_id, member_spec)
        member.active, member.oncall_order = False, None
        session.add(member)
        open_leads = session.exec(
            select(func.count()).select_from(Lead).where(Lead.owner_id == member.id, Lead.status == LeadStatus.OPEN)
        ).one()
    kept = (f" Their {open_leads} open lead(s) still show {member.name} as owner: reassign them."
            if open_leads else "")
    return f"{member.name} is off the team.{kept}"


def make_managers(core, team_id: int, by_user_id: str, user_ids: list[str]) -> str:
    """`chatbot.team.managers.make_managers` in a transaction of its own."""
    return run(core, managers.make_managers, team_id, by_user_id, user_ids)


