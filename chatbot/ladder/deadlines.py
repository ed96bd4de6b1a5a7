"""Between the stored lead and the pure policy: a lead's facts, its windows' plans (the ladder
snapshot kept on the lead), its team's windows, and the `due_at` column the sweep reads.
Every change to a lead ends with `refresh_due`, which also snapshots the plan of any window
that has just opened: later edits to the team's settings never move it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session, select

from chatbot.domain.chains import parse_chain
from chatbot.domain.hours import BusinessHours
from chatbot.domain.policy import (
    DEFAULT_CHAINS,
    Action,
    Audience,
    LeadFacts,
    OpenWindow,
    Plan,
    Rule,
    Rung,
    Snapshots,
    Step,
    Windows,
    next_deadline,
    next_step,
    plans,
)
from chatbot.store.models import Escalation, Lead, LeadStatus, Team


def windows_of(team: Team) -> Windows:
    return Windows(
        claim=timedelta(seconds=team.claim_window_s),
        first_contact=timedelta(seconds=team.first_contact_window_s),
        second_contact=timedelta(seconds=team.second_contact_window_s),
        stall=timedelta(seconds=team.stall_window_s),
    )


def source_key(source: str) -> str:
    """A lead source as chains name it: 'Walk-in', 'walk in' and 'WALKIN' are 'walkin'."""
    return re.sub(r"[^a-z0-9.]", "", source.lower())[:60]


def ladder_key(rule: Rule, source: str | None = None) -> str:
    """Where a chain is kept in team.ladders: 'first_contact', or 'first_contact@walkin' for one source."""
    return str(rule) + (f"@{source_key(source)}" if source else "")


def chains_of(team: Team, source: str | None = None) -> dict[Rule, tuple[Rung, ...]]:
    """The team's chain per window: the one a manager wrote for this lead source
    (`/followup set first-contact-ladder@walk-in ...`), else for the team, else the default.
    Each was checked when written."""
    written = team.ladders or {}
    chains = dict(DEFAULT_CHAINS)
    for rule in Rule:
        text = (written.get(ladder_key(rule, source)) if source else None) or written.get(str(rule))
        if text:
            chains[rule] = parse_chain(text)
    return chains


def hours_of(team: Team) -> BusinessHours:
    return BusinessHours.parse(team.timezone, team.business_days, team.opens_at, team.closes_at,
                               weekly=getattr(team, "weekly_hours", None), holidays=getattr(team, "holidays", None))


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


# ---------------------------------------------------------------- the snapshot on the lead


def _plan_json(plan: Plan) -> dict:
    return {"start": plan.start.isoformat(), "length_s": int(plan.length.total_seconds()),
            "rungs": [[r.level, int(r.offset.total_seconds()), r.action.value, r.audience.value] for r in plan.rungs]}


def _plan_of(rule: Rule, data: dict) -> Plan:
    rungs = tuple(Rung(level, timedelta(seconds=offset), Action(action), Audience(audience))
                  for level, offset, action, audience in data["rungs"])
    return Plan(rule, datetime.fromisoformat(data["start"]), timedelta(seconds=data["length_s"]), rungs)


def snapshots_of(lead: Lead) -> Snapshots:
    """The plans kept on the lead, one per window that has opened (and not since re-opened)."""
    return {Rule(rule): _plan_of(Rule(rule), data) for rule, data in (lead.ladder or {}).items()}


def plans_of(lead: Lead, team: Team) -> list[Plan]:
    """The lead's open windows' plans: kept ones, and today's settings for a window opening now."""
    return plans(facts_of(lead), windows_of(team), snapshots_of(lead), chains_of(team, lead.source))


def due_window(lead: Lead, team: Team, *, posting_at: datetime | None = None) -> OpenWindow | None:
    """The promise the rep must keep next, as the card shows it.

    `posting_at`: the card is about to be posted then (its claim window will run from that moment).
    """
    facts = facts_of(lead)
    if posting_at is not None and facts.posted_at is None:
        facts = replace(facts, posted_at=posting_at)
    return next_deadline(facts, windows_of(team), snapshots_of(lead))


def fired_steps(session: Session, lead_id: int) -> set[tuple[str, datetime, int]]:
    rows = session.exec(
        select(Escalation.rule, Escalation.deadline, Escalation.level).where(Escalation.lead_id == lead_id)
    )
    return {(rule, deadline, level) for rule, deadline, level in rows}


def pending_step(session: Session, lead: Lead, team: Team, *, posting_at: datetime | None = None,
                 fired: set[tuple[str, datetime, int]] | None = None) -> Step | None:
    """The next step still to fire for this lead (None: nothing left to escalate).

    `posting_at`: the card is about to be posted then (its claim window will run from that moment).
    `fired`: the steps already fired, when the caller has read them."""
    if lead.history:
        return None
    facts = facts_of(lead)
    if posting_at is not None and facts.posted_at is None:
        facts = replace(facts, posted_at=posting_at)
    fired = fired_steps(session, lead.id) if fired is None else fired
    return next_step(facts, windows_of(team), fired, snapshots_of(lead), chains_of(team, lead.source))


def refresh_due(session: Session, lead: Lead, team: Team) -> None:
    """Keep the open windows' plans on the lead (a window that just opened takes the team's
    settings now), and store when the sweep must next look at it (None: nothing left)."""
    keep_plans_and_due(lead, team, fired_steps(session, lead.id) if lead.id is not None else set())
    session.add(lead)


def keep_plans_and_due(lead: Lead, team: Team, fired: set[tuple[str, datetime, int]]) -> None:
    """`refresh_due` given the steps already fired (a lead not stored yet has fired none), so
    intake can write a new lead's plans and due time in its one INSERT."""
    kept = {str(plan.rule): _plan_json(plan) for plan in plans_of(lead, team)} if not lead.history else {}
    if kept != (lead.ladder or {}):
        lead.ladder = kept or None
    step = None if lead.history else next_step(facts_of(lead), windows_of(team), fired, snapshots_of(lead),
                                               chains_of(team, lead.source))
    lead.due_at = step.due_at if step else None
    lead.due_rule = str(step.rule) if step else None
    lead.due_level = step.level if step else None
