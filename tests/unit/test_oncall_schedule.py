"""The on-call schedule as a pure function: who is on at any moment, with hours per weekday,
holidays, overrides, reps away and a rep added. Every expected name is written by hand.

The rotation Sam, Alex, Jordan is anchored on Sun Nov 22 2026 (Sam), so the plain rotation is:
Sun 22 Sam, Mon 23 Alex, Tue 24 Jordan, Wed 25 Sam, Thu 26 Alex, Fri 27 Jordan, Sat 28 Sam,
Sun 29 Alex, Mon 30 Jordan, Tue Dec 1 Sam.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chatbot.domain.hours import BusinessHours, week_from_spec
from chatbot.domain.oncall import Away, Schedule
from chatbot.messaging.views.oncall import oncall_lines

CHICAGO = ZoneInfo("America/Chicago")
MON_SAT = BusinessHours.parse("America/Chicago", "mon tue wed thu fri sat", "09:00", "19:00")
REPS = ("Sam", "Alex", "Jordan")
PLAN = Schedule(MON_SAT, REPS, anchor=date(2026, 11, 22))


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO)


def local(moment: datetime) -> tuple[int, int, int, int]:
    here = moment.astimezone(CHICAGO)
    return here.month, here.day, here.hour, here.minute


@pytest.mark.parametrize("moment, covering, until, duty", [
    (at(11, 25, 7, 30), "Jordan", (11, 25, 9, 0), "Jordan"),   # Tuesday's night shift still runs
    (at(11, 25, 9, 0), None, None, "Sam"),                     # open: tonight's rep is on duty
    (at(11, 25, 12, 0), None, None, "Sam"),
    (at(11, 25, 19, 0), "Sam", (11, 26, 9, 0), "Sam"),        # Wednesday's shift begins at closing
    (at(11, 26, 2, 0), "Sam", (11, 26, 9, 0), "Sam"),         # ... and runs through the night
    (at(11, 28, 19, 0), "Sam", (11, 29, 19, 0), "Sam"),       # Saturday's runs until Sunday's starts
    (at(11, 29, 12, 0), "Sam", (11, 29, 19, 0), "Sam"),       # Sunday, closed all day
    (at(11, 29, 19, 0), "Alex", (11, 30, 9, 0), "Alex"),
])
def test_who_is_on_call_at_any_moment(moment, covering, until, duty):
    running = PLAN.covering(moment)
    assert (running.rep if running else None) == covering
    assert (local(running.end) if running else None) == until
    assert PLAN.on_call(moment) == duty


def test_oncall_answers_who_covers_now_until_when_and_tonight():
    names = {n: n for n in REPS}
    assert oncall_lines(PLAN, names, at(11, 25, 7, 30))[:2] == [
        "On call now: Jordan, until 09:00 Wed; tonight: Sam from 19:00.",
        "Next: Thu 19:00 Alex, Fri 19:00 Jordan, Sat 19:00 Sam, Sun 19:00 Alex, Mon 19:00 Jordan, Tue 19:00 Sam",
    ]
    assert oncall_lines(PLAN, names, at(11, 25, 19, 0))[0] == "On call now: Sam, until 09:00 Thu; Thu: Alex from 19:00."
    assert oncall_lines(PLAN, names, at(11, 26, 2, 0))[0] == "On call now: Sam, until 09:00 Thu; tonight: Alex from 19:00."
    assert oncall_lines(PLAN, names, at(11, 25, 12, 0))[0] == "Open now, nobody on call yet; tonight: Sam from 19:00."


def test_hours_per_weekday():
    hours = BusinessHours.parse("America/Chicago", "", "", "",
                                weekly="mon 09:00-20:00, tue 09:00-20:00, wed 09:00-20:00, thu 09:00-20:00, "
                                       "fri 09:00-20:00, sat 09:00-18:00, sun closed")
    table = [  # moment, open?
        (at(11, 27, 19, 30), True), (at(11, 27, 20, 0), False), (at(11, 28, 17, 59), True),
        (at(11, 28, 18, 0), False), (at(11, 29, 12, 0), False), (at(11, 30, 8, 59), False), (at(11, 30, 9, 0), True),
    ]
    assert [(m, hours.is_open(m)) for m, _ in table] == table
    assert hours.describe() == "Mon-Fri 09:00-20:00, Sat 09:00-18:00 (America/Chicago)"
    plan = Schedule(hours, REPS, anchor=date(2026, 11, 22))
    assert local(plan.covering(at(11, 28, 18, 30)).start) == (11, 28, 18, 0)  # Saturday hands off at 18:00
    assert plan.covering(at(11, 28, 18, 30)).rep == "Sam"


def test_thanksgiving_as_a_holiday_is_closed_all_day_and_on_call_covers_it():
    hours = BusinessHours(CHICAGO, week_from_spec("mon 09:00-20:00, tue 09:00-20:00, wed 09:00-20:00, "
                                                  "thu 09:00-20:00, fri 09:00-20:00, sat 09:00-18:00, sun closed"),
                          frozenset({date(2026, 11, 26)}))
    assert not hours.is_open(at(11, 26, 12, 0)) and hours.is_open(at(11, 25, 12, 0)) and hours.is_open(at(11, 27, 9))
    plan = Schedule(hours, REPS, anchor=date(2026, 11, 22))
    table = [  # moment, covering rep, shift ends
        (at(11, 25, 21, 0), "Sam", (11, 26, 20, 0)),   # Wednesday's shift runs through Thanksgiving day
        (at(11, 26, 12, 0), "Sam", (11, 26, 20, 0)),
        (at(11, 26, 21, 0), "Alex", (11, 27, 9, 0)),
    ]
    assert [(m, plan.covering(m).rep, local(plan.covering(m).end)) for m, _, _ in table] == table


def test_an_override_changes_that_shift_only():
    plan = Schedule(MON_SAT, REPS, anchor=date(2026, 11, 22), overrides={date(2026, 11, 25): "Alex"})
    table = [(at(11, 25, 7, 30), "Jordan"), (at(11, 25, 19, 0), "Alex"), (at(11, 26, 2, 0), "Alex"),
             (at(11, 26, 19, 0), "Alex"), (at(11, 27, 19, 0), "Jordan")]
    assert [(m, plan.on_call(m)) for m, _ in table] == table
    assert oncall_lines(plan, {n: n for n in REPS}, at(11, 25, 19, 0))[0].startswith("On call now: Alex (changed)")


def test_a_rep_away_is_skipped_and_the_next_rep_covers():
    away = {"Sam": Away(at(11, 25, 8, 0).astimezone(timezone.utc), at(11, 27, 0, 0).astimezone(timezone.utc))}
    plan = Schedule(MON_SAT, REPS, anchor=date(2026, 11, 22), away=away)
    table = [(at(11, 25, 7, 30), "Jordan"), (at(11, 25, 19, 0), "Alex"), (at(11, 26, 2, 0), "Alex"),
             (at(11, 28, 19, 0), "Sam")]  # back by Saturday
    assert [(m, plan.on_call(m)) for m, _ in table] == table
    assert plan.covering(at(11, 25, 19, 0)).planned == "Sam"


def test_adding_a_rep_never_moves_the_coming_two_weeks():
    now = at(11, 25, 12, 0)
    kept = PLAN.to_keep(now)
    assert (min(kept), max(kept)) == (date(2026, 11, 25), date(2026, 12, 8))
    plan = Schedule(MON_SAT, ("Sam", "Alex", "Jordan", "Riley"), anchor=date(2026, 12, 9), kept=kept)
    by_day = {d: plan.shift(date(2026, 11, 25) + timedelta(days=i)).rep
              for i, d in enumerate(range(25, 25 + 18))}
    assert list(by_day.values()) == [
        "Sam", "Alex", "Jordan", "Sam", "Alex", "Jordan", "Sam",        # Wed Nov 25 .. Tue Dec 1, as before
        "Alex", "Jordan", "Sam", "Alex", "Jordan", "Sam", "Alex",       # Wed Dec 2 .. Tue Dec 8, as before
        "Sam", "Alex", "Jordan", "Riley",                               # Wed Dec 9 on: the new order
    ]
