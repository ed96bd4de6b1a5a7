"""The words of the due line and of /followup ladder, from plain values (issue 10). Expected
texts are written by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chatbot.domain.policy import DEFAULT_CHAINS, Audience, Rule, Rung, Windows
from chatbot.messaging.views.card import NextUp, due_line
from chatbot.messaging.views.ladder import ladder_lines, rung_words

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 24, 10, 9, tzinfo=CHICAGO)  # a Tuesday
M = timedelta(minutes=1)
DEADLINE = NOW.replace(minute=15)


@pytest.mark.parametrize("up, now, said", [
    (NextUp(Rule.FIRST_CONTACT, DEADLINE, "Sam", NOW.replace(minute=10)), NOW,
     "Call by 10:15, in 6 min; Sam hears at 10:10"),
    (NextUp(Rule.FIRST_CONTACT, DEADLINE, "Sam", NOW.replace(minute=10)), NOW + timedelta(seconds=30),
     "Call by 10:15, in 5 min; Sam hears at 10:10"),  # 5 min 30s: whole minutes
    (NextUp(Rule.FIRST_CONTACT, DEADLINE, "Sam", NOW.replace(minute=10)), NOW + M + timedelta(seconds=2),
     "Call by 10:15, in 4 min; Sam hears now"),  # due, the sweep has not told Sam yet
    (NextUp(Rule.FIRST_CONTACT, DEADLINE, "Jordan (on call)", DEADLINE + 10 * M), DEADLINE + 12 * M,
     "Call by 10:15, 12 min late; Jordan (on call) hears now"),
    (NextUp(Rule.FIRST_CONTACT, DEADLINE, "the managers", DEADLINE + 20 * M), DEADLINE + 12 * M + timedelta(seconds=59),
     "Call by 10:15, 12 min late; the managers hear at 10:35"),
    (NextUp(Rule.CLAIM, DEADLINE, "the channel", DEADLINE), DEADLINE + timedelta(seconds=40),
     "Claim it by 10:15, due now; the channel hears now"),
    (NextUp(Rule.CLAIM, DEADLINE, "the channel", DEADLINE), DEADLINE - timedelta(seconds=40),
     "Claim it by 10:15, in 40s; the channel hears at 10:15"),
    (NextUp(Rule.FIRST_CONTACT, DEADLINE, done=True), DEADLINE + 95 * M,
     "Call by 10:15, 1 h 35 min late; every reminder has gone out"),
    (NextUp(Rule.FIRST_CONTACT, DEADLINE), NOW, "Call by 10:15, in 6 min"),
    (NextUp(Rule.FIRST_CONTACT, DEADLINE, "Alex", DEADLINE + 30 * M, moves=True), DEADLINE + 25 * M,
     "Call by 10:15, 25 min late; it goes to Alex at 10:45"),
    # other days are named: the deadline on Monday, seen on Saturday evening
    (NextUp(Rule.FIRST_CONTACT, datetime(2026, 11, 30, 9, 15, tzinfo=CHICAGO), "Sam",
            datetime(2026, 11, 30, 9, 10, tzinfo=CHICAGO)), datetime(2026, 11, 28, 20, 0, tzinfo=CHICAGO),
     "Call by Mon 09:15, in 1 d 13 h; Sam hears at Mon 09:10"),
    (NextUp(Rule.SECOND_CONTACT, datetime(2026, 11, 26, 10, 4, tzinfo=CHICAGO), "Sam",
            datetime(2026, 11, 26, 10, 4, tzinfo=CHICAGO)), NOW,
     "Call again by Thu 10:04, in 1 d 23 h; Sam hears at Thu 10:04"),
    (NextUp(Rule.STALL, datetime(2026, 11, 28, 10, 0, tzinfo=CHICAGO), "the managers",
            datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO), summary=True), datetime(2026, 11, 28, 21, 0, tzinfo=CHICAGO),
     "Keep it moving by 10:00, 11 h late; the managers hear in the Mon 09:00 summary"),
    (NextUp(Rule.CLAIM, NOW.replace(hour=21, minute=5), "the managers", NOW.replace(day=25, hour=9, minute=0),
            summary=True), NOW.replace(hour=21, minute=6),
     "Claim it by 21:05, 1 min late; the managers hear in the Wed 09:00 summary"),
])
def test_the_due_line(up, now, said):
    assert due_line(up, CHICAGO, now) == said


@pytest.mark.parametrize("offset, action, audience, said", [
    (-5 * M, "remind", "owner", "5 min before: remind the owner"),
    (0 * M, "remind", "channel", "at the deadline: remind the channel"),
    (10 * M, "remind", "on_call", "+10 min: remind the on-call rep"),
    (20 * M, "tell", "managers", "+20 min: tell the managers"),
    (90 * M, "remind", "next_rep", "+1 h 30 min: remind the next rep"),
    (timedelta(hours=4), "remind", "on_call", "+4 h: remind the on-call rep"),
    (timedelta(days=2), "tell", "managers", "+2 days: tell the managers"),
    (30 * M, "reassign", "next_rep", "+30 min: reassign to the next rep"),
])
def test_a_rung_in_words(offset, action, audience, said):
    assert rung_words(offset, action, audience) == said


HOURS = "Mon Tue Wed Thu Fri Sat 09:00-19:00 (America/Chicago)"


def test_a_chain_with_a_reassign_reads_in_the_ladder():
    # "reassign" as a plain value: the words do not depend on policy.Action having it
    chains = dict(DEFAULT_CHAINS)
    chains[Rule.FIRST_CONTACT] = (Rung(0, -5 * M, "remind", Audience.OWNER), Rung(1, 0 * M, "remind", Audience.OWNER),
                                  Rung(2, 10 * M, "reassign", Audience.NEXT_REP),
                                  Rung(3, 20 * M, "tell", Audience.MANAGERS))
    lines = ladder_lines("Demo Motors", Windows(), chains, hours=HOURS, quiet_hours=True, opening="09:00",
                         rotation=True)
    assert lines[2] == ("First contact (15 min from the customer's request): 5 min before: remind the owner · "
                        "at the deadline: remind the owner · +10 min: reassign to the next rep · "
                        "+20 min: tell the managers.")


def test_a_heads_up_at_or_before_the_window_opens_is_left_out():
    lines = ladder_lines("Demo Motors", Windows(first_contact=5 * M), DEFAULT_CHAINS, hours=HOURS,
                         quiet_hours=True, opening="09:00", rotation=True)
    assert lines[2] == ("First contact (5 min from the customer's request): at the deadline: remind the owner · "
                        "+10 min: remind the on-call rep · +20 min: tell the managers.")
    lines = ladder_lines("Demo Motors", Windows(first_contact=3 * M), DEFAULT_CHAINS, hours=HOURS,
                         quiet_hours=True, opening="09:00", rotation=True)
    assert lines[2].startswith("First contact (3 min from the customer's request): at the deadline: ")


@pytest.mark.parametrize("quiet, said", [
    (True, "Hours: Mon Tue Wed Thu Fri Sat 09:00-19:00 (America/Chicago). After hours nobody is on call (the "
           "rotation is empty): the channel's and managers' notices wait for the 09:00 summary."),
    (False, "Hours: Mon Tue Wed Thu Fri Sat 09:00-19:00 (America/Chicago). After hours nobody is on call (the "
            "rotation is empty): the channel and managers hear at once."),
])
def test_without_a_rotation_the_ladder_says_who_hears_after_hours(quiet, said):
    lines = ladder_lines("Demo Motors", Windows(), DEFAULT_CHAINS, hours=HOURS, quiet_hours=quiet,
                         opening="09:00", rotation=False)
    assert lines[-2] == said
