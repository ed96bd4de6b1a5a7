"""The sweep on a real database: each lapsed window escalates once per level, to the right person."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from chatbot.core import bootstrap, run
from chatbot.domain.hours import on_call
from chatbot.escalation.sweeper import sweep
from chatbot.ladder.deadlines import hours_of
from chatbot.leads import tracker
from chatbot.messaging.outbox import deliver_pending
from chatbot.messaging.ports import Channel, Direct, Thread
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, Lead
from chatbot.team.settings import change_setting
from tests.conftest import TUESDAY_10AM
from tests.fakes.chat import FakeChat
from tests.helpers import new_lead


def escalations(core) -> list[tuple[str, int, int | None, str | None]]:
    with transaction(core.engine) as session:
        rows = session.scalars(select(Escalation).order_by(Escalation.id)).all()
        return [(e.rule, e.level, e.target_member_id, e.target_channel) for e in rows]


def test_an_unclaimed_lead_is_escalated_to_the_channel_after_the_claim_window(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    clock.advance(timedelta(minutes=4, seconds=59))
    assert sweep(core) == []
    clock.advance(timedelta(seconds=1))
    assert len(sweep(core)) == 1
    deliver_pending(core, chat)
    assert escalations(core) == [("claim", 1, None, "#leads")]
    threads = [(n.text, n.hint) for to, n in chat.notices(Thread)]
    assert threads == [("Nobody has claimed Maria Gonzalez (Cars.com) after 5 min and nobody has called them "
                        "(asked 5 min ago). Call now: (312) 555-0147.", "claim")]
    assert chat.last_card(lead_id).due.text == "Claim it by 10:05, due now; Sam (on call) hears at 10:10"


def test_when_the_owner_is_on_call_level_two_goes_to_the_managers(core, team, clock):
    lead_id = new_lead(core, team)
    on_duty = on_call(["sam", "alex", "jordan"], hours_of(team), clock.now())
    tracker.claim(core, team.id, lead_id, on_duty)
    clock.advance(timedelta(minutes=25))
    sweep(core)
    # the heads-up (level 0) and the deadline go to the owner; on-call is the owner: the managers
    assert [(level, channel) for _, level, _, channel in escalations(core)] == [
        (0, None), (1, None), (2, "#sales-managers")]


def test_the_owner_hears_first_then_on_call_then_the_managers(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    on_duty = on_call(["sam", "alex", "jordan"], hours_of(team), clock.now())
    owner = "alex" if on_duty == "sam" else "sam"
    tracker.claim(core, team.id, lead_id, owner)
    for minutes in (10, 15, 25, 35):
        clock.set(TUESDAY_10AM + timedelta(minutes=minutes))
        sweep(core)
    deliver_pending(core, chat)
    ladder = [(rule, level, channel) for rule, level, _, channel in escalations(core)]
    assert ladder == [("first_contact", 0, None), ("first_contact", 1, None), ("first_contact", 2, None),
                      ("first_contact", 3, "#sales-managers")]
    assert chat.direct_to(owner) == [
        "Heads-up: call Maria Gonzalez by 10:15 (in 5 min); they asked 10 min ago. Call now: (312) 555-0147.",
        "Maria Gonzalez asked 15 min ago and has not been contacted. Call now: (312) 555-0147."]
    (to_on_call,) = chat.direct_to(on_duty)
    assert to_on_call.startswith(f"On-call: this needs you ({owner.capitalize()} owns it). Maria Gonzalez asked 25 min")
    name, duty_name = owner.capitalize(), on_duty.capitalize()
    assert chat.in_channel("#sales-managers") == [
        f"Managers: still not done after the ladder told {name} (owner) at 10:10 and 10:15, {duty_name} (on-call) "
        f"at 10:25 ({name} owns it). Maria Gonzalez asked 35 min ago and has not been contacted. "
        "Call now: (312) 555-0147."]


def test_sweeping_again_fires_nothing_twice(core, team, clock):
    new_lead(core, team)
    deliver_pending(core, FakeChat())  # the claim window runs from the card's post (issue 9)
    clock.advance(timedelta(minutes=6))
    assert len(sweep(core)) == 1
    assert sweep(core) == [] and sweep(core) == []
    assert len(escalations(core)) == 1


def test_a_restart_after_downtime_fires_every_step_that_fell_due_once(core, team, clock):
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "sam")
    clock.advance(timedelta(minutes=40))  # the worker was down through four steps
    restarted = bootstrap(str(core.engine.url.render_as_string(hide_password=False)), clock)
    fired = sweep(restarted)
    assert len(fired) == 4 and sweep(restarted) == []
    assert [level for _, level, _, _ in escalations(core)] == [0, 1, 2, 3]


def test_a_touch_before_the_deadline_means_no_escalation(core, team, clock):
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "sam")
    clock.advance(timedelta(minutes=14))
    tracker.log_touch(core, team.id, lead_id, "sam", "call")
    clock.advance(timedelta(hours=47))
    assert sweep(core) == []


def test_closing_a_lead_stops_its_escalations(core, team, clock):
    lead_id = new_lead(core, team)
    tracker.close(core, team.id, lead_id, "pat", won=False, reason="spam")
    clock.advance(timedelta(days=10))
    assert sweep(core) == []
    with transaction(core.engine) as session:
        assert session.get(Lead, lead_id).due_at is None


def test_after_hours_an_unclaimed_lead_goes_to_the_on_call_rep(core, team, clock):
    clock.set(TUESDAY_10AM.replace(hour=21))
    chat = FakeChat()
    new_lead(core, team)
    deliver_pending(core, chat)
    clock.advance(timedelta(minutes=5))
    sweep(core)
    deliver_pending(core, chat)
    (rule, level, member_id, channel), = escalations(core)
    assert (rule, level, channel) == ("claim", 1, None) and member_id is not None
    (to, notice), = chat.notices(Direct)
    assert notice.text.startswith("On-call: this needs you (unclaimed). Nobody has claimed Maria Gonzalez")


def test_two_workers_sweeping_at_once_fire_each_step_once(core, team, clock):
    for n in range(20):
        new_lead(core, team, external_id=f"L-{n}")
    deliver_pending(core, FakeChat())  # the claim window runs from the card's post (issue 9)
    clock.advance(timedelta(minutes=30))
    url = core.engine.url.render_as_string(hide_password=False)
    workers = [bootstrap(url, clock, migrate=False) for _ in range(2)]
    results: list[list[int]] = [[], []]
    threads = [threading.Thread(target=lambda i=i: results[i].extend(sweep(workers[i]))) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # claim: 3 levels by 30 min; first contact is silent while unclaimed (one voice) -> 3 steps a lead
    assert len(results[0]) + len(results[1]) == 20 * 3
    with transaction(core.engine) as session:
        assert session.scalar(select(func.count()).select_from(Escalation)) == 60
    for worker in workers:
        worker.engine.dispose()


def test_the_console_channel_sees_the_card_post_before_any_thread_reply(core, team, clock):
    chat = FakeChat(down=True)
    new_lead(core, team)
    # first contact lapses 15 min after the customer asked, posted or not (the claim window
    # would not: it runs from the card's post, issue 9)
    clock.advance(timedelta(minutes=16))
    sweep(core)
    deliver_pending(core, chat)
    assert chat.posts == []
    chat.down = False
    clock.advance(timedelta(minutes=10))
    deliver_pending(core, chat)
    kinds = [type(s.to) for s in chat.posts]
    assert kinds[0] is Channel and Thread in kinds[1:]


# ---------------------------------------------------------------- the plan a window opened with

EVERY_SETTING = {"claim": "1m", "first-contact": "5m", "second-contact": "2h", "stall": "1d",
                 "leads-channel": "#new-leads", "managers-channel": "#bosses", "hours": "mon-fri 08:00-18:00",
                 "timezone": "America/New_York", "playbook": "Call fast.", "claim-emoji": ":raising_hand:",
                 "region": "CA", "quiet-hours": "off"}


def due_ats(core) -> list:
    with transaction(core.engine) as session:
        return [(lead.id, lead.due_at, lead.due_rule, lead.due_level)
                for lead in session.scalars(select(Lead).order_by(Lead.id))]


def test_editing_every_setting_mid_ladder_sends_nothing_new_and_re_times_nothing(core, team, clock):
    chat = FakeChat()
    waiting = new_lead(core, team, external_id="A")
    owned = new_lead(core, team, external_id="B")
    deliver_pending(core, chat)
    tracker.claim(core, team.id, owned, "sam")
    clock.advance(timedelta(minutes=11))
    sweep(core)
    deliver_pending(core, chat)
    before, sent, timers = escalations(core), len(chat.posts), due_ats(core)
    assert sorted((rule, level) for rule, level, _, _ in before) == [("claim", 1), ("claim", 2), ("first_contact", 0)]
    for name, value in EVERY_SETTING.items():
        run(core, change_setting, team.id, "pat", name, value)
        assert sweep(core) == []
    deliver_pending(core, chat)
    assert escalations(core) == before and len(chat.posts) == sent and due_ats(core) == timers
    clock.set(TUESDAY_10AM + timedelta(minutes=15))  # the plans they opened with: 5 min claim, 15 min first contact
    sweep(core)
    assert sorted((rule, level) for rule, level, _, _ in escalations(core)[3:]) == [("claim", 3), ("first_contact", 1)]
    # a lead arriving now takes the new settings: a 1 minute claim window
    later = new_lead(core, team, external_id="C")
    deliver_pending(core, chat)
    with transaction(core.engine) as session:
        assert session.get(Lead, later).due_at == clock.now() + timedelta(minutes=1)
    assert waiting != later


def test_an_unclaimed_lead_gets_one_notice_per_step_naming_all_it_misses(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    for minute in range(1, 36):
        clock.set(TUESDAY_10AM + timedelta(minutes=minute))
        sweep(core)
    deliver_pending(core, chat)
    assert [(rule, level) for rule, level, _, _ in escalations(core)] == [("claim", 1), ("claim", 2), ("claim", 3)]
    threads = [n.text for _, n in chat.notices(Thread)]
    assert len(threads) == 3 and all("nobody has called them" in text for text in threads)
    (to_managers,) = chat.in_channel("#sales-managers")
    assert "owner" not in to_managers
    assert to_managers.startswith("Managers: still not done after the ladder told the channel at 10:05, ")
    assert "(on-call) at 10:10 (unclaimed). Nobody has claimed Maria Gonzalez (Cars.com) after 15 min" in to_managers
    assert lead_id


SATURDAY_2330 = TUESDAY_10AM.replace(day=28, hour=23, minute=30)


def saturday_night(core, team, clock, chat):
    clock.set(SATURDAY_2330)
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    for moment in (SATURDAY_2330 + timedelta(minutes=m) for m in (5, 10, 15, 60)):
        clock.set(moment)
        sweep(core)
        deliver_pending(core, chat)
    return lead_id


def test_after_hours_on_call_hears_first_and_managers_get_one_summary_at_opening(core, team, clock):
    chat = FakeChat()
    saturday_night(core, team, clock, chat)
    on_duty = on_call(["sam", "alex", "jordan"], hours_of(team), SATURDAY_2330)
    (heard,) = chat.direct_to(on_duty)
    assert heard.startswith("On-call: this needs you (unclaimed). Nobody has claimed Maria Gonzalez")
    assert chat.in_channel("#sales-managers") == []
    clock.set(SATURDAY_2330 + timedelta(hours=33, minutes=29))  # Monday 08:59
    sweep(core)
    deliver_pending(core, chat)
    assert chat.in_channel("#sales-managers") == []
    clock.set(SATURDAY_2330 + timedelta(hours=33, minutes=30))  # Monday 09:00, opening
    sweep(core)
    clock.advance(timedelta(minutes=1))
    sweep(core)
    deliver_pending(core, chat)
    (summary,) = chat.in_channel("#sales-managers")
    assert summary == ("Good morning. Demo Motors, Mon Nov 30:\n"
                       "While we were closed, 1 lead needed a manager (kept for opening):\n"
                       "  #1 Maria Gonzalez (Cars.com): unclaimed, not contacted, asked 1 d 9 h ago; since Sat 23:40")


def test_with_quiet_hours_off_managers_hear_at_night(core, team, clock):
    run(core, change_setting, team.id, "pat", "quiet-hours", "off")
    chat = FakeChat()
    saturday_night(core, team, clock, chat)
    assert len(chat.in_channel("#sales-managers")) == 2


def test_a_lead_past_its_ladder_is_in_the_next_morning_summary_once(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    tracker.claim(core, team.id, lead_id, "sam")
    for minutes in (10, 15, 25, 35, 60):
        clock.set(TUESDAY_10AM + timedelta(minutes=minutes))
        sweep(core)
    clock.set(TUESDAY_10AM + timedelta(days=1))
    workers = [bootstrap(core.engine.url.render_as_string(hide_password=False), clock, migrate=False)
               for _ in range(2)]
    for worker in workers:
        sweep(worker)
        worker.engine.dispose()
    deliver_pending(core, chat)
    summaries = [t for t in chat.in_channel("#sales-managers") if t.startswith("Good morning")]
    assert summaries == ["Good morning. Demo Motors, Wed Nov 25:\n"
                         "Past their ladder and still overdue (1): every reminder has gone out.\n"
                         "  #1 Maria Gonzalez (Cars.com): Sam owns it, not contacted, asked 1 d ago; "
                         "first contact overdue since Tue 10:15"]
