"""Read-only questions about a team's leads that adapters ask, each in a transaction of its own."""

from __future__ import annotations

from sqlmodel import func, select

from chatbot.core import Core, unit_of_work
from chatbot.store.models import Lead


def lead_count(core: Core, team_id: int) -> int:
    with unit_of_work(core) as work:
        return work.session.exec(select(func.count()).select_from(Lead).where(Lead.team_id == team_id)).one()


def team_of_lead(core: Core, lead_id: int) -> int | None:
    """The team a lead belongs to (None: no such lead)."""
    with unit_of_work(core) as work:
        return work.session.exec(select(Lead.team_id).where(Lead.id == lead_id)).first()
