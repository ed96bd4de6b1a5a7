"""The ladder as a manager writes it: reassign steps walk the rotation, lapses set a rep away,
an away owner's steps go to the on-call rep, on SQLite and PostgreSQL.

Demo Motors (tests/conftest.py): Chicago, open Mon-Sat 9-19, rotation Sam, Alex, Jordan, Pat
the manager. The clock starts Tue Nov 24 2026 10:00; tonight's on-call rep is Sam (the date's
ordinal picks: Tue Sam, Wed Alex, Thu Jordan)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from adapters.console.chat import PHRASES
from chatbot.commands import Caller, run_command
from chatbot.escalation.sweeper import sweep
from chatbot.leads import tracker
from chatbot.messaging.outbox import deliver_pending
from chatbot.messaging.ports import Direct
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, Lead, Member
from tests.fakes.chat import FakeChat
from tests.helpers import new_lead, snapshot

WALKING = "0 remind owner, +5m reassign, +10m reassign, +15m tell managers"


def say(core, team, who: str, line: str):
    return run_command(core, Caller(team.id, who), line, PHRASES)


def owner_of(core, lead_id: int) -> str | None:
    with transaction(core.engine) as session:
        lead = session.get(Lead, lead_id)
        return session.get(Member, lead.owner_id).chat_user_id if lead.owner_id else None


def moves(core) -> list[tuple[str, str | None, str]]:
    """(rule, from, to) of every reassign step, in order."""
    with transaction(core.engine) as session:
        names = {m.id: m.chat_user_id for m in session.exec(select(Member)).scalars()}
        rows = session.exec(select(Escalation).where(Escalation.moved_from_id.is_not(None))
                            .order_by(Escalation.id)).scalars()
        return [(e.rule, names[e.moved_from_id], names[e.target_member_id]) for e in rows]


def away(core, chat_user_id: str) -> tuple[bool, str | None, int]:
    with transaction(core.engine) as session:
        member = session.exec(select(Member).where(Member.chat_user_id == chat_user_id)).scalars().one()
        return member.away_since is not None, member.away_reason, member.lapses_in_row


def test_a_reassign_step_walks_the_rotation_skipping_away_reps_and_tells_both_reps(core, team, clock):
    assert say(core, team, "pat", f"followup set first-contact-ladder {WALKING}").lines == (
        f"first-contact-ladder is now {WALKING}. Open leads keep their current ladder; new windows use it.",)
    say(core, team, "jordan", "away for 3d")
    chat = FakeChat()
    lead_id = new_lead(core, team)  # asked at 10:00: call by 10:15
    tracker.claim(core, team.id, lead_id, "sam")
    deliver_pending(core, chat)

    clock.advance(timedelta(minutes=15))
    sweep(core)  # 10:15: Sam is reminded
    clock.advance(timedelta(minutes=5))
    sweep(core)  # 10:20: the lead moves to Alex
    assert owner_of(core, lead_id) == "alex"
    deliver_pending(core, chat)
    assert chat.direct_to("alex") == [
        "Yours now: Maria Gonzalez (Cars.com) moved to you, from Sam: not called by 10:15. "
        "They asked 20 min ago. Call now: (312) 555-0147."]
    assert chat.direct_to("sam")[-1] == "Maria Gonzalez (lead #1) moved to Alex: not called by 10:15."

    clock.advance(timedelta(minutes=5))
    sweep(core)  # 10:25: Jordan is away, so it comes back round to Sam
    assert owner_of(core, lead_id) == "sam"
    assert moves(core) == [("first_contact", "sam", "alex"), ("first_contact", "alex", "sam")]
    deliver_pending(core, chat)
    assert chat.direct_to("jordan") == []


def test_a_call_after_a_move_stops_the_walk(core, team, clock):
    say(core, team, "pat", f"followup set first-contact-ladder {WALKING}")
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "sam")
    clock.advance(timedelta(minutes=20))
    sweep(core)  # 10:15 reminder and 10:20 move to Alex, in one catch-up sweep
    assert owner_of(core, lead_id) == "alex"
    tracker.log_touch(core, team.id, lead_id, "alex", "call", outcome="reached")
    clock.advance(timedelta(hours=1))
    sweep(core)
    assert moves(core) == [("first_contact", "sam", "alex")]
    assert owner_of(core, lead_id) == "alex"


def test_an_unclaimed_lead_is_moved_to_the_on_call_rep_by_a_claim_reassign(core, team, clock):
    say(core, team, "pat", "followup set claim-ladder 0 remind channel, +5m reassign, +10m tell managers")
    chat = FakeChat()
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)  # the card is posted at 10:00: claim by 10:05
    clock.advance(timedelta(minutes=10))
    sweep(core)
    assert owner_of(core, lead_id) == "sam"  # tonight's on-call rep, first in line when nobody owns it
    deliver_pending(core, chat)
    assert chat.direct_to("sam")[0].startswith("Yours now: Maria Gonzalez (Cars.com) moved to you, nobody had "
                                               "claimed it: not claimed by 10:05.")


def test_a_bad_chain_is_refused_and_changes_nothing(core, team, clock):
    new_lead(core, team)
    before = snapshot(core)
    for line, said in [
        ("followup set first-contact-ladder +5m remind", "Say who hears '+5m remind': owner, on-call, next-rep, "
                                                         "managers or channel."),
        ("followup set first-contact-ladder -5m tell managers", "Before the deadline a step can only remind "
                                                                "(a heads-up)."),
        ("followup set first-contact-ladder 0 remind owner, 0 tell managers", "Give each step its own time."),
        ("followup set first-contact-ladder 0 shout owner", "'shout' is not an action: use remind, tell or "
                                                            "reassign."),
        ("followup set stall-ladder +40d remind owner", "'+40d remind owner' is too far from the deadline: at most "
                                                        "30 days either side."),
    ]:
        reply = say(core, team, "pat", line)
        assert reply.refused and reply.lines == (said,)
    assert say(core, team, "sam", f"followup set first-contact-ladder {WALKING}").refused  # reps don't
    assert snapshot(core) == before


def test_default_puts_the_chain_back(core, team, clock):
    say(core, team, "pat", f"followup set first-contact-ladder {WALKING}")
    assert say(core, team, "pat", "followup set first-contact-ladder default").lines == (
        "first-contact-ladder is now -5m remind owner, 0 remind owner, +10m remind on-call, +20m tell managers. "
        "Open leads keep their current ladder; new windows use it.",)


def test_a_lead_open_when_the_chain_changes_keeps_its_chain(core, team, clock):
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "alex")
    say(core, team, "pat", f"followup set first-contact-ladder {WALKING}")
    clock.advance(timedelta(hours=1))
    sweep(core)
    assert moves(core) == []  # its window opened under the default chain: nobody is moved
    with transaction(core.engine) as session:
        levels = [(e.level, e.target_channel) for e in session.exec(select(Escalation).order_by(Escalation.id)).scalars()]
    assert levels == [(0, None), (1, None), (2, None), (3, "#sales-managers")]  # Alex, Alex, Sam (on call)


def test_three_lapses_in_a_row_set_a_rep_away_and_tell_them_and_the_managers(core, team, clock):
    chat = FakeChat()
    leads = [new_lead(core, team, name=name, external_id=name) for name in ("Ann Lee", "Bo Diaz", "Cy Park")]
    for lead_id in leads:
        tracker.claim(core, team.id, lead_id, "alex")
    clock.advance(timedelta(minutes=15))
    sweep(core)  # all three first-contact windows lapse at 10:15
    assert away(core, "alex") == (True, "3 windows lapsed in a row", 0)
    deliver_pending(core, chat)
    (to_alex, notice) = [(to, n) for to, n in chat.notices(Direct) if to.user_id == "alex"][-1]
    assert notice.text == (
        "You are set away: 3 of your leads' windows lapsed in a row with no call, text or e-mail logged between "
        "them. Until you are back, the on-call rep hears your leads' escalations.")
    assert PHRASES.hint(notice.hint) == "Send /back when you are on the floor again."
    assert chat.in_channel("#sales-managers") == [
        "Alex is set away: 3 of their leads' windows lapsed in a row. The on-call rep covers their leads until "
        "they are back."]
    clock.advance(timedelta(minutes=10))
    sweep(core)  # 10:25: the on-call step; with Alex away, Sam (on call) hears, Alex is not told again
    deliver_pending(core, chat)
    assert len(chat.direct_to("alex")) == 4  # three reminders and the away notice
    assert say(core, team, "alex", "back").lines == (
        "Welcome back, Alex: on-call, reassign lists and escalations include you again.",)
    assert away(core, "alex") == (False, None, 0)


def test_an_attempt_between_lapses_starts_the_count_again(core, team, clock):
    first, second = new_lead(core, team, name="Ann Lee", external_id="A"), new_lead(core, team, name="Bo Diaz",
                                                                                      external_id="B")
    tracker.claim(core, team.id, first, "alex")
    tracker.claim(core, team.id, second, "alex")
    clock.advance(timedelta(minutes=15))
    sweep(core)
    assert away(core, "alex") == (False, None, 2)
    tracker.log_touch(core, team.id, first, "alex", "call", outcome="no answer")
    assert away(core, "alex") == (False, None, 0)


def test_lapses_after_hours_do_not_count_and_the_setting_can_turn_it_off(core, team, clock):
    assert say(core, team, "pat", "followup set away-after-lapses off").lines == (
        "away-after-lapses is now off: nobody is set away for lapsed windows.",)
    leads = [new_lead(core, team, name=name, external_id=name) for name in ("Ann Lee", "Bo Diaz", "Cy Park")]
    for lead_id in leads:
        tracker.claim(core, team.id, lead_id, "alex")
    clock.advance(timedelta(minutes=15))
    sweep(core)
    assert away(core, "alex") == (False, None, 0)
    say(core, team, "pat", "followup set away-after-lapses 1")
    clock.set(clock.now().replace(hour=1, minute=30) + timedelta(days=1))  # Wed 01:30 UTC is Tue 19:30 Chicago
    night = new_lead(core, team, name="Di Kim", external_id="D")
    tracker.claim(core, team.id, night, "jordan")
    clock.advance(timedelta(minutes=15))
    sweep(core)
    assert away(core, "jordan") == (False, None, 0)  # nobody is expected to call at 19:45 on a closed evening


def test_an_away_owners_reminders_go_to_the_on_call_rep_in_on_call_words(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "alex")
    deliver_pending(core, chat)
    say(core, team, "alex", "away for 1d")
    clock.advance(timedelta(minutes=10))
    sweep(core)  # 10:10, the heads-up
    clock.advance(timedelta(minutes=5))
    sweep(core)  # 10:15, the deadline
    deliver_pending(core, chat)
    assert chat.direct_to("alex") == []
    heads_up, lapsed = chat.direct_to("sam")
    assert heads_up.startswith("On-call: this needs you (Alex owns it). Heads-up: call Maria Gonzalez by 10:15 (in 5 min)")
    assert lapsed.startswith("On-call: this needs you (Alex owns it). Maria Gonzalez asked 15 min ago")


def test_a_next_rep_step_skips_a_rep_who_is_away(core, team, clock):
    say(core, team, "pat", "followup set first-contact-ladder 0 remind owner, +10m remind next-rep")
    say(core, team, "jordan", "away for 1d")
    chat = FakeChat()
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "alex")  # after Alex comes Jordan, who is away: then Sam
    clock.advance(timedelta(minutes=25))
    sweep(core)
    deliver_pending(core, chat)
    assert chat.direct_to("jordan") == []
    assert chat.direct_to("sam")[0].startswith("Next rep: this needs you (Alex owns it).")


def test_a_take_tells_the_previous_owner_and_the_managers(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "sam")
    tracker.take(core, team.id, lead_id, "jordan")
    deliver_pending(core, chat)
    assert chat.in_channel("#sales-managers") == [
        "Jordan took over Maria Gonzalez (lead #1) from Sam after it was escalated."]


def test_a_chain_for_one_lead_source_leaves_the_others_on_the_teams_chain(core, team, clock):
    assert say(core, team, "pat", "followup set first-contact-ladder@walk-in 0 remind owner, +5m tell managers"
               ).lines == ("first-contact-ladder@walk-in is now 0 remind owner, +5m tell managers. Open leads keep "
                           "their current ladder; new windows use it.",)
    walk_in = new_lead(core, team, name="Ann Lee", source="Walk-in", external_id="W1")
    web = new_lead(core, team, name="Bo Diaz", source="Cars.com", external_id="C1")
    for lead_id in (walk_in, web):
        tracker.claim(core, team.id, lead_id, "alex")
    clock.advance(timedelta(hours=1))
    sweep(core)
    with transaction(core.engine) as session:
        rows = session.exec(select(Escalation.lead_id, Escalation.level, Escalation.target_channel)
                            .order_by(Escalation.lead_id, Escalation.level)).all()
    assert [tuple(r) for r in rows] == [
        (walk_in, 1, None), (walk_in, 2, "#sales-managers"),  # the walk-in's own chain: no heads-up, managers at +5m
        (web, 0, None), (web, 1, None), (web, 2, None), (web, 3, "#sales-managers")]  # the team's default


def test_a_chain_for_no_source_or_no_such_window_is_refused(core, team, clock):
    for line in ("followup set first-contact-ladder@ 0 remind owner", "followup set hours@walk-in 0 remind owner",
                 "followup set nonsense@walk-in 0 remind owner"):
        reply = say(core, team, "pat", line)
        assert reply.refused and reply.lines[0].startswith(f"'{line.split()[2]}' is not a setting.")


@pytest.mark.parametrize("value", ["\u00b2", "\u00b2\u00b2", "9" * 1900, "21"])
def test_a_lapse_count_that_is_not_1_to_20_in_ascii_digits_is_refused_in_one_line(core, team, value):
    """'²' is a digit to str.isdigit() and not to int(): it once escaped as an exception."""
    answer = say(core, team, "pat", f"followup set away-after-lapses {value}")
    assert answer.refused and answer.lines == ("Give a number of windows in a row from 1 to 20, or off.",)
