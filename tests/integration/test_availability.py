"""/oncall, swaps and /away through the command table, on SQLite and PostgreSQL.

The team's rotation Sam, Alex, Jordan has no anchor, so the date's ordinal picks (by hand:
Tue Nov 24 2026 Sam, Wed 25 Alex, Thu 26 Jordan, Fri 27 Sam, Sat 28 Alex, Sun 29 Jordan)."""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.console.chat import PHRASES
from chatbot.commands import Caller, run_command
from chatbot.escalation.sweeper import sweep
from chatbot.leads import tracker
from chatbot.store import queries
from chatbot.store.db import transaction
from chatbot.team import roster
from tests.conftest import CHICAGO
from tests.helpers import new_lead
from tests.integration.test_sweeper import escalations


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)


def say(core, team, who: str, line: str):
    return run_command(core, Caller(team.id, who), line, PHRASES)


def test_oncall_at_0730_1900_and_0200(core, team, clock):
    table = [
        (at(25, 7, 30), "On call now: Sam, until 09:00 Wed; tonight: Alex from 19:00."),
        (at(25, 19, 0), "On call now: Alex, until 09:00 Thu; Thu: Jordan from 19:00."),
        (at(26, 2, 0), "On call now: Alex, until 09:00 Thu; tonight: Jordan from 19:00."),
    ]
    seen = []
    for moment, _ in table:
        clock.set(moment)
        seen.append((moment, say(core, team, "sam", "oncall").lines[0]))
    assert seen == table


def test_a_swap_and_a_manager_cover_change_those_days_only(core, team, clock):
    clock.set(at(25, 7, 30))
    assert say(core, team, "alex", "oncall swap @jordan 2026-11-25").lines == (
        "Swapped: Jordan takes Wed Nov 25, Alex takes Thu Nov 26.",)
    assert say(core, team, "pat", "oncall cover @sam 2026-11-28").lines == ("Sam is on call on Sat Nov 28.",)
    assert say(core, team, "sam", "oncall swap @jordan 2026-11-27").refused is False  # Sam holds Friday
    clock.set(at(25, 19, 0))
    assert say(core, team, "sam", "oncall").lines[:2] == (
        "On call now: Jordan (changed), until 09:00 Thu; Thu: Alex (changed) from 19:00.",
        "Next: Fri 19:00 Jordan (changed), Sat 19:00 Sam (changed), Sun 19:00 Sam (changed), Mon 19:00 Sam, "
        "Tue 19:00 Alex, Wed 19:00 Jordan")
    assert say(core, team, "sam", "oncall cover @sam 2026-11-30").refused  # reps swap; managers assign


def test_adding_a_rep_keeps_the_coming_two_weeks(core, team, clock):
    roster.add_member(core, team.id, name="Riley", chat_user_id="riley")
    clock.set(at(24, 12, 0))
    assert not say(core, team, "pat", "followup oncall @sam @alex @jordan @riley").refused
    clock.set(at(24, 19, 0))
    assert say(core, team, "sam", "oncall").lines[:2] == (
        "On call now: Sam, until 09:00 Wed; Wed: Alex from 19:00.",
        "Next: Thu 19:00 Jordan, Fri 19:00 Sam, Sat 19:00 Alex, Sun 19:00 Jordan, Mon 19:00 Sam, Tue 19:00 Alex")
    clock.set(at(30, 19, 0) + timedelta(days=7))  # Mon Dec 7: the last kept shift, then Riley's order
    assert say(core, team, "sam", "oncall").lines[:2] == (
        "On call now: Alex, until 09:00 Tue; Tue: Sam from 19:00.",
        "Next: Wed 19:00 Alex, Thu 19:00 Jordan, Fri 19:00 Riley, Sat 19:00 Sam, Sun 19:00 Alex, Mon 19:00 Jordan")


def test_an_away_rep_is_skipped_by_oncall_reassignment_and_escalations(core, team, clock):
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "sam")
    assert say(core, team, "sam", "away for 3d").lines[0].startswith(
        "You are away until Fri 10:00. On-call skips you, reassign lists leave you out")
    with transaction(core.engine) as session:
        assert [m.name for m in queries.reachable_members(session, team.id)] == ["Alex", "Jordan", "Pat"]
    assert say(core, team, "alex", "oncall").lines[0] == "Open now, nobody on call yet; tonight: Alex (for Sam, away) from 19:00."
    clock.advance(timedelta(minutes=15))
    sweep(core)  # first contact lapses: Sam is away, so the on-call rep hears it
    alex = roster.member_named(core, team.id, "alex").id
    assert escalations(core) and {member for _, _, member, _ in escalations(core)} == {alex}  # never Sam
    assert say(core, team, "sam", "back").lines == (
        "Welcome back, Sam: on-call, reassign lists and escalations include you again.",)
    with transaction(core.engine) as session:
        assert [m.name for m in queries.reachable_members(session, team.id)] == ["Alex", "Jordan", "Pat", "Sam"]
