"""/stalled's rows and titles, and the direct message a manager's Nudge sends."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chatbot.domain.wording import format_duration, format_moment, relative
from chatbot.messaging.views.formatting import reach_text, window_label
from chatbot.reports.worklists import StalledLead
from chatbot.store.models import Lead, Member, Team


def work_row(row: StalledLead, team: Team, now: datetime, stalled: bool) -> tuple[str, ...]:
    """One lead of /stalled: customer, owner, attempts, last touch and how long ago."""
    zone = ZoneInfo(team.timezone)
    touch = (f"last touch {row.last_touch_kind} {format_moment(row.last_touch_at, zone, now)} "
             f"({relative(row.last_touch_at, now)})" if row.last_touch_at else "no touch yet")
    since = (f"quiet {format_duration(now - row.last_activity_at)}" if stalled else
             f"asked {format_moment(row.submitted_at, zone, now)} ({relative(row.submitted_at, now)})")
    return (f"#{row.lead_id} {row.customer_name} ({row.source})", row.owner_name or "unclaimed", touch, since,
            f"{row.attempts} attempt(s)")


def stalled_title(count: int, team: Team) -> str:
    window = window_label(team.stall_window_s)
    if not count:
        return f"No stalled leads: every contacted open lead has had activity in the last {window}."
    return f"Stalled: {count} open lead(s) with no activity for over {window}"


def never_contacted_title(count: int, team: Team) -> str:
    window = window_label(team.first_contact_window_s)
    if not count:
        return f"Never contacted: none; every open lead older than {window} has had a contact attempt."
    return f"Never contacted: {count} open lead(s) past the {window} first-contact window with no attempt"


def nudge_text(lead: Lead, by: Member, team: Team, now: datetime) -> str:
    """The direct message a manager's Nudge sends the lead's owner."""
    zone = ZoneInfo(team.timezone)
    if lead.first_contact_at is None:
        state = (f"asked {format_duration(now - lead.submitted_at)} ago and has had no contact attempt. "
                 f"{reach_text(lead, team)}")
    else:
        state = (f"has had no activity for {format_duration(now - lead.last_activity_at)} "
                 f"(last {format_moment(lead.last_activity_at, zone, now)}, {lead.attempts} attempt(s)). "
                 f"Move it forward or close it.")
    return f"{by.name} nudges you about {lead.customer_name} (lead #{lead.id}): {state}"
