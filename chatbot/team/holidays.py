"""A rooftop's holidays: days it is closed all day, so on-call covers them as it covers a night.

A manager names them one at a time (`followup holiday 2026-11-26`, `followup holiday remove ...`);
`holidays_line` is how every text lists them. The business hours read them (chatbot.domain.hours).
"""

from __future__ import annotations

from datetime import date

from chatbot.core import Work
from chatbot.domain.hours import holidays_from_text, holidays_text
from chatbot.errors import FollowUpError
from chatbot.ladder.rules import require_settings_allowed
from chatbot.store import queries
from chatbot.store.models import Team

MAX_HOLIDAYS = 60


class HolidayError(FollowUpError):
    pass


def change_holiday(work: Work, team_id: int, by_user_id: str, words: list[str]) -> str:
    """`DATE` makes it a holiday (closed all day: on-call covers); `remove DATE` undoes it."""
    session = work.session
    require_settings_allowed(queries.member_by_chat_id(session, team_id, by_user_id))
    team = queries.team(session, team_id)
    removing = bool(words) and words[0].lower() in ("remove", "rm", "delete")
    dates = words[1:] if removing else words
    if len(dates) != 1:
        raise HolidayError("Give one date: followup holiday 2026-11-26, or followup holiday remove 2026-11-26.")
    try:
        day = date.fromisoformat(dates[0])
    except ValueError:
        raise HolidayError(f"'{dates[0][:40]}' is not a date like 2026-11-26.") from None
    days = set(holidays_from_text(team.holidays))
    if removing:
        if day not in days:
            raise HolidayError(f"{day:%a %b} {day.day}, {day.year} is not a holiday.")
        days.discard(day)
    else:
        if len(days) >= MAX_HOLIDAYS:
            raise HolidayError(f"At most {MAX_HOLIDAYS} holidays; remove past ones first.")
        days.add(day)
    team.holidays = holidays_text(days) or None
    session.add(team)
    state = "is a holiday: closed all day, on-call covers" if not removing else "is no longer a holiday"
    return f"{day:%a %b} {day.day}, {day.year} {state}. Holidays: {holidays_line(team)}."


def holidays_line(team: Team) -> str:
    """'Nov 26 2026, Dec 25 2026', or 'none'."""
    days = sorted(holidays_from_text(team.holidays))
    return ", ".join(f"{d:%b} {d.day} {d.year}" for d in days) or "none"
