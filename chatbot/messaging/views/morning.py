"""The managers' morning summary: what the night kept for them, and every lead past its ladder."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chatbot.domain.wording import format_duration, format_moment
from chatbot.messaging.views.formatting import RULE_NAMES
from chatbot.store.models import Lead, Team


def _lead_state(lead: Lead, owners: dict, now: datetime) -> str:
    owner = owners.get(lead.owner_id)
    who = f"#{lead.id} {lead.customer_name} ({lead.source})"
    if owner is None:
        state = "unclaimed"
    else:
        state = f"{owner.name} owns it"
    if lead.first_contact_at is None:
        state += f", not contacted, asked {format_duration(now - lead.submitted_at)} ago"
    return f"{who}: {state}"


def morning_text(team: Team, held: list, past: list, owners: dict, now: datetime) -> str:
    """The managers' morning summary: what the night kept for them, and every lead past its ladder.

    `held`: (lead, escalations kept for this morning); `past`: (lead, overdue windows);
    `owners`: member id -> Member."""
    zone = ZoneInfo(team.timezone)
    lines = [f"Good morning. {team.name}, {now.astimezone(zone):%a %b} {now.astimezone(zone).day}:"]
    if held:
        count = f"{len(held)} lead needed" if len(held) == 1 else f"{len(held)} leads needed"
        lines.append(f"While we were closed, {count} a manager (kept for opening):")
        for lead, escalations in held:
            first = min(e.due_at for e in escalations)
            lines.append(f"  {_lead_state(lead, owners, now)}; since {format_moment(first, zone, now)}")
    if past:
        lines.append(f"Past their ladder and still overdue ({len(past)}): every reminder has gone out.")
        for lead, windows in past:
            late = "; ".join(f"{RULE_NAMES[w.rule]} overdue since {format_moment(w.deadline, zone, now)}"
                             for w in windows)
            lines.append(f"  {_lead_state(lead, owners, now)}; {late}")
    return "\n".join(lines)
