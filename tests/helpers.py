"""Small builders the tests share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from chatbot.intake.lead import Customer, IncomingLead, Phone, Vehicle
from chatbot.leads import tracker
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, Lead, OutboxMessage, Touch


def incoming(name: str = "Maria Gonzalez", *, source: str = "Cars.com", external_id: str | None = "L-1",
             submitted_at: datetime | None = None, phone: str | None = "(312) 555-0147",
             email: str | None = "maria@example.com") -> IncomingLead:
    return IncomingLead(
        source=source, external_id=external_id, submitted_at=submitted_at,
        customer=Customer(name=name, email=email, phones=[Phone(number=phone, type="cell")] if phone else []),
        vehicles=[Vehicle(year=2022, make="Toyota", model="RAV4", status="used")],
    )


def new_lead(core, team, **kwargs) -> int:
    return tracker.ingest(core, team.id, incoming(**kwargs)).lead_id


def snapshot(core) -> tuple:
    """Everything a refused command must leave as it was."""
    with transaction(core.engine) as session:
        leads = [tuple(row.model_dump().items()) for row in session.scalars(select(Lead).order_by(Lead.id))]
        counts = [session.scalar(select(func.count()).select_from(t)) for t in (Touch, Escalation, OutboxMessage)]
    return tuple(leads), tuple(counts)
