"""Business hours, the on-call rotation and report periods, in the team's own time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chatbot.domain.hours import BusinessHours, on_call, upcoming_shifts
from chatbot.domain.wording import format_duration
from chatbot.reports.periods import PeriodError, period_for

CHICAGO = ZoneInfo("America/Chicago")
HOURS = BusinessHours.parse("America/Chicago", "mon tue wed thu fri sat", "09:00", "19:00")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)  # Nov 24 2026 is a Tuesday


def test_the_showroom_is_open_on_weekdays_and_saturday_between_nine_and_seven():
    assert HOURS.is_open(at(24, 9)) and HOURS.is_open(at(28, 18, 59))
    assert not HOURS.is_open(at(24, 19)) and not HOURS.is_open(at(24, 8, 59)) and not HOURS.is_open(at(29, 12))


def test_the_small_hours_belong_to_the_previous_evenings_shift():
    rotation = ["Sam", "Alex", "Jordan"]
    assert on_call(rotation, HOURS, at(24, 22)) == on_call(rotation, HOURS, at(25, 3))
    assert on_call(rotation, HOURS, at(24, 22)) != on_call(rotation, HOURS, at(25, 22))


def test_the_rotation_gives_each_rep_one_shift_in_turn():
    shifts = upcoming_shifts(["Sam", "Alex", "Jordan"], HOURS, at(24, 20), 6)
    names = [name for _, name in shifts]
    assert sorted(names[:3]) == ["Alex", "Jordan", "Sam"] and names[:3] == names[3:]
    assert [day.day for day, _ in shifts] == [24, 25, 26, 27, 28, 29]


def test_an_empty_rotation_has_nobody_on_call():
    assert on_call([], HOURS, at(24, 22)) is None


def test_last_7_days_are_the_7_full_days_before_today_in_the_teams_zone():
    period = period_for("7d", HOURS, at(26, 11, 20))
    assert (period.start, period.end) == (at(19, 0), at(26, 0))
    assert period.previous().end == period.start and period.previous().start == at(12, 0)


def test_last_week_runs_monday_to_sunday():
    period = period_for("last-week", HOURS, at(26, 11))
    assert (period.start, period.end) == (at(16, 0), at(23, 0))


def test_a_date_range_includes_both_days():
    period = period_for("2026-11-09..2026-11-15", HOURS, at(26, 11))
    assert (period.start, period.end) == (at(9, 0), at(16, 0))


def test_a_period_across_the_end_of_daylight_saving_is_a_day_longer_in_hours():
    period = period_for("2026-11-01..2026-11-01", HOURS, at(26, 11))
    utc = ZoneInfo("UTC")
    assert period.end.astimezone(utc) - period.start.astimezone(utc) == timedelta(hours=25)


@pytest.mark.parametrize("spec", ["yesterday", "0d", "2026-11-15..2026-11-09", "2026-13-01..2026-13-02"])
def test_a_period_that_makes_no_sense_is_refused_with_the_forms_that_work(spec):
    with pytest.raises(PeriodError):
        period_for(spec, HOURS, at(26, 11))


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (45, "45s"), (250, "4 min 10s"), (900, "15 min"),
                                           (3900, "1 h 05 min"), (7200, "2 h"), (183600, "2 d 3 h")])
def test_durations_read_the_way_a_rep_says_them(seconds, text):
    assert format_duration(timedelta(seconds=seconds)) == text
