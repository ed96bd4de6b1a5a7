"""Providers' submission dates, in every form they are really sent, read to the second.

Every figure the bot shows counts from the customer's submission, so this reads what ADF
``<requestdate>`` really holds, not only ISO 8601:

- ``2026-11-24T09:30:00-06:00`` and ISO's variants: a space instead of ``T``, no seconds,
  fractional seconds (dropped: times are kept to the second), no time at all (midnight);
- a 12-hour clock with a one-digit hour and AM/PM in any case, with or without dots
  (``2014-04-07T4:35:52 PM``, ``4:35 pm``, ``4:35 p.m.``, ``4 PM``);
- US dates (``04/07/2014 4:35 PM``, ``4/7/14 16:35``): month first, always;
- ``2026/11/24 09:30``; a comma between date and time;
- offsets ``Z``, ``UTC``, ``GMT``, ``-0600``, ``-06``, ``UTC-6``, the truncated ``-08:0`` of the
  Wikipedia example (a short minutes part is read as cut off), and the US zone abbreviations
  (EST, CDT, PST, ... as their fixed offsets);
- RFC 5322 dates as e-mail headers write them (``Mon, 07 Apr 2014 16:35:52 -0500``).

A date without an offset is local time in ``zone`` (the team's). When daylight saving ends,
an hour repeats; such a time is read as its first occurrence (daylight time), and a time in the
hour that is skipped in spring is read with the offset in force before the change, exactly as
the history import reads CRM exports (chatbot/intake/history/local_time.py). Anything else is
None: the caller keeps the text and says it could not be read; it never guesses.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

_TIME = r"""
    (?:\s*,?\s*T?\s*
       (?P<hour>\d{1,2})
       (?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?)?
       \s*(?P<half>[AaPp]\.?\s?[Mm]\.?)?
    )?
    \s*(?P<offset>Z|(?:UTC|GMT)?\s*[+-]\d{1,2}(?::\d{0,2}|\d{2})?|UTC|GMT|[A-Za-z]{3,4})?
"""
_FORMS = [
    re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})" + _TIME, re.VERBOSE),
    re.compile(r"(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})" + _TIME, re.VERBOSE),
    re.compile(r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})" + _TIME, re.VERBOSE),
    re.compile(r"(?P<month>\d{1,2})-(?P<day>\d{1,2})-(?P<year>\d{4})" + _TIME, re.VERBOSE),
]
US_ZONES = {
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5,
}
"""North American zone abbreviations, as fixed offsets (what the provider's clock said)."""
_RFC_5322 = re.compile(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}.*")


def read_date(text: str | None, zone: tzinfo) -> datetime | None:
    """``text`` as an aware datetime to the second, or None when it cannot honestly be read."""
    text = " ".join((text or "").split())
    if not text:
        return None
    for form in _FORMS:
        match = form.fullmatch(text)
        if match is not None:
            return _from_parts(match.groupdict(), zone)
    if _RFC_5322.fullmatch(text):
        return _rfc_5322(text, zone)
    return None


def _from_parts(parts: dict[str, str | None], zone: tzinfo) -> datetime | None:
    hour = _clock_hour(parts["hour"], parts["half"])
    if hour is None:
        return None
    if parts["hour"] is not None and parts["minute"] is None and parts["half"] is None:
        return None  # "2026-11-24 9" is not a time anyone writes
    year = int(parts["year"])
    if len(parts["year"]) == 2:
        year += 2000
    try:
        naive = datetime(year, int(parts["month"]), int(parts["day"]), hour,
                         int(parts["minute"] or 0), int(parts["second"] or 0))
    except ValueError:
        return None
    if parts["offset"] is None:
        return naive.replace(tzinfo=zone, fold=0)
    offset = _offset(parts["offset"])
    return naive.replace(tzinfo=offset) if offset is not None else None


def _clock_hour(hour: str | None, half: str | None) -> int | None:
    """The hour on a 24-hour clock; None for "13:00 PM" or "0:30 PM" (no honest reading)."""
    if hour is None:
        return 0
    value = int(hour)
    if half is None:
        return value if value <= 23 else None
    pm = half.lower().startswith("p")
    if value == 0 and not pm:
        return 0
    if not 1 <= value <= 12:
        return None
    return value % 12 + (12 if pm else 0)


def _offset(text: str) -> timezone | None:
    """A fixed offset from Z, UTC, GMT, -0600, -06, -06:00, -08:0 (cut off), UTC-6 or EST."""
    compact = text.replace(" ", "").upper()
    if compact in ("Z", "UTC", "GMT"):
        return timezone.utc
    if compact in US_ZONES:
        return timezone(timedelta(hours=US_ZONES[compact]))
    compact = compact.removeprefix("UTC").removeprefix("GMT")
    if not compact or compact[0] not in "+-":
        return None
    sign = -1 if compact[0] == "-" else 1
    digits = compact[1:]
    if ":" in digits:
        hours, minutes = digits.split(":")
        minutes = minutes.ljust(2, "0")
    else:
        hours, minutes = (digits, "0") if len(digits) <= 2 else (digits[:-2], digits[-2:])
    if not hours.isdigit() or int(hours) > 18 or int(minutes) > 59:
        return None
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _rfc_5322(text: str, zone: tzinfo) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    parsed = parsed.replace(microsecond=0)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone, fold=0)
