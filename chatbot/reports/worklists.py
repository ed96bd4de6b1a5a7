"""The lists to act on: stalled leads, leads never contacted, and the open leads.

Only leads the bot works (not CRM history), one page at a time; unlike the figures, which
describe a whole cohort, each row is a lead someone should do something about now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session, col, select

from chatbot.reports.cohort import CONTACTED, count_where
from chatbot.store.models import Lead, LeadStatus, Member, Team, Touch


@dataclass(frozen=True)
class StalledLead:
    lead_id: int
    customer_name: str
    source: str
    owner_name: str | None
    last_activity_at: datetime
    last_touch_at: datetime | None
    last_touch_kind: str | None
    attempts: int
    submitted_at: datetime | None = None
    owner_user_id: str | None = None
    chat_channel: str | None = None
    chat_message_id: str | None = None
    owner_id: int | None = None


def _work_filter(team: Team, conditions: tuple, owner_id: int | None, source: str | None) -> list:
    where = [Lead.team_id == team.id, Lead.status == LeadStatus.OPEN, col(Lead.history).is_(False), *conditions]
    if owner_id is not None:
        where.append(Lead.owner_id == owner_id)
    if source is not None:
        where.append(func.lower(Lead.source) == source.lower())
    return where


def _work_list(session: Session, team: Team, *conditions: ColumnElement, order, owner_id: int | None,
               source: str | None, limit: int | None, offset: int) -> list[StalledLead]:
    last_kind = (
        select(Touch.kind).where(Touch.lead_id == Lead.id).order_by(col(Touch.at).desc(), col(Touch.id).desc())
        .limit(1).scalar_subquery()
    )
    query = (
        select(Lead.id, Lead.customer_name, Lead.source, Member.name, Lead.last_activity_at, Lead.last_touch_at,
               last_kind, Lead.attempts, Lead.submitted_at, Member.chat_user_id, Lead.chat_channel,
               Lead.chat_message_id, Lead.owner_id)
        .join(Member, Member.id == Lead.owner_id, isouter=True)
        .where(*_work_filter(team, conditions, owner_id, source))
        .order_by(order, Lead.id).offset(offset).limit(limit)
    )
    return [StalledLead(*row) for row in session.execute(query).all()]


def _stalled_conditions(team: Team, now: datetime) -> tuple:
    return CONTACTED, Lead.last_activity_at < now - timedelta(seconds=team.stall_window_s)


def _never_conditions(team: Team, now: datetime) -> tuple:
    return col(Lead.first_contact_at).is_(None), Lead.submitted_at < now - timedelta(seconds=team.first_contact_window_s)


def stalled_leads(session: Session, team: Team, now: datetime, *, owner_id: int | None = None,
                  source: str | None = None, limit: int | None = None, offset: int = 0) -> list[StalledLead]:
    """Open, contacted leads with no activity for longer than the team's stall window, oldest first
    (`limit`/`offset`: one page of them).

    Only leads the bot works (not CRM history): this is a list to act on. The baseline's
    `stalled` figure counts imported leads too, since it describes the cohort.
    """
    return _work_list(session, team, *_stalled_conditions(team, now), order=Lead.last_activity_at,
                      owner_id=owner_id, source=source, limit=limit, offset=offset)


def never_contacted_leads(session: Session, team: Team, now: datetime, *, owner_id: int | None = None,
                          source: str | None = None, limit: int | None = None,
                          offset: int = 0) -> list[StalledLead]:
    """Open leads past the first-contact window with no contact attempt at all (claimed or not;
    a note is not an attempt), the longest-waiting first. Leads the bot works only."""
    return _work_list(session, team, *_never_conditions(team, now), order=Lead.submitted_at,
                      owner_id=owner_id, source=source, limit=limit, offset=offset)


def work_list_counts(session: Session, team: Team, now: datetime, *, owner_id: int | None = None,
                     source: str | None = None) -> tuple[int, int]:
    """(stalled, never contacted): how many leads each list holds, in one scan of the open leads."""
    stalled, never = session.execute(select(
        count_where(*_stalled_conditions(team, now)), count_where(*_never_conditions(team, now)),
    ).where(*_work_filter(team, (), owner_id, source))).one()
    return int(stalled), int(never)


# ---------------------------------------------------------------- open leads


def open_leads(session: Session, team: Team, *, owner_id: int | None = None) -> list[tuple[Lead, str | None]]:
    """Open leads (with their owner's name), the ones whose next deadline comes first on top."""
    query = (
        select(Lead, Member.name).join(Member, Member.id == Lead.owner_id, isouter=True)
        .where(Lead.team_id == team.id, Lead.status == LeadStatus.OPEN, Lead.history == False)  # noqa: E712
        .order_by(col(Lead.due_at).is_(None), Lead.due_at, Lead.id)
    )
    if owner_id is not None:
        query = query.where(Lead.owner_id == owner_id)
    return [(lead, name) for lead, name in session.execute(query).all()]
