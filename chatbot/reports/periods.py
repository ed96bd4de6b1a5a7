"""The period a report covers, as a manager names it: `7d`, `last-week`, `2026-11-09..2026-11-15`.

A period runs between local midnights in the team's time zone; `period_for` reads what a person
typed and refuses, in words, anything that is not a period of 1 to 366 days.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from chatbot.domain.hours import BusinessHours


@dataclass(frozen=True)
class Period:
    """[start, end) between local midnights in the team's zone. `step_days`: how far back the
    period before it starts (its length in days; 7 for this-week, compared with the same days
    of last week). `to_now`: it ends after the report time (today is included, so far)."""

    start: datetime
    end: datetime
    label: str
    step_days: int = 0
    to_now: bool = False

    @property
    def days(self) -> int:
        return (self.end.astimezone(self.start.tzinfo).date() - self.start.date()).days

    @property
    def span(self) -> str:
        """'Nov 18-Nov 24': the days it covers."""
        return _span(self.start.date(), self.end.astimezone(self.start.tzinfo).date() - timedelta(days=1))

    def previous(self, now: datetime | None = None) -> "Period":
        """The period of the same length just before this one, by the wall clock (so a DST day
        is compared as a day). A period that includes today is compared up to the same time of
        day `step_days` earlier: today so far against that day so far."""
        zone = self.start.tzinfo
        step = timedelta(days=self.step_days or self.days)
        start = datetime.combine(self.start.date() - step, time(0), zone)
        end_day = self.end.astimezone(zone)
        end = datetime.combine(end_day.date() - step, time(0), zone)
        if now is not None and self.start < now < self.end:
            here = now.astimezone(zone)
            end = datetime.combine(here.date() - step, here.time().replace(tzinfo=None), zone)
        first, last = start.date(), end.astimezone(zone).date()
        if end.astimezone(zone).time() == time(0):
            last -= timedelta(days=1)
        label = _span(first, last) + (f" to {end.astimezone(zone):%H:%M}" if end.astimezone(zone).time() != time(0)
                                      else "")
        return Period(start, end, label, self.step_days)


class PeriodError(ValueError):
    pass


LONGEST_PERIOD_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2100
DATE_FORM = "Use YYYY-MM-DD, e.g. 2026-11-09..2026-11-15."
PERIOD_FORMS = "Try 7d, 30d, this-week, last-week, or 2026-11-09..2026-11-15."
DEFAULT_DAYS = 7


def period_for(spec: str | None, hours: BusinessHours, now: datetime) -> Period:
    """In the team's time zone: no spec (the default) is the last 7 days including today so far;
    '7d' / '30d' the 7 / 30 full days before today; 'last-week' (Mon-Sun); 'this-week' (Monday
    to now); '2026-11-09..2026-11-15' (both days included).

    A period is 1 to 366 days between the years 2000 and 2100; anything else is a PeriodError
    whose message says what was wrong and which forms work.
    """
    zone = hours.zone
    today = now.astimezone(zone).date()

    def at_midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), zone)

    if spec is None or not spec.strip():
        first = today - timedelta(days=DEFAULT_DAYS - 1)
        return Period(at_midnight(first), at_midnight(today + timedelta(days=1)),
                      f"last {DEFAULT_DAYS} days ({_span(first, today)}, today so far)", DEFAULT_DAYS, to_now=True)
    text = spec.strip().lower()
    if match := re.fullmatch(r"([0-9]+)d", text):
        digits = match.group(1).lstrip("0")
        if not digits:
            raise PeriodError("A period needs at least one day, e.g. 7d.")
        if len(digits) > 3 or int(digits) > LONGEST_PERIOD_DAYS:
            raise PeriodError(f"{_quoted(text)} is too long: a period is at most {LONGEST_PERIOD_DAYS} days, "
                              "e.g. 7d, 30d or 365d.")
        days = int(digits)
        start = today - timedelta(days=days)
        return Period(at_midnight(start), at_midnight(today), f"last {days} days ({_span(start, today - timedelta(days=1))})")
    if text in ("last-week", "lastweek"):
        monday = today - timedelta(days=today.weekday() + 7)
        return Period(at_midnight(monday), at_midnight(monday + timedelta(days=7)), f"week of {monday:%b %d}")
    if text in ("this-week", "week"):
        monday = today - timedelta(days=today.weekday())
        return Period(at_midnight(monday), at_midnight(today + timedelta(days=1)), f"this week ({_span(monday, today)}, today so far)", 7, to_now=True)
    if match := re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})", text):
        first, last = _day(match.group(1)), _day(match.group(2))
        if last < first:
            raise PeriodError(f"{_quoted(text)} ends before it starts: put the earlier day first, "
                              "e.g. 2026-11-09..2026-11-15.")
        days = (last - first).days + 1
        if days > LONGEST_PERIOD_DAYS:
            raise PeriodError(f"{_quoted(text)} is {days} days: a period is at most {LONGEST_PERIOD_DAYS} days.")
        return Period(at_midnight(first), at_midnight(last + timedelta(days=1)), _span(first, last))
    raise PeriodError(f"{_quoted(spec or '')} is not a period. {PERIOD_FORMS}")


def _day(word: str) -> date:
    """'2026-11-09' as a date; an impossible one is refused saying which part is wrong."""
    year, month, day = (int(part) for part in word.split("-"))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"'{word}' is out of range: years run {FIRST_YEAR}-{LAST_YEAR}. {DATE_FORM}")
    if not 1 <= month <= 12:
        raise PeriodError(f"'{word}' is not a date: months run 01-12. {DATE_FORM}")
    month_days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= month_days:
        raise PeriodError(f"'{word}' is not a date: days in {calendar.month_name[month]} {year} run 01-{month_days}. "
                          f"{DATE_FORM}")
    return date(year, month, day)


def _span(first: date, last: date) -> str:
    """'Nov 09-Nov 15'; with the years when the period crosses a new year ('Dec 28 2025-Jan 03 2026')."""
    if first.year == last.year:
        return f"{first:%b %d}-{last:%b %d}"
    return f"{first:%b %d %Y}-{last:%b %d %Y}"


def _quoted(text: str) -> str:
    """What the person typed, in quotes, cut short enough for one line."""
    text = text.strip()
    return f"'{text}'" if len(text) <= 40 else f"'{text[:39]}…'"

