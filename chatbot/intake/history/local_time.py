"""Reading an export's naive local date-times in a zone, with the daylight-saving choices made on purpose.

Local times are read in the team's zone (or --tz). When daylight saving ends, an hour repeats
(01:00-01:59 twice in the US). We take the first of the two (fold=0, daylight time): a CRM that
writes local times writes them as they happen, and most of that hour's records come from
the first pass. One exception, deliberate: an activity that fold=0 would put before its lead's
submission, but fold=1 would not, gets fold=1, because a reply cannot precede the question
(`LocalTimes.not_before`). A time that does not exist (the skipped spring-forward hour) is read
with the offset in force before the change (fold=0 again), i.e. 02:30 becomes 03:30 daylight time.

Speed: exports repeat the same minute thousands of times, so each string is parsed once and
each (local time, fold) converted once; the common US format is read without strptime.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc

DATE_FORMATS = ("%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S",
                "%Y-%m-%d %H:%M", "%Y-%m-%d %I:%M %p", "%m/%d/%y %I:%M %p", "%m/%d/%y %H:%M", "%d.%m.%Y %H:%M",
                "%m/%d/%Y", "%Y-%m-%d")

_US_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))? ?([AaPp][Mm])")


class LocalTimes:
    """Local date-time strings -> aware UTC, the format learnt from the first value and kept.

    Unreadable text raises ValueError. A value with its own offset (ISO 8601 with Z or +hh:mm)
    keeps it; a naive one is local time in `zone`."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.format: str | None = None
        # Exports repeat the same minute thousands of times: remember what each string meant.
        self._naive: dict[str, datetime] = {}
        self._utc: dict[tuple[datetime, int], datetime] = {}

    def parse(self, text: str, *, fold: int = 0) -> datetime:
        """`text` as aware UTC (whole seconds); `fold` picks the repeated hour's first or second pass."""
        return self.at(self.naive(text), fold)

    def not_before(self, naive: datetime, earliest: datetime) -> datetime:
        """`naive` as UTC with fold=0, unless that is before `earliest` and the repeated hour's
        second pass (fold=1) is not: an activity cannot precede its lead's submission."""
        at = self.at(naive, 0)
        if at < earliest and self.ambiguous(naive) and self.at(naive, 1) >= earliest:
            return self.at(naive, 1)
        return at

    def at(self, naive: datetime, fold: int) -> datetime:
        key = (naive, fold)
        found = self._utc.get(key)
        if found is None:
            if naive.tzinfo is not None:
                found = naive.astimezone(UTC).replace(microsecond=0)
            else:
                found = naive.replace(tzinfo=self.zone, fold=fold).astimezone(UTC).replace(microsecond=0)
            self._utc[key] = found
        return found

    def naive(self, text: str) -> datetime:
        """`text` as written (naive local time, or aware if it names its offset)."""
        found = self._naive.get(text)
        if found is None:
            found = self._naive[text] = self._read(text)
        return found

    def ambiguous(self, naive: datetime) -> bool:
        """Whether a naive local time falls in the hour that repeats when daylight saving ends."""
        if naive.tzinfo is not None:
            return False
        return naive.replace(tzinfo=self.zone, fold=0).utcoffset() != naive.replace(tzinfo=self.zone, fold=1).utcoffset()

    def _read(self, text: str) -> datetime:
        text = text.strip()
        if match := _US_TIME.fullmatch(text):  # 11/24/2026 09:30 AM, most CRMs' export format, without strptime
            month, day, year, hour, minute, second, half = match.groups()
            hour = int(hour) % 12 + (12 if half.upper() == "PM" else 0)
            return datetime(int(year), int(month), int(day), hour, int(minute), int(second or 0))
        if self.format is not None:
            try:
                return datetime.strptime(text, self.format)
            except ValueError:
                pass
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
        for fmt in DATE_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
            except ValueError:
                continue
            self.format = fmt
            return value
        raise ValueError(text)
