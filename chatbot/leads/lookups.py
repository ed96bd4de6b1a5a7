"""Read-only questions about a team's leads that adapters ask, each in a transaction of its own."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import func, select

from chatbot.core import Core, unit_of_work
from chatbot.store.models import Lead, LeadStatus


def next_due(core: Core, team_id: int) -> datetime | None:
    """When the sweep next has something to escalate for this team (None: nothing pending)."""
    with unit_of_work(core) as work:
        return work.session.exec(
            select(func.min(Lead.due_at)).where(Lead.team_id == team_id, Lead.status == LeadStatus.OPEN)
        ).one()


def lead_count(core: Core, team_id: int) -> int:
    with unit_of_work(core) as work:
        return work.session.exec(select(func.count()).select_from(Lead).where(Lead.team_id == team_id)).one()


def team_of_lead(core: Core, lead_id: int) -> int | None:
    """The team a lead belongs to (None: no such lead)."""
    with unit_of_work(core) as work:
        return work.session.exec(select(Lead.team_id).where(Lead.id == lead_id)).first()
