"""Between the stored lead and the pure policy: a lead's facts, its team's windows, and the
`due_at` column the sweep reads. Every change to a lead ends with `refresh_due`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session, select

from chatbot.domain.hours import BusinessHours
from chatbot.domain.policy import LeadFacts, OpenWindow, Windows, next_deadline, next_step
from chatbot.store.models import Escalation, Lead, LeadStatus, Team


def windows_of(team: Team) -> Windows:
    return Windows(
        claim=timedelta(seconds=team.claim_window_s),
        first_contact=timedelta(seconds=team.first_contact_window_s),
        second_contact=timedelta(seconds=team.second_contact_window_s),
        stall=timedelta(seconds=team.stall_window_s),
    )


def hours_of(team: Team) -> BusinessHours:
    return BusinessHours.parse(team.timezone, team.business_days, team.opens_at, team.closes_at,
                               weekly=team.weekly_hours, holidays=team.holidays)


def facts_of(lead: Lead) -> LeadFacts:
    return LeadFacts(
        submitted_at=lead.submitted_at,
        received_at=lead.received_at,
        posted_at=lead.posted_at,
        claimed_at=lead.claimed_at,
        first_contact_at=lead.first_contact_at,
        second_contact_at=lead.second_contact_at,
        last_activity_at=lead.last_activity_at,
        closed=lead.status != LeadStatus.OPEN,
    )


def due_window(lead: Lead, team: Team, *, posting_at: datetime | None = None) -> OpenWindow | None:
    """The promise the rep must keep next, as the card shows it.

    `posting_at`: the card is about to be posted then (its claim window will run from that moment).
    """
    facts = facts_of(lead)
    if posting_at is not None and facts.posted_at is None:
        facts = replace(facts, posted_at=posting_at)
    return next_deadline(facts, windows_of(team))


def fired_steps(session: Session, lead_id: int) -> set[tuple[str, datetime, int]]:
    rows = session.exec(
        select(Escalation.rule, Escalation.deadline, Escalation.level).where(Escalation.lead_id == lead_id)
    )
    return {(rule, deadline, level) for rule, deadline, level in rows}


def refresh_due(session: Session, lead: Lead, team: Team) -> None:
    """Store when the sweep must next look at this lead (None: nothing left to escalate)."""
    step = None if lead.history else next_step(facts_of(lead), windows_of(team), fired_steps(session, lead.id))
    lead.due_at = step.due_at if step else None
    lead.due_rule = str(step.rule) if step else None
    lead.due_level = step.level if step else None
    session.add(lead)
