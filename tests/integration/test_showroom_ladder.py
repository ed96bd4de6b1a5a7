"""A showroom's day and night, as the people in it hear it (issue 10): the escalation ladder,
after hours, a holiday, and the managers' morning summary.

Everything runs through the real core on SQLite and PostgreSQL: a manager's settings through
`run_command` (what Slack, Teams and the console call), leads through the intake use case, and
time through the clock, with the worker's `tick` (sweep, deliver, digest, handoffs) run as the
worker would, into a fake chat that records what each person and channel is told, and when.

The expectations are written by hand. The team (tests/conftest.py) is Demo Motors in Chicago
with reps Sam, Alex and Jordan in the on-call rotation and Pat, a manager; leads channel
#leads, managers' channel #sales-managers. The rotation has no anchor, so each shift goes to
`reps[date.toordinal() % 3]`, by hand: Tue Nov 24 Sam, Wed 25 Alex, Thu 26 Jordan, Fri 27 Sam,
Sat 28 Alex, Sun 29 Jordan, Mon 30 Sam, ..., Thu Dec 3 Sam. A date's shift starts at that day's
closing time (a closed day: the usual closing time, 20:00 with the hours below) and runs until
the next opening or the next shift's start, whichever is first (chatbot/domain/oncall.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.console.chat import PHRASES
from chatbot.commands import Caller, run_command
from chatbot.messaging.platforms import Platforms
from chatbot.messaging.ports import Channel, Direct, Thread
from chatbot.messaging.views import LeadCard, Notice
from chatbot.worker import tick
from tests.conftest import CHICAGO
from tests.fakes.chat import FakeChat
from tests.helpers import new_lead

MINUTE = timedelta(minutes=1)
QUARTER = timedelta(minutes=15)
ISSUE_HOURS = "mon-fri 09:00-20:00, sat 09:00-18:00, sun closed"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO)


class Showroom:
    """The team's chat as its people see it: every post, labelled with the local time the worker
    sent it ('Sat 23:35') and where it went ('#leads', '#sales-managers', 'thread' under the
    lead's card, or a person's chat id for a direct message)."""

    def __init__(self, core, team, clock) -> None:
        self.core, self.team, self.clock = core, team, clock
        self.chat = FakeChat()
        self.platforms = Platforms.one_chat(self.chat)
        self.log: list[tuple[str, str, str]] = []

    def say(self, who: str, line: str) -> tuple[str, ...]:
        reply = run_command(self.core, Caller(self.team.id, who), line, PHRASES)
        assert not reply.refused, reply.lines
        return reply.lines

    def lead(self, **kwargs) -> int:
        """A lead arrives from the CRM now (submitted now) and the worker ticks at once."""
        lead_id = new_lead(self.core, self.team, **kwargs)
        self.tick()
        return lead_id

    def tick(self) -> None:
        seen = len(self.chat.posts)
        tick(self.core, self.platforms)
        when = self.clock.now().astimezone(CHICAGO).strftime("%a %H:%M")
        for sent in self.chat.posts[seen:]:
            self.log.append((when, _where(sent.to), _what(sent.view)))

    def run_until(self, end: datetime, every: timedelta = MINUTE) -> None:
        """Tick every `every` from now up to and including `end`."""
        moment = self.clock.now()
        while moment < end:
            moment = min(moment + every, end)
            self.clock.set(moment)
            self.tick()

    def told(self, where: str) -> list[tuple[str, str]]:
        return [(when, text) for when, to, text in self.log if to == where]

    def everything_after(self, when: str) -> list[tuple[str, str, str]]:
        index = next(i for i, (w, _, _) in enumerate(self.log) if w == when)
        return self.log[index:]


def _where(to) -> str:
    if isinstance(to, Channel):
        return to.channel
    if isinstance(to, Thread):
        return "thread"
    assert isinstance(to, Direct)
    return to.user_id


def _what(view) -> str:
    if isinstance(view, LeadCard):
        return f"card #{view.lead_id}"
    assert isinstance(view, Notice)
    return f"@{view.mention} {view.text}" if view.mention else view.text


def first_lines(told: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(when, text.splitlines()[0]) for when, text in told]


# ---------------------------------------------------------------- 1. a Saturday-night lead

ALEX_SAT_NIGHT = ("On-call: this needs you (unclaimed). Nobody has claimed Maria Gonzalez (Cars.com) after 5 min "
                  "and nobody has called them (asked 5 min ago). Call now: (312) 555-0147.")
MONDAY_SUMMARY = ("Good morning. Demo Motors, Mon Nov 30:\n"
                  "While we were closed, 1 lead needed a manager (kept for opening):\n"
                  "  #1 Maria Gonzalez (Cars.com): unclaimed, not contacted, asked 1 d 9 h ago; since Sat 23:40")


def saturday_night(core, team, clock) -> Showroom:
    """Saturday 17:00 (open until 18:00): Pat sets the issue's hours with quiet hours on. A lead
    comes in at 23:30 and nobody touches it; the worker runs through Sunday to Monday 10:00."""
    room = Showroom(core, team, clock)
    clock.set(at(11, 28, 17, 0))
    assert room.say("pat", f"followup set hours {ISSUE_HOURS}") == (
        "hours is now Mon-Fri 09:00-20:00, Sat 09:00-18:00 (America/Chicago).",)
    room.say("pat", "followup set quiet-hours on")
    room.tick()
    room.run_until(at(11, 28, 23, 30), QUARTER)
    room.lead()
    room.run_until(at(11, 29, 1, 0), MINUTE)
    room.run_until(at(11, 30, 8, 45), QUARTER)
    room.run_until(at(11, 30, 10, 0), MINUTE)
    return room


def test_a_saturday_night_lead_reaches_alex_on_call_and_nobody_else_until_monday(core, team, clock):
    room = saturday_night(core, team, clock)
    # Saturday's shift (Alex) runs from closing, Sat 18:00, until Sunday's starts at 20:00 (Sunday
    # is closed: the usual closing time); Sunday's (Jordan) until Monday's opening at 09:00.
    assert room.told("alex") == [
        ("Sat 18:00", "Alex, you are on call now, until 20:00 Sun. No open leads."),
        ("Sat 23:35", ALEX_SAT_NIGHT)]
    assert room.told("thread") == [("Sat 23:35", "@alex " + ALEX_SAT_NIGHT)]
    assert room.told("jordan") == [
        ("Sun 20:00", "Jordan, you are on call now, until 09:00 Mon. 1 open lead(s), 1 overdue: "
                      "#1 Maria Gonzalez (unclaimed, claim overdue Sat 23:35).")]
    assert room.told("sam") == [] and room.told("pat") == []
    # the leads channel: the card when the lead came in, and the weekly digest at its documented
    # time (README: Monday 08:00, in the leads channel); no notice about the lead
    assert first_lines(room.told("#leads")) == [
        ("Sat 23:30", "card #1"),
        ("Mon 08:00", "Weekly digest for Demo Motors: week 2026-W48 (Nov 23-Nov 29), against 2026-W47")]


def test_the_managers_hear_of_a_saturday_night_lead_once_in_mondays_opening_summary(core, team, clock):
    room = saturday_night(core, team, clock)
    # not at 23:40 or 23:45 (the claim ladder's on-call and managers' rungs), not on Sunday, not
    # in a burst at opening and not again at 09:05, 09:10 ... 10:00: one summary at 09:00
    assert room.told("#sales-managers") == [("Mon 09:00", MONDAY_SUMMARY)]
    assert room.everything_after("Mon 09:00") == [
        ("Mon 09:00", "#sales-managers", MONDAY_SUMMARY)]


def test_with_quiet_hours_off_the_managers_hear_a_saturday_night_lead_at_night(core, team, clock):
    room = Showroom(core, team, clock)
    clock.set(at(11, 28, 23, 0))
    room.say("pat", f"followup set hours {ISSUE_HOURS}")
    room.say("pat", "followup set quiet-hours off")
    room.tick()
    room.run_until(at(11, 28, 23, 30), QUARTER)
    room.lead()
    room.run_until(at(11, 29, 0, 30), MINUTE)
    # Alex already heard at 23:35, so the on-call rung (23:40) goes up to the managers, then the
    # managers' rung (23:45): two notices at night instead of a morning summary
    assert first_lines(room.told("#sales-managers")) == [
        ("Sat 23:40", "Managers: still not done after the ladder told Alex (on-call) at 23:35 (unclaimed). "
                      "Nobody has claimed Maria Gonzalez (Cars.com) after 10 min and nobody has called them "
                      "(asked 10 min ago). Call now: (312) 555-0147."),
        ("Sat 23:45", "Managers: still not done after the ladder told Alex (on-call) at 23:35, the managers at "
                      "23:40 (unclaimed). Nobody has claimed Maria Gonzalez (Cars.com) after 15 min and nobody "
                      "has called them (asked 15 min ago). Call now: (312) 555-0147.")]


# ---------------------------------------------------------------- 2. Thanksgiving, closed

def test_on_thanksgiving_a_2pm_lead_is_after_hours_on_call_hears_and_managers_wait_for_friday(core, team, clock):
    room = Showroom(core, team, clock)
    clock.set(at(11, 25, 19, 30))  # Wednesday evening, still open
    room.say("pat", f"followup set hours {ISSUE_HOURS}")
    assert room.say("pat", "followup holiday 2026-11-26") == (
        "Thu Nov 26, 2026 is a holiday: closed all day, on-call covers. Holidays: Nov 26 2026.",)
    room.tick()
    room.run_until(at(11, 26, 14, 0), QUARTER)
    room.lead()
    room.run_until(at(11, 26, 15, 0), MINUTE)
    room.run_until(at(11, 27, 8, 45), QUARTER)
    room.run_until(at(11, 27, 10, 0), MINUTE)
    on_call = ("On-call: this needs you (unclaimed). Nobody has claimed Maria Gonzalez (Cars.com) after 5 min "
               "and nobody has called them (asked 5 min ago). Call now: (312) 555-0147.")
    # Wednesday's shift (Alex) runs from Wed 20:00 until Thursday's starts at 20:00 (the
    # holiday's usual closing time); Thursday's (Jordan) until Friday's opening
    assert room.told("alex") == [
        ("Wed 20:00", "Alex, you are on call now, until 20:00 Thu. No open leads."),
        ("Thu 14:05", on_call)]
    assert room.told("thread") == [("Thu 14:05", "@alex " + on_call)]
    assert room.told("jordan") == [
        ("Thu 20:00", "Jordan, you are on call now, until 09:00 Fri. 1 open lead(s), 1 overdue: "
                      "#1 Maria Gonzalez (unclaimed, claim overdue 14:05).")]
    assert room.told("#leads") == [("Thu 14:00", "card #1")]
    assert room.told("#sales-managers") == [
        ("Fri 09:00", "Good morning. Demo Motors, Fri Nov 27:\n"
                      "While we were closed, 1 lead needed a manager (kept for opening):\n"
                      "  #1 Maria Gonzalez (Cars.com): unclaimed, not contacted, asked 19 h ago; since Thu 14:10")]
    assert room.told("sam") == [] and room.told("pat") == []


def test_a_lead_the_night_before_thanksgiving_waits_for_fridays_summary_not_thursdays(core, team, clock):
    room = Showroom(core, team, clock)
    clock.set(at(11, 25, 19, 30))
    room.say("pat", f"followup set hours {ISSUE_HOURS}")
    room.say("pat", "followup holiday 2026-11-26")
    room.tick()
    room.run_until(at(11, 25, 21, 0), QUARTER)
    room.lead()
    room.run_until(at(11, 25, 22, 0), MINUTE)
    room.run_until(at(11, 26, 8, 45), QUARTER)
    room.run_until(at(11, 26, 9, 30), MINUTE)  # Thursday's usual opening: closed, no summary
    room.run_until(at(11, 27, 8, 45), QUARTER)
    room.run_until(at(11, 27, 9, 30), MINUTE)
    assert [when for when, _ in room.told("alex")] == ["Wed 20:00", "Wed 21:05"]
    assert room.told("#sales-managers") == [
        ("Fri 09:00", "Good morning. Demo Motors, Fri Nov 27:\n"
                      "While we were closed, 1 lead needed a manager (kept for opening):\n"
                      "  #1 Maria Gonzalez (Cars.com): unclaimed, not contacted, asked 1 d 12 h ago; since Wed 21:10")]
    assert room.told("#leads") == [("Wed 21:00", "card #1")]


def test_on_an_ordinary_thursday_a_2pm_lead_goes_to_the_channel_then_on_call_then_the_managers(core, team, clock):
    room = Showroom(core, team, clock)
    clock.set(at(12, 3, 13, 30))  # Thursday Dec 3, open; Thanksgiving is still a holiday
    room.say("pat", f"followup set hours {ISSUE_HOURS}")
    room.say("pat", "followup holiday 2026-11-26")
    room.tick()
    room.run_until(at(12, 3, 14, 0), QUARTER)
    room.lead()
    room.run_until(at(12, 3, 16, 0), MINUTE)
    tail = "Call now: (312) 555-0147."
    # open: the on-call rep is tonight's, Thursday Dec 3's: Sam
    assert room.told("thread") == [
        ("Thu 14:05", "Nobody has claimed Maria Gonzalez (Cars.com) after 5 min and nobody has called them "
                      f"(asked 5 min ago). {tail}"),
        ("Thu 14:10", "@sam On-call: this needs you (unclaimed). Nobody has claimed Maria Gonzalez (Cars.com) "
                      f"after 10 min and nobody has called them (asked 10 min ago). {tail}"),
        ("Thu 14:15", "Managers: still not done after the ladder told the channel at 14:05, Sam (on-call) at "
                      "14:10 (unclaimed). Nobody has claimed Maria Gonzalez (Cars.com) after 15 min and nobody "
                      f"has called them (asked 15 min ago). {tail}")]
    assert room.told("sam") == [
        ("Thu 14:10", "On-call: this needs you (unclaimed). Nobody has claimed Maria Gonzalez (Cars.com) "
                      f"after 10 min and nobody has called them (asked 10 min ago). {tail}")]
    assert room.told("#sales-managers") == [
        ("Thu 14:15", "Managers: still not done after the ladder told the channel at 14:05, Sam (on-call) at "
                      "14:10 (unclaimed). Nobody has claimed Maria Gonzalez (Cars.com) after 15 min and nobody "
                      f"has called them (asked 15 min ago). {tail}")]
    # the worker's first tick this week sends Monday's digest late (README: a missed digest goes out once)
    assert first_lines(room.told("#leads")) == [
        ("Thu 13:30", "Weekly digest for Demo Motors: week 2026-W48 (Nov 23-Nov 29), against 2026-W47"),
        ("Thu 14:00", "card #1")]
    assert room.told("alex") == [] and room.told("jordan") == []


# ---------------------------------------------------------------- 3. one voice while unclaimed

def test_an_unclaimed_lead_gets_one_notice_per_claim_rung_each_naming_all_it_misses(core, team, clock):
    """Default settings (Mon-Sat 09:00-19:00): claim 5 min after the card, rungs at +0 (the
    channel), +5 (on call: Tuesday's Sam) and +10 (the managers). First contact (10:15) lapses
    too, but its rungs (10:10, 10:15, 10:25, 10:35) fall while nobody has claimed it: silent."""
    room = Showroom(core, team, clock)
    clock.set(at(11, 24, 10, 0))
    room.lead()
    room.run_until(at(11, 24, 18, 55), MINUTE)  # to just before Sam's shift and its handoff
    per_audience = {where: [when for when, _ in room.told(where)]
                    for where in ("#leads", "thread", "#sales-managers", "sam", "alex", "jordan", "pat")}
    assert per_audience == {"#leads": ["Tue 10:00"],  # the card
                            "thread": ["Tue 10:05", "Tue 10:10", "Tue 10:15"],  # the lead's record of each rung
                            "sam": ["Tue 10:10"], "#sales-managers": ["Tue 10:15"],
                            "alex": [], "jordan": [], "pat": []}
    notices = [text for _, to, text in room.log if to != "#leads"]
    assert len(notices) == 5
    for text in notices:
        assert "Nobody has claimed Maria Gonzalez" in text and "nobody has called them" in text, text
        assert "owner" not in text.lower() and "reminded" not in text, text
        assert "Heads-up" not in text and "has not been contacted" not in text, text  # no first-contact voice
    (to_managers,) = room.told("#sales-managers")
    assert to_managers == ("Tue 10:15", "Managers: still not done after the ladder told the channel at 10:05, "
                           "Sam (on-call) at 10:10 (unclaimed). Nobody has claimed Maria Gonzalez (Cars.com) "
                           "after 15 min and nobody has called them (asked 15 min ago). Call now: (312) 555-0147.")


# ---------------------------------------------------------------- 4. past the ladder: every morning

PAST_WEDNESDAY = ("Good morning. Demo Motors, Wed Nov 25:\n"
                  "Past their ladder and still overdue (1): every reminder has gone out.\n"
                  "  #1 Maria Gonzalez (Cars.com): Alex owns it, not contacted, asked 23 h ago; "
                  "first contact overdue since Tue 10:15")
PAST_THURSDAY = ("Good morning. Demo Motors, Thu Nov 26:\n"
                 "Past their ladder and still overdue (1): every reminder has gone out.\n"
                 "  #1 Maria Gonzalez (Cars.com): Alex owns it, not contacted, asked 1 d 23 h ago; "
                 "first contact overdue since Tue 10:15")


def test_a_lead_past_its_ladder_is_in_each_morning_summary_once_until_someone_calls(core, team, clock):
    """rollup.py: each morning's summary lists every lead past its ladder (all its rungs fired,
    still overdue), so none goes silent: once a summary, every morning while it stays so."""
    room = Showroom(core, team, clock)
    clock.set(at(11, 24, 10, 0))
    room.lead()
    room.say("alex", "claim 1")
    # first contact due 10:15: Alex 10:10 and 10:15, Sam (on call) 10:25, the managers 10:35
    room.run_until(at(11, 24, 11, 0), MINUTE)
    room.run_until(at(11, 25, 8, 45), QUARTER)
    room.run_until(at(11, 25, 10, 0), MINUTE)  # Wednesday's opening and the hour after
    assert room.told("#sales-managers") == [
        ("Tue 10:35", "Managers: still not done after the ladder told Alex (owner) at 10:10 and 10:15, Sam "
                      "(on-call) at 10:25 (Alex owns it). Maria Gonzalez asked 35 min ago and has not been "
                      "contacted. Call now: (312) 555-0147."),
        ("Wed 09:00", PAST_WEDNESDAY)]
    room.run_until(at(11, 26, 8, 45), QUARTER)
    room.run_until(at(11, 26, 9, 30), MINUTE)  # still not called: Thursday's summary lists it again
    assert room.told("#sales-managers")[2:] == [("Thu 09:00", PAST_THURSDAY)]
    room.say("alex", "call 1 reached")
    room.run_until(at(11, 27, 8, 45), QUARTER)
    room.run_until(at(11, 27, 10, 0), MINUTE)
    assert room.told("#sales-managers")[3:] == []  # called: nothing past its ladder, no summary Friday


def test_a_lead_held_overnight_and_past_its_ladder_is_listed_once_in_the_summary(core, team, clock):
    """Monday's summary for the Saturday-night lead lists it under what the night kept and not a
    second time under "past their ladder"; on Tuesday, still untouched, it is past its ladder."""
    room = saturday_night(core, team, clock)
    assert room.told("#sales-managers") == [("Mon 09:00", MONDAY_SUMMARY)]
    assert MONDAY_SUMMARY.count("Maria Gonzalez") == 1 and "Past their ladder" not in MONDAY_SUMMARY
    room.run_until(at(12, 1, 8, 45), QUARTER)
    room.run_until(at(12, 1, 9, 15), MINUTE)
    assert room.told("#sales-managers")[1:] == [
        ("Tue 09:00", "Good morning. Demo Motors, Tue Dec 1:\n"
                      "Past their ladder and still overdue (1): every reminder has gone out.\n"
                      "  #1 Maria Gonzalez (Cars.com): unclaimed, not contacted, asked 2 d 9 h ago; "
                      "claim overdue since Sat 23:35; first contact overdue since Sat 23:45")]
