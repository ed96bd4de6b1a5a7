"""The sweep on a real database: each lapsed window escalates once per level, to the right person."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from chatbot.core import bootstrap
from chatbot.domain.hours import on_call
from chatbot.escalation.sweeper import sweep
from chatbot.leads import tracker
from chatbot.leads.deadlines import hours_of
from chatbot.messaging.outbox import deliver_pending
from chatbot.messaging.ports import Channel, Direct, Thread
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, Lead
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
    assert threads == [("Nobody has claimed Maria Gonzalez (Cars.com) after 5 min.", "claim")]
    assert chat.last_card(lead_id).due.text.startswith("Claim overdue since 10:05")


def test_when_the_owner_is_on_call_level_two_goes_to_the_managers(core, team, clock):
    lead_id = new_lead(core, team)
    on_duty = on_call(["sam", "alex", "jordan"], hours_of(team), clock.now())
    tracker.claim(core, team.id, lead_id, on_duty)
    clock.advance(timedelta(minutes=25))
    sweep(core)
    assert [(level, channel) for _, level, _, channel in escalations(core)] == [(1, None), (2, "#sales-managers")]


def test_the_owner_hears_first_then_on_call_then_the_managers(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    on_duty = on_call(["sam", "alex", "jordan"], hours_of(team), clock.now())
    owner = "alex" if on_duty == "sam" else "sam"
    tracker.claim(core, team.id, lead_id, owner)
    for minutes in (15, 25, 35):
        clock.set(TUESDAY_10AM + timedelta(minutes=minutes))
        sweep(core)
    deliver_pending(core, chat)
    ladder = [(rule, level, channel) for rule, level, _, channel in escalations(core)]
    assert ladder == [("first_contact", 1, None), ("first_contact", 2, None), ("first_contact", 3, "#sales-managers")]
    assert chat.direct_to(owner) == ["Maria Gonzalez asked 15 min ago and has not been contacted. Call now: (312) 555-0147."]
    (to_on_call,) = chat.direct_to(on_duty)
    assert to_on_call.startswith(f"On-call: this needs you ({owner.capitalize()} owns it). Maria Gonzalez asked 25 min")
    assert len(chat.in_channel("#sales-managers")) == 1


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
    clock.advance(timedelta(minutes=40))  # the worker was down through three steps
    restarted = bootstrap(str(core.engine.url.render_as_string(hide_password=False)), clock)
    fired = sweep(restarted)
    assert len(fired) == 3 and sweep(restarted) == []
    assert [level for _, level, _, _ in escalations(core)] == [1, 2, 3]


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
    # claim: 3 levels by 30 min; first contact: levels 1 and 2 (15, 25 min) -> 5 steps a lead
    assert len(results[0]) + len(results[1]) == 20 * 5
    with transaction(core.engine) as session:
        assert session.scalar(select(func.count()).select_from(Escalation)) == 100
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
