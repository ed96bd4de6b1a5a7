"""Issue 10: the card and /leads say what is due next in words (the promise, its deadline in the
team's time, how long until it or how late, and who the ladder tells next, and when), and
/followup ladder shows the team's chains. Every expected text below is written by hand.

The team (tests/conftest.py): Demo Motors, Chicago, open Mon-Sat 09:00-19:00, default windows
and chains, rotation Sam, Alex, Jordan. Nobody is away, so the plain rotation decides who is on
call: Tue Nov 24's shift (day and evening) is Sam's, Wed Nov 25's is Alex's.
"""

from __future__ import annotations

from datetime import timedelta

from adapters.console.chat import PHRASES
from chatbot.commands import Caller, run_command
from chatbot.escalation.sweeper import sweep
from chatbot.leads import tracker
from chatbot.messaging.outbox import deliver_pending
from tests.conftest import TUESDAY_10AM
from tests.fakes.chat import FakeChat
from tests.helpers import new_lead, snapshot


def at(clock, core, minutes: int = 0, *, hours: int = 10, chat: FakeChat | None = None) -> None:
    """Move the clock to Tuesday hours:minutes and do what the worker does: sweep, deliver."""
    clock.set(TUESDAY_10AM.replace(hour=hours) + timedelta(minutes=minutes))
    sweep(core)
    deliver_pending(core, chat or FakeChat())


def card_line(chat: FakeChat, lead_id: int) -> str | None:
    due = chat.last_card(lead_id).due
    return due.text if due else None


def leads_next(core, team, who: str = "pat") -> list[str]:
    """The Next column of /leads all."""
    reply = run_command(core, Caller(team.id, who), "/leads all", PHRASES)
    return [row[-1] for row in reply.table.rows]


# ---------------------------------------------------------------- the due line


def test_an_unclaimed_card_names_the_claim_and_the_channel(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    assert card_line(chat, lead_id) == "Claim it by 10:05, in 5 min; the channel hears at 10:05"
    at(clock, core, 2, chat=chat)
    assert leads_next(core, team) == ["Claim it by 10:05, in 3 min; the channel hears at 10:05"]
    # the channel heard at 10:05; next the on-call rep (Sam), by name
    at(clock, core, 5, chat=chat)
    assert card_line(chat, lead_id) == "Claim it by 10:05, due now; Sam (on call) hears at 10:10"
    at(clock, core, 7, chat=chat)
    assert leads_next(core, team) == ["Claim it by 10:05, 2 min late; Sam (on call) hears at 10:10"]
    at(clock, core, 12, chat=chat)
    assert card_line(chat, lead_id) == "Claim it by 10:05, 7 min late; the managers hear at 10:15"


def test_a_claimed_lead_before_the_heads_up_after_the_deadline_and_past_its_ladder(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    tracker.claim(core, team.id, lead_id, "alex")
    deliver_pending(core, chat)
    # before the heads-up: the owner hears it 5 min before the deadline
    assert card_line(chat, lead_id) == "Call by 10:15, in 15 min; Alex hears at 10:10"
    at(clock, core, 4, chat=chat)
    assert leads_next(core, team) == ["Call by 10:15, in 11 min; Alex hears at 10:10"]
    at(clock, core, 10, chat=chat)
    assert card_line(chat, lead_id) == "Call by 10:15, in 5 min; Alex hears at 10:15"
    # after the deadline: the on-call rep (Sam, who does not own it), then the managers
    at(clock, core, 15, chat=chat)
    assert card_line(chat, lead_id) == "Call by 10:15, due now; Sam (on call) hears at 10:25"
    at(clock, core, 20, chat=chat)
    assert leads_next(core, team) == ["Call by 10:15, 5 min late; Sam (on call) hears at 10:25"]
    at(clock, core, 27, chat=chat)
    assert card_line(chat, lead_id) == "Call by 10:15, 12 min late; the managers hear at 10:35"
    at(clock, core, 40, chat=chat)
    assert card_line(chat, lead_id) == "Call by 10:15, 25 min late; every reminder has gone out"
    assert leads_next(core, team, "alex") == ["Call by 10:15, 25 min late; every reminder has gone out"]


def test_when_the_owner_is_on_call_the_managers_come_after_the_owner(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    tracker.claim(core, team.id, lead_id, "sam")
    at(clock, core, 16, chat=chat)
    assert card_line(chat, lead_id) == "Call by 10:15, 1 min late; the managers hear at 10:25"


def test_another_day_is_named(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    tracker.claim(core, team.id, lead_id, "alex")
    clock.set(TUESDAY_10AM + timedelta(minutes=4))
    tracker.log_touch(core, team.id, lead_id, "alex", "call", outcome="reached")
    deliver_pending(core, chat)
    assert card_line(chat, lead_id) == "Call again by Thu 10:04, in 2 d; Alex hears at Thu 10:04"
    # Wednesday morning: Thursday is still named; the on-call rep's turn would be Thursday's
    clock.set(TUESDAY_10AM + timedelta(days=1))
    assert leads_next(core, team) == ["Call again by Thu 10:04, in 1 d; Alex hears at Thu 10:04"]


def test_after_hours_the_on_call_rep_hears_first_and_the_managers_wait_for_the_morning(core, team, clock):
    chat = FakeChat()
    clock.set(TUESDAY_10AM.replace(hour=21))
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    # the channel's step goes to the on-call rep after hours: Sam holds Tuesday evening
    assert card_line(chat, lead_id) == "Claim it by 21:05, in 5 min; Sam (on call) hears at 21:05"
    at(clock, core, 6, hours=21, chat=chat)
    # Sam has heard; next the managers, whose notice waits for Wednesday's opening summary
    assert card_line(chat, lead_id) == "Claim it by 21:05, 1 min late; the managers hear in the Wed 09:00 summary"
    assert leads_next(core, team) == ["Claim it by 21:05, 1 min late; the managers hear in the Wed 09:00 summary"]


def test_with_quiet_hours_off_the_managers_hear_at_night(core, team, clock):
    run_command(core, Caller(team.id, "pat"), "/followup set quiet-hours off", PHRASES)
    chat = FakeChat()
    clock.set(TUESDAY_10AM.replace(hour=21))
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    at(clock, core, 6, hours=21, chat=chat)
    assert card_line(chat, lead_id) == "Claim it by 21:05, 1 min late; the managers hear at 21:10"


def test_a_closed_lead_has_no_due_line(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    tracker.claim(core, team.id, lead_id, "sam")
    tracker.log_touch(core, team.id, lead_id, "sam", "call", outcome="reached")
    tracker.close(core, team.id, lead_id, "sam", won=True)
    deliver_pending(core, chat)
    assert card_line(chat, lead_id) is None


# ---------------------------------------------------------------- /followup ladder

DEFAULT_LADDER = [
    "How Demo Motors follows up, window by window:",
    "Claim (5 min from the card's post): at the deadline: remind the channel · +5 min: remind the on-call rep"
    " · +10 min: tell the managers.",
    "First contact (15 min from the customer's request): 5 min before: remind the owner · at the deadline: "
    "remind the owner · +10 min: remind the on-call rep · +20 min: tell the managers.",
    "Second contact (48 h from the first contact): at the deadline: remind the owner · +4 h: remind the on-call "
    "rep · +8 h: tell the managers.",
    "Stalled (3 days from the last activity): at the deadline: remind the owner · +1 day: remind the on-call rep"
    " · +2 days: tell the managers.",
    "While a lead is unclaimed, the owner's reminders go to the channel.",
    "Hours: Mon Tue Wed Thu Fri Sat 09:00-19:00 (America/Chicago). After hours the on-call rep hears first; "
    "managers' notices wait for the 09:00 summary.",
    "Open leads keep the ladder they started with.",
]


def test_anyone_on_the_team_reads_the_ladder_and_it_changes_nothing(core, team, clock):
    before = snapshot(core)
    for who in ("sam", "pat"):
        reply = run_command(core, Caller(team.id, who), "/followup ladder", PHRASES)
        assert not reply.refused
        assert list(reply.lines) == DEFAULT_LADDER
        assert reply.share == "followup ladder"
    assert snapshot(core) == before


def test_a_five_minute_first_contact_window_has_no_heads_up(core, team, clock):
    said = run_command(core, Caller(team.id, "pat"), "/followup set first-contact 5m", PHRASES)
    assert not said.refused
    lines = run_command(core, Caller(team.id, "sam"), "/followup ladder", PHRASES).lines
    assert lines[2] == ("First contact (5 min from the customer's request): at the deadline: remind the owner · "
                        "+10 min: remind the on-call rep · +20 min: tell the managers.")
    assert [line for n, line in enumerate(lines) if n != 2] == [line for n, line in enumerate(DEFAULT_LADDER)
                                                                 if n != 2]


def test_a_six_minute_window_keeps_its_heads_up_one_minute_in(core, team, clock):
    run_command(core, Caller(team.id, "pat"), "/followup set first-contact 6m", PHRASES)
    lines = run_command(core, Caller(team.id, "sam"), "/followup ladder", PHRASES).lines
    assert lines[2].startswith("First contact (6 min from the customer's request): 5 min before: remind the owner · ")


def test_quiet_hours_off_and_other_hours_read_in_the_ladder(core, team, clock):
    pat = Caller(team.id, "pat")
    run_command(core, pat, "/followup set quiet-hours off", PHRASES)
    run_command(core, pat, "/followup set hours mon-fri 08:30-20:00, sat 10:00-17:00", PHRASES)
    lines = run_command(core, pat, "/followup ladder", PHRASES).lines
    assert lines[-2] == ("Hours: Mon-Fri 08:30-20:00, Sat 10:00-17:00 (America/Chicago). After hours the on-call "
                         "rep hears first; managers hear at once, day or night.")
    run_command(core, pat, "/followup set quiet-hours on", PHRASES)
    lines = run_command(core, pat, "/followup ladder", PHRASES).lines
    assert lines[-2].endswith("After hours the on-call rep hears first; managers' notices wait for the summary at "
                              "opening.")


def test_the_ladder_takes_no_more_words(core, team, clock):
    reply = run_command(core, Caller(team.id, "sam"), "/followup ladder please", PHRASES)
    assert reply.refused and reply.text == "Usage: /followup ladder (it takes nothing more)."


def test_help_lists_the_ladder(core, team, clock):
    help_text = run_command(core, Caller(team.id, "sam"), "/help", PHRASES).text
    assert "  /followup ladder  who hears what, and when, for each window (anyone)" in help_text
