"""What a rep hears after working a lead: a touch logged, a lead closed, a claim that came too
late, a returning shopper of theirs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chatbot.domain.policy import OpenWindow
from chatbot.domain.wording import format_duration, format_moment, relative
from chatbot.messaging.views.formatting import RULE_NAMES
from chatbot.store.models import Lead, LeadStatus, Member, Team


def due_text(due: OpenWindow, zone: ZoneInfo, now: datetime) -> str:
    """'Second contact due by Thu 10:20 (in 2 d)' or 'Claim overdue since 10:05 (5 min ago)'."""
    state = "overdue since" if due.deadline <= now else "due by"
    return (f"{RULE_NAMES[due.rule].capitalize()} {state} {format_moment(due.deadline, zone, now)} "
            f"({relative(due.deadline, now)})")


TOUCH_NAMES = {"call": "Call", "text": "Text", "email": "E-mail", "appointment": "Appointment", "note": "Note"}


def touch_logged_text(kind: str, outcome: str | None, lead: Lead, team: Team, due: OpenWindow | None, first: bool,
                      now: datetime) -> str:
    """What the rep hears after logging a touch: what was logged, and the promise to keep next."""
    said = f" ({outcome})" if outcome and kind != "note" else ""
    parts = [f"{TOUCH_NAMES[kind]}{said} logged for {lead.customer_name}."]
    if first:
        parts.append(f"First contact {format_duration(lead.first_contact_at - lead.submitted_at)} after asking.")
    if due is not None:
        parts.append(due_text(due, ZoneInfo(team.timezone), now) + ".")
    return " ".join(parts)


def closed_text(lead: Lead, few: int) -> str:
    """What the rep hears after closing a lead; lost too early is said plainly."""
    if lead.status == LeadStatus.WON:
        return f"{lead.customer_name} closed won after {lead.attempts} attempt(s). Nice work."
    if lead.attempts < few:
        return (f"{lead.customer_name} closed lost after only {lead.attempts} attempt(s): fewer than {few}. "
                f"Most leads answer on a later try; this one shows in the baseline.")
    return f"{lead.customer_name} closed lost after {lead.attempts} attempts."


def claimed_elsewhere_text(owner: Member, claimed_at: datetime, team: Team, now: datetime) -> str:
    zone = ZoneInfo(team.timezone)
    return f"{owner.name} has this lead since {format_moment(claimed_at, zone, now)} ({relative(claimed_at, now)})."


def shopper_back_text(lead: Lead, earlier: Lead, team: Team, now: datetime) -> str:
    """The direct message to the owner of a returning shopper's earlier lead."""
    return (f"{lead.customer_name} is back: a new lead via {lead.source} (#{lead.id}). They asked via "
            f"{earlier.source} {format_duration(now - earlier.submitted_at)} ago and that lead (#{earlier.id}) "
            f"is yours, so you hear first. Reach out before the channel does.")
