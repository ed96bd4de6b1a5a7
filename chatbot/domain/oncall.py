"""Who is on call at any moment: the after-hours schedule as a pure value.

A *shift* is named by the local date it starts on. Each date has one shift, which starts at the
handoff time (by default that day's closing time; on a day the showroom is closed, its usual
closing time) and runs until the next opening, or until the next shift starts if that comes
first (by default: one evening-and-night shift per day). With a fixed handoff time the shift
runs until the next handoff, or for the shift length when one is set.

Who holds a shift, first match wins:
1. an override for that date (a manager's "Sam covers Dec 5", a swap, a day off);
2. a kept assignment: when the rotation changes, the next 14 days are written down as they
   were, so adding or removing a rep never moves a shift already scheduled;
3. the rotation: `reps[(day - anchor).days % len(reps)]` (no anchor: `day.toordinal() % len`).
A rep who is away (or no longer on the team) is skipped: the next rep in the rotation's order
covers. Nothing here reads a database or a clock; the caller passes the moment.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Generic, TypeVar

from chatbot.domain.hours import BusinessHours

K = TypeVar("K", bound=Hashable)
UTC = timezone.utc
KEEP_DAYS = 14  # a rotation change never moves the shifts of the coming two weeks
ROTATION, KEPT, OVERRIDE = "rotation", "kept", "override"


@dataclass(frozen=True)
class Away:
    """A rep's time away: from `since` until `until` (None: until they say they are back)."""

    since: datetime
    until: datetime | None = None

    def covers(self, moment: datetime) -> bool:
        return self.since <= moment and (self.until is None or moment < self.until)


@dataclass(frozen=True)
class Shift(Generic[K]):
    day: date            # the local date it starts on: its name
    start: datetime      # UTC
    end: datetime        # UTC
    rep: K | None        # who covers it (away reps skipped); None: nobody can
    planned: K | None    # who the schedule names before away reps are skipped
    source: str          # rotation, kept or override

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Schedule(Generic[K]):
    hours: BusinessHours
    reps: tuple[K, ...]                                   # the rotation, in order
    anchor: date | None = None                            # the shift date reps[0] takes
    kept: Mapping[date, K] = field(default_factory=dict)
    overrides: Mapping[date, K] = field(default_factory=dict)
    away: Mapping[K, Away] = field(default_factory=dict)
    handoff: time | None = None                           # None: closing time
    length: timedelta | None = None                       # None: until the next opening (or handoff)

    # ---------------------------------------------------------------- when shifts run

    def start(self, day: date) -> datetime:
        when = self.handoff
        if when is None:
            span = self.hours.range_on(day)
            when = span[1] if span else self.hours.closes
        return self.hours.at(day, when).astimezone(UTC)

    def end(self, day: date) -> datetime:
        start, following = self.start(day), self.start(day + timedelta(days=1))
        if self.length is not None:
            return min(start + self.length, following)
        if self.handoff is not None:
            return following
        opening = self.hours.next_opening(start)
        return min(opening.astimezone(UTC), following) if opening else following

    # ---------------------------------------------------------------- who holds them

    def rotation_rep(self, day: date) -> K | None:
        if not self.reps:
            return None
        return self.reps[self._index(day)]

    def _index(self, day: date) -> int:
        number = day.toordinal() if self.anchor is None else (day - self.anchor).days
        return number % len(self.reps)

    def planned(self, day: date) -> tuple[K | None, str]:
        if day in self.overrides:
            return self.overrides[day], OVERRIDE
        if day in self.kept:
            return self.kept[day], KEPT
        return self.rotation_rep(day), ROTATION

    def is_away(self, rep: K, moment: datetime) -> bool:
        away = self.away.get(rep)
        return away is not None and away.covers(moment)

    def shift(self, day: date, now: datetime | None = None) -> Shift[K]:
        """Day's shift; reps away at its start (or at `now`, if it has begun) are skipped."""
        start, end = self.start(day), self.end(day)
        planned, source = self.planned(day)
        moment = start if now is None else max(start, now.astimezone(UTC))
        return Shift(day, start, end, self._available(planned, day, moment), planned, source)

    def _available(self, planned: K | None, day: date, moment: datetime) -> K | None:
        if planned is not None and not self.is_away(planned, moment):
            return planned
        if not self.reps:
            return None
        first = self.reps.index(planned) + 1 if planned in self.reps else self._index(day)
        for step in range(len(self.reps)):
            candidate = self.reps[(first + step) % len(self.reps)]
            if not self.is_away(candidate, moment):
                return candidate
        return None

    # ---------------------------------------------------------------- at a moment

    def covering(self, moment: datetime) -> Shift[K] | None:
        """The shift running at `moment`, or None (the showroom is open and no shift has begun)."""
        moment = moment.astimezone(UTC)
        local_day = self.hours.local(moment).date()
        for back in range(3):
            day = local_day - timedelta(days=back)
            if self.start(day) <= moment < self.end(day):
                return self.shift(day, moment)
        return None

    def next_shift(self, moment: datetime) -> Shift[K]:
        """The first shift that starts after `moment`."""
        moment = moment.astimezone(UTC)
        day = self.hours.local(moment).date() - timedelta(days=1)
        while self.start(day) <= moment:
            day += timedelta(days=1)
        return self.shift(day, moment)

    def duty_day(self, moment: datetime) -> date:
        """The shift the moment belongs to: the one running, else the next to start (today's)."""
        running = self.covering(moment)
        return running.day if running is not None else self.next_shift(moment).day

    def on_call(self, moment: datetime) -> K | None:
        """Who answers for the team after hours at `moment`: the running shift's rep; during
        opening hours, the rep of the shift that starts next (tonight's)."""
        running = self.covering(moment)
        return running.rep if running is not None else self.next_shift(moment).rep

    def upcoming(self, moment: datetime, count: int) -> list[Shift[K]]:
        """`count` shifts from the one the moment belongs to."""
        first = self.duty_day(moment)
        return [self.shift(first + timedelta(days=i), moment) for i in range(count)]

    def to_keep(self, moment: datetime, days: int = KEEP_DAYS) -> dict[date, K]:
        """The coming `days` shifts as rotation or kept rows name them now (overrides aside):
        what a rotation change must write down so those shifts do not move."""
        first = self.duty_day(moment)
        kept: dict[date, K] = {}
        for i in range(days):
            day = first + timedelta(days=i)
            rep = self.kept.get(day, self.rotation_rep(day))
            if rep is not None:
                kept[day] = rep
        return kept
