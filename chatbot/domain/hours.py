"""Business hours and the after-hours rotation, in the team's own time zone.

A *shift* is named by the local date it starts on: the evening of Tuesday and the small hours
of Wednesday before opening are both Tuesday's shift. The rotation walks the reps in their
on-call order, one shift each, so everyone can see who is on weeks ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
T = TypeVar("T")


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    days: frozenset[int]  # 0 = Monday
    opens: time
    closes: time

    @classmethod
    def parse(cls, timezone: str, days: str, opens: str, closes: str) -> "BusinessHours":
        try:
            day_numbers = frozenset(DAY_NAMES.index(d[:3].lower()) for d in days.split())
        except ValueError as exc:
            raise ValueError(f"business days must be names like 'mon tue', got {days!r}") from exc
        return cls(ZoneInfo(timezone), day_numbers, time.fromisoformat(opens), time.fromisoformat(closes))

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def is_open(self, moment: datetime) -> bool:
        here = self.local(moment)
        return here.weekday() in self.days and self.opens <= here.time() < self.closes

    def shift_date(self, moment: datetime) -> date:
        here = self.local(moment)
        return here.date() - timedelta(days=1) if here.time() < self.opens else here.date()

    def describe(self) -> str:
        days = " ".join(DAY_NAMES[d].capitalize() for d in sorted(self.days))
        return f"{days} {self.opens:%H:%M}-{self.closes:%H:%M} ({self.zone.key})"


def on_call(rotation: Sequence[T], hours: BusinessHours, moment: datetime) -> T | None:
    """Who holds the after-hours shift that `moment` falls in (None with an empty rotation)."""
    if not rotation:
        return None
    return rotation[hours.shift_date(moment).toordinal() % len(rotation)]


def upcoming_shifts(rotation: Sequence[T], hours: BusinessHours, moment: datetime, count: int) -> list[tuple[date, T]]:
    """The next `count` shifts from the one `moment` is in, each with who holds it."""
    if not rotation:
        return []
    first = hours.shift_date(moment)
    return [
        (day, rotation[day.toordinal() % len(rotation)])
        for day in (first + timedelta(days=i) for i in range(count))
    ]
