"""Away and back: a rep who is away is skipped by on-call (the next rep covers), left out of
the card's list of reps to reassign to, and their open leads' escalations go to the on-call rep.

`/away` (until they say `/back`), `/away until 2026-12-05` (back at midnight starting that
date, the team's zone) or `/away for 3d`. A manager may set someone else away: `/away @jordan
for 2d`. An away that has run out ends by itself: the schedule reads `away_until` against the
moment asked, and `return_expired` clears the row on the worker's next pass.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from chatbot.core import Work
from chatbot.domain.wording import format_moment
from chatbot.errors import FollowUpError, NotAllowed
from chatbot.ladder.deadlines import hours_of
from chatbot.ladder.rules import is_manager
from chatbot.store import queries
from chatbot.store.models import Member, Team
from chatbot.team.schedule import load

USAGE = "away [until 2026-12-05 | for 3d]"
FOR = re.compile(r"(\d{1,3})([dh])")
MAX_AWAY = timedelta(days=366)


class AvailabilityError(FollowUpError):
    pass


class AwayWordsError(AvailabilityError):
    """The words after /away could not be read; the command adds its usage in the chat's words."""


def until_of(words: list[str], team: Team, now: datetime) -> datetime | None:
    """When the away ends: None (until /back), 'until DATE' or 'for 3d' / 'for 12h'."""
    if not words:
        return None
    kind, value = words[0].lower(), " ".join(words[1:]).strip().lower()
    if kind == "until" and value:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise AwayWordsError(f"'{value[:40]}' is not a date like 2026-12-05.") from None
        until = hours_of(team).at(day, time(0))
    elif kind == "for" and (match := FOR.fullmatch(value)):
        number, unit = int(match.group(1)), match.group(2)
        until = now + (timedelta(days=number) if unit == "d" else timedelta(hours=number))
    else:
        shown = " ".join(words)
        raise AwayWordsError(f"'{shown[:40]}' is not how long: say until a date, or for a number of days or hours.")
    if until <= now:
        raise AvailabilityError("That is already past. Give a date to come back on.")
    if until - now > MAX_AWAY:
        raise AvailabilityError("At most a year away.")
    return until


def go_away(work: Work, team_id: int, by_user_id: str, who: Member | None, words: list[str],
            reason: str = "said so", *, back_command: str = "/back") -> str:
    """The caller (or, for a manager, `who`) is away from now."""
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    by = queries.member_by_chat_id(session, team_id, by_user_id)
    who = who or by
    if who.id != by.id and not is_manager(by):
        raise NotAllowed("Only a manager sets someone else away.")
    until = until_of(words, team, now)
    who.away_since, who.away_until, who.away_reason = now, until, reason[:200]
    session.add(who)
    session.flush()
    schedule, people = load(session, team, now)
    covered = [(shift.day, people[shift.rep].name) for shift in schedule.upcoming(now, 14)
               if shift.planned == who.id and shift.rep is not None and shift.rep != who.id]
    return away_text(who, until, covered, hours_of(team).zone, now, yourself=who.id == by.id,
                     back_command=back_command)


def come_back(work: Work, team_id: int, by_user_id: str, who: Member | None = None) -> str:
    session = work.session
    by = queries.member_by_chat_id(session, team_id, by_user_id)
    who = who or by
    if who.id != by.id and not is_manager(by):
        raise NotAllowed("Only a manager sets someone else back.")
    was_away = who.away_since is not None and (who.away_until is None or who.away_until > work.now)
    who.away_since = who.away_until = who.away_reason = None
    who.lapses_in_row = 0
    session.add(who)
    return back_text(who, was_away, yourself=who.id == by.id)


def return_expired(session: Session, now: datetime) -> int:
    """Clear aways that have run out (every team); returns how many."""
    expired = session.exec(select(Member).where(col(Member.away_until).is_not(None), col(Member.away_until) <= now)).all()
    for member in expired:
        member.away_since = member.away_until = member.away_reason = None
        session.add(member)
    return len(expired)


# What /away and /back answer: worded here, not in messaging/views/, because team sits below
# messaging (messaging's next_up asks team/duty.py who hears a step).


def away_text(who: Member, until: datetime | None, covered: list, zone: ZoneInfo, now: datetime, *,
              yourself: bool, back_command: str = "/back") -> str:
    """What /away answers: until when, what it changes, and who covers the shifts it touches
    (`back_command`: how this chat says /back)."""
    subject = "You are" if yourself else f"{who.name} is"
    when = f"until {format_moment(until, zone, now)}" if until else f"until {back_command}"
    shifts = (" Shifts covered: " + ", ".join(f"{day:%a %b} {day.day} by {name}" for day, name in covered) + "."
              if covered else "")
    return (f"{subject} away {when}. On-call skips {'you' if yourself else who.name}, reassign lists leave "
            f"{'you' if yourself else who.name} out, and open leads' escalations go to the on-call rep.{shifts}")


def back_text(who: Member, was_away: bool, *, yourself: bool) -> str:
    if not was_away:
        return "You were not away." if yourself else f"{who.name} was not away."
    return (f"Welcome back, {who.name}: on-call, reassign lists and escalations include you again." if yourself
            else f"{who.name} is back: on-call, reassign lists and escalations include them again.")
