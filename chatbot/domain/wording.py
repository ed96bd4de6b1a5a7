"""Pure wording of times and spans, the same in every text: '1 h 05 min', 'Wed 10:15', 'in 12 min'.

Below everything that speaks (messaging's views, reports, team settings), so each words a span
the same way without importing another's module.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def format_duration(span: timedelta) -> str:
    """'45s', '4 min', '1 h 05 min', '2 d 3 h': as precise as a rep needs, no more."""
    seconds = int(abs(span.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min" if minutes >= 10 or not seconds else f"{minutes} min {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_moment(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """'10:15' today, 'Wed 10:15' this week, 'Nov 3 10:15' otherwise, in the team's zone."""
    here, today = moment.astimezone(zone), now.astimezone(zone)
    if here.date() == today.date():
        return f"{here:%H:%M}"
    if abs((here.date() - today.date()).days) < 7:
        return f"{here:%a %H:%M}"
    return f"{here:%b} {here.day} {here:%H:%M}"


def relative(moment: datetime, now: datetime) -> str:
    """'in 12 min' or '5 min ago'."""
    return f"in {format_duration(moment - now)}" if moment > now else f"{format_duration(now - moment)} ago"
