"""Where "now" comes from. The core never reads the wall clock itself.

Times are timezone-aware UTC and whole seconds: the product's figures are exact to the
second, so they are cut there once, at the edge, instead of rounded in every report.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


def whole_seconds(moment: datetime) -> datetime:
    """The same instant in UTC, without its fraction of a second."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone")
    return moment.astimezone(timezone.utc).replace(microsecond=0)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real time, for production."""

    def now(self) -> datetime:
        return whole_seconds(datetime.now(timezone.utc))  # clock-ok: the one wall-clock read


class ManualClock:
    """A clock that moves only when told to: tests, and the console's /wait."""

    def __init__(self, start: datetime) -> None:
        self._now = whole_seconds(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta) -> datetime:
        if by < timedelta(0):
            raise ValueError("time only moves forward")
        self._now = whole_seconds(self._now + by)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = whole_seconds(moment)
