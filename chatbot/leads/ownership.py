"""Who owns a lead: claim it, take it over, hand it on, give it back.

Each is a function on a `Work` (one open transaction and its moment); `chatbot.leads.tracker`
wraps each in a transaction of its own. Each checks first (who may is rules.py's) and raises a
`FollowUpError` (nothing changed) when it cannot do what was asked. On success it recomputes
the lead's next deadline and queues the card update in the same transaction: the chat message
can be late, but never wrong about the database and never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from chatbot.core import Work
from chatbot.domain.wording import format_duration
from chatbot.ladder.deadlines import refresh_due
from chatbot.ladder.rules import Act, is_manager, require_allowed, require_open
from chatbot.messaging import queue
from chatbot.messaging.views.work import claimed_elsewhere_text
from chatbot.store import queries
from chatbot.store.models import Lead, LeadStatus, Member


@dataclass(frozen=True)
class Claimed:
    lead_id: int
    won: bool
    owner_name: str
    owner_user_id: str
    claimed_at: datetime
    message: str


@dataclass(frozen=True)
class Taken:
    lead_id: int
    won: bool
    owner_name: str
    previous_owner_name: str | None
    message: str


@dataclass(frozen=True)
class Reassigned:
    lead_id: int
    owner_name: str
    message: str


@dataclass(frozen=True)
class Released:
    """A lead given back to the channel: it has no owner now."""

    lead_id: int
    message: str


def claim(work: Work, team_id: int, lead_id: int, chat_user_id: str) -> Claimed:
    """The first rep to claim owns the lead; everyone after is told who has it.

    One conditional UPDATE decides: under any number of concurrent claims on PostgreSQL or
    SQLite exactly one matches `owner_id IS NULL`. (A reaction claims through
    chatbot.leads.reactions, which first checks its emoji.)
    """
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    member = queries.member_by_chat_id(session, team_id, chat_user_id)
    lead = queries.lead_in_team(session, team_id, lead_id)
    require_allowed(session, Act.CLAIM, lead, member)
    won = take_ownership(session, lead.id, member.id, now)
    session.refresh(lead)
    owner = session.get(Member, lead.owner_id)
    if won:
        lead.last_activity_at = max(lead.last_activity_at, now)
        refresh_due(session, lead, team)
        queue.enqueue_card(session, lead, now)
        posted = lead.posted_at or lead.received_at
        message = (f"{lead.customer_name} is yours (claimed {format_duration(now - posted)} after posting). "
                   f"{team.playbook}")
    elif owner.id == member.id:
        message = f"You already own {lead.customer_name}'s lead."
    else:
        message = claimed_elsewhere_text(owner, lead.claimed_at, team, now)
    return Claimed(lead.id, won, owner.name, owner.chat_user_id, lead.claimed_at, message)


def check_allowed(work: Work, team_id: int, lead_id: int, chat_user_id: str, act: Act) -> None:
    """Raise the refusal `act` would meet now (a form can refuse before it asks for anything)."""
    member = queries.member_by_chat_id(work.session, team_id, chat_user_id)
    require_allowed(work.session, act, queries.lead_in_team(work.session, team_id, lead_id), member)


def take_ownership(session: Session, lead_id: int, member_id: int, now: datetime) -> bool:
    """Make the lead `member_id`'s if nobody owns it yet: one conditional UPDATE, so of any
    number of concurrent claims exactly one matches (True for that one)."""
    result = session.execute(
        update(Lead)
        .where(col(Lead.id) == lead_id, col(Lead.owner_id).is_(None), col(Lead.status) == LeadStatus.OPEN)
        .values(owner_id=member_id, claimed_at=now)
    )
    return result.rowcount == 1


def reassign(work: Work, team_id: int, lead_id: int, by_user_id: str, to_user_id: str) -> Reassigned:
    """Hand a lead to another rep: its owner or a manager may (anyone, while it is unclaimed)."""
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    by = queries.member_by_chat_id(session, team_id, by_user_id)
    to = queries.member_by_chat_id(session, team_id, to_user_id)
    lead = queries.lead_in_team(session, team_id, lead_id, lock=True)
    require_allowed(session, Act.REASSIGN, lead, by)
    lead.owner_id = to.id
    lead.claimed_at = lead.claimed_at or now
    lead.last_activity_at = max(lead.last_activity_at, now)
    refresh_due(session, lead, team)
    queue.enqueue_card(session, lead, now)
    if to.id != by.id:
        queue.enqueue_direct(session, lead, to.chat_user_id,
                              f"{by.name} handed you {lead.customer_name} (lead #{lead.id}). {team.playbook}", now)
    return Reassigned(lead.id, to.name, f"{lead.customer_name} is now {to.name}'s.")


def take(work: Work, team_id: int, lead_id: int, chat_user_id: str) -> Taken:
    """Take an open lead over from its owner (the "Take it" button on an escalation notice):
    anyone active on the team may. Its previous owner is told directly; the submission time and
    the first claim time stay, so its clocks do not restart.

    One conditional UPDATE on the owner this person saw decides: under concurrent taps exactly
    one matches, everyone after is told who has it now.
    """
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    member = queries.member_by_chat_id(session, team_id, chat_user_id)
    lead = queries.lead_in_team(session, team_id, lead_id)
    require_allowed(session, Act.TAKE, lead, member)
    if lead.owner_id == member.id:
        return Taken(lead.id, False, member.name, None, f"You already own {lead.customer_name}'s lead.")
    previous = session.get(Member, lead.owner_id) if lead.owner_id is not None else None
    seen_owner = col(Lead.owner_id).is_(None) if previous is None else col(Lead.owner_id) == previous.id
    result = session.execute(
        update(Lead)
        .where(col(Lead.id) == lead.id, seen_owner, col(Lead.status) == LeadStatus.OPEN)
        .values(owner_id=member.id, claimed_at=lead.claimed_at or now)
    )
    session.refresh(lead)
    if result.rowcount != 1:
        require_open(lead)  # closed meanwhile
        owner = session.get(Member, lead.owner_id) if lead.owner_id is not None else None
        if owner is None:
            return Taken(lead.id, False, "", None, f"{lead.customer_name} was released meanwhile; try again.")
        if owner.id == member.id:
            return Taken(lead.id, False, owner.name, None, f"You already own {lead.customer_name}'s lead.")
        return Taken(lead.id, False, owner.name, None,
                     f"{owner.name} took {lead.customer_name} first; it is theirs now.")
    lead.last_activity_at = max(lead.last_activity_at, now)
    refresh_due(session, lead, team)
    queue.enqueue_card(session, lead, now)
    if previous is None:
        return Taken(lead.id, True, member.name, None, f"{lead.customer_name} is yours now. {team.playbook}")
    queue.enqueue_direct(session, lead, previous.chat_user_id,
                          f"{member.name} took over {lead.customer_name} (lead #{lead.id}) after it was escalated; "
                          f"it is theirs now.", now)
    if team.managers_channel and not is_manager(member):  # a manager who took it knows
        queue.enqueue_notice(session, lead, to="channel", address=team.managers_channel, mention=None, now=now,
                              text=f"{member.name} took over {lead.customer_name} (lead #{lead.id}) from "
                                   f"{previous.name} after it was escalated.")
    return Taken(lead.id, True, member.name, previous.name,
                 f"{lead.customer_name} is yours now; {previous.name} was told.")


def release(work: Work, team_id: int, lead_id: int, chat_user_id: str) -> Released:
    """Give a lead back to the channel, so someone else can claim it."""
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    member = queries.member_by_chat_id(session, team_id, chat_user_id)
    lead = queries.lead_in_team(session, team_id, lead_id, lock=True)
    require_allowed(session, Act.RELEASE, lead, member)
    lead.owner_id = None
    lead.claimed_at = None
    lead.last_activity_at = max(lead.last_activity_at, now)
    refresh_due(session, lead, team)
    queue.enqueue_card(session, lead, now)
    return Released(lead.id, f"{lead.customer_name} is back in the channel for anyone to claim.")
