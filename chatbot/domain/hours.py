"""Business hours as a dealership keeps them, in the team's own time zone: a range per weekday
(or closed), and holidays on which the showroom is closed all day.

The after-hours schedule (who is on call, shift by shift) lives in `chatbot.domain.oncall`;
`on_call` and `upcoming_shifts` here are the plain rotation (one rep per calendar shift, no
overrides, nobody away) kept for callers that only need that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
T = TypeVar("T")
Range = tuple[time, time]
WEEK_SPEC = re.compile(r"([a-z]{3})\s+(?:(\d{2}:\d{2})-(\d{2}:\d{2})|closed)")


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    week: tuple[Range | None, ...]  # seven entries, Monday first; None: closed that weekday
    holidays: frozenset[date] = frozenset()

    @classmethod
    def parse(cls, timezone: str, days: str, opens: str, closes: str, *, weekly: str | None = None,
              holidays: str | None = None) -> "BusinessHours":
        """One range for the days named ('mon tue', '09:00', '19:00'), or, when `weekly` is given,
        a range per weekday ('mon 09:00-20:00, ..., sun closed'); `holidays` is ISO dates."""
        if weekly:
            return cls(ZoneInfo(timezone), week_from_spec(weekly), holidays_from_text(holidays))
        try:
            day_numbers = {DAY_NAMES.index(d[:3].lower()) for d in days.split()}
        except ValueError as exc:
            raise ValueError(f"business days must be names like 'mon tue', got {days!r}") from exc
        span = (time.fromisoformat(opens), time.fromisoformat(closes))
        return cls(ZoneInfo(timezone), tuple(span if d in day_numbers else None for d in range(7)),
                   holidays_from_text(holidays))

    # ---------------------------------------------------------------- what the week looks like

    @property
    def days(self) -> frozenset[int]:
        """The weekdays the showroom opens (0 = Monday)."""
        return frozenset(d for d, span in enumerate(self.week) if span is not None)

    @property
    def opens(self) -> time:
        """The usual opening time: the most common one over the open weekdays."""
        return _usual([span[0] for span in self.week if span], time(9))

    @property
    def closes(self) -> time:
        """The usual closing time: the most common one over the open weekdays."""
        return _usual([span[1] for span in self.week if span], time(19))

    def range_on(self, day: date) -> Range | None:
        """Opening and closing on that local date; None: closed (a closed weekday or a holiday)."""
        return None if day in self.holidays else self.week[day.weekday()]

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def at(self, day: date, when: time) -> datetime:
        """That wall-clock time on that local date, as an aware moment."""
        return datetime.combine(day, when, tzinfo=self.zone)

    def is_open(self, moment: datetime) -> bool:
        here = self.local(moment)
        span = self.range_on(here.date())
        return span is not None and span[0] <= here.time() < span[1]

    def next_opening(self, moment: datetime, within_days: int = 31) -> datetime | None:
        """The first opening strictly after `moment` (None: closed for the next `within_days`)."""
        here = self.local(moment)
        for offset in range(within_days + 1):
            day = here.date() + timedelta(days=offset)
            span = self.range_on(day)
            if span is not None and self.at(day, span[0]) > moment:
                return self.at(day, span[0])
        return None

    def shift_date(self, moment: datetime) -> date:
        """The plain rotation's shift: the local date, or the day before until opening time."""
        here = self.local(moment)
        return here.date() - timedelta(days=1) if here.time() < self.opens else here.date()

    def describe(self) -> str:
        """'Mon Tue Wed Thu Fri 09:00-19:00 (America/Chicago)', or per range when days differ:
        'Mon-Fri 09:00-20:00, Sat 09:00-18:00 (America/Chicago)'."""
        spans = {span for span in self.week if span}
        if len(spans) <= 1:
            opens, closes = next(iter(spans)) if spans else (self.opens, self.closes)
            days = " ".join(DAY_NAMES[d].capitalize() for d in sorted(self.days)) or "closed every day"
            return f"{days} {opens:%H:%M}-{closes:%H:%M} ({self.zone.key})"
        return f"{week_text(self.week, closed=False)} ({self.zone.key})"


def _usual(times: list[time], default: time) -> time:
    return max(sorted(set(times)), key=times.count) if times else default


def week_from_spec(spec: str) -> tuple[Range | None, ...]:
    """'mon 09:00-20:00, tue closed, ...' (as `week_spec` writes it) back to seven ranges."""
    week: list[Range | None] = [None] * 7
    for name, opens, closes in WEEK_SPEC.findall(spec.lower()):
        if opens:
            week[DAY_NAMES.index(name)] = (time.fromisoformat(opens), time.fromisoformat(closes))
    return tuple(week)


def week_spec(week: Sequence[Range | None]) -> str:
    """Seven ranges as stored: 'mon 09:00-20:00, ..., sun closed'."""
    return ", ".join(f"{DAY_NAMES[d]} {_span(span)}" for d, span in enumerate(week))


def week_text(week: Sequence[Range | None], *, closed: bool = True) -> str:
    """Runs of days with the same hours: 'Mon-Fri 09:00-20:00, Sat 09:00-18:00, Sun closed'."""
    parts: list[str] = []
    d = 0
    while d < 7:
        end = d
        while end + 1 < 7 and week[end + 1] == week[d]:
            end += 1
        if week[d] is not None or closed:
            days = DAY_NAMES[d].capitalize() + (f"-{DAY_NAMES[end].capitalize()}" if end > d else "")
            parts.append(f"{days} {_span(week[d])}")
        d = end + 1
    return ", ".join(parts)


def _span(span: Range | None) -> str:
    return "closed" if span is None else f"{span[0]:%H:%M}-{span[1]:%H:%M}"


def holidays_from_text(text: str | None) -> frozenset[date]:
    return frozenset(date.fromisoformat(word) for word in (text or "").split())


def holidays_text(days: Iterable[date]) -> str:
    return " ".join(day.isoformat() for day in sorted(set(days)))


def on_call(rotation: Sequence[T], hours: BusinessHours, moment: datetime) -> T | None:
    """The plain rotation's rep for the shift `moment` falls in (None with an empty rotation)."""
    if not rotation:
        return None
    return rotation[hours.shift_date(moment).toordinal() % len(rotation)]


def upcoming_shifts(rotation: Sequence[T], hours: BusinessHours, moment: datetime, count: int) -> list[tuple[date, T]]:
    """The plain rotation's next `count` shifts from the one `moment` is in, each with who holds it."""
    if not rotation:
        return []
    first = hours.shift_date(moment)
    return [
        (day, rotation[day.toordinal() % len(rotation)])
        for day in (first + timedelta(days=i) for i in range(count))
    ]
