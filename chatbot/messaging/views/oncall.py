"""/oncall's answer and the incoming rep's notice when a shift starts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chatbot.domain.oncall import Schedule, Shift
from chatbot.domain.policy import OpenWindow
from chatbot.domain.wording import format_moment
from chatbot.messaging.views.formatting import RULE_NAMES
from chatbot.store.models import Lead, Team


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    here = moment.astimezone(zone)
    return f"{here:%H:%M %a}"


def _shift_rep(shift: Shift, names: dict) -> str:
    if shift.rep is None:
        return "nobody (everyone is away)"
    name = names.get(shift.rep, "?")
    if shift.planned is not None and shift.rep != shift.planned:
        return f"{name} (for {names.get(shift.planned, '?')}, away)"
    return f"{name} (changed)" if shift.source == "override" else name


def oncall_lines(schedule: Schedule, names: dict, now: datetime, away: list[tuple[str, datetime | None]] = ()
                 ) -> list[str]:
    """The on-call answer: who covers now and until when, who is next, the week ahead.

    'On call now: Jordan, until 09:00 Wed; tonight: Sam from 19:00.' `names`: rep key -> name;
    `away`: (name, until) of reps away now.
    """
    zone = schedule.hours.zone
    running, following = schedule.covering(now), schedule.next_shift(now)
    today = now.astimezone(zone).date()
    start = following.start.astimezone(zone)
    label = "tonight" if start.date() == today else f"{start:%a}"
    coming = f"{label}: {_shift_rep(following, names)} from {start:%H:%M}"
    if running is not None:
        first = f"On call now: {_shift_rep(running, names)}, until {_clock(running.end, zone)}; {coming}."
    else:
        first = f"Open now, nobody on call yet; {coming}."
    later = schedule.upcoming(following.start, 7)[1:]
    lines = [first, "Next: " + ", ".join(f"{s.start.astimezone(zone):%a %H:%M} {_shift_rep(s, names)}" for s in later)]
    holidays = sorted(d for d in schedule.hours.holidays if today <= d < today + timedelta(days=8))
    closed = "".join(f" Closed {d:%a %b} {d.day} (holiday)." for d in holidays)
    lines.append(f"Hours {schedule.hours.describe()}.{closed}")
    if away:
        lines.append("Away: " + ", ".join(f"{name} until {_clock(until, zone) if until else '/back'}"
                                          for name, until in away) + ".")
    return lines


def handoff_text(name: str, shift: Shift, zone: ZoneInfo, now: datetime, open_count: int,
                 overdue: list[str]) -> str:
    """The incoming rep's notice at the start of the shift: what is open and what is overdue."""
    head = f"{name}, you are on call now, until {_clock(shift.end, zone)}."
    if not open_count:
        return f"{head} No open leads."
    shown = "; ".join(overdue[:10]) + (f"; and {len(overdue) - 10} more" if len(overdue) > 10 else "")
    return f"{head} {open_count} open lead(s), {len(overdue)} overdue" + (f": {shown}." if overdue else ".")


def due_short(lead: Lead, team: Team, due: OpenWindow | None, now: datetime) -> str:
    """'first contact overdue 10:15', or '-' when nothing is due."""
    if due is None:
        return "-"
    zone = ZoneInfo(team.timezone)
    return f"{RULE_NAMES[due.rule]} {'overdue ' if due.deadline <= now else ''}{format_moment(due.deadline, zone, now)}"
