"""Delivery when Slack is slow or down (issue 9), through the real WebClient over HTTP to FakeSlack.

At most one card per lead even when Slack's answer is lost; after an outage every card once, in
the order the leads arrived; a card waiting in the outbox does not start its claim window; each
failure and each outage leaves one key=value log line with nothing personal in it.
How fast the backlog drains is measured by bench/outage.py, not asserted here.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from adapters.slack.chat import SlackChat, make_client
from chatbot.escalation.sweeper import sweep
from chatbot.messaging import outbox
from chatbot.messaging.outbox import deliver_pending, pending_count
from chatbot.messaging.platforms import Platforms
from chatbot.messaging.traffic import LocalTraffic
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, Lead, OutboxMessage
from chatbot.worker import Courier
from tests.fakes.slack_web_api import FakeSlack
from tests.helpers import new_lead

CHANNEL = "#leads"  # the test team's leads channel


@pytest.fixture
def fake():
    with FakeSlack() as running:
        yield running
    assert running.errors == [], "every call must be one Slack accepts"


def slack(fake, *, timeout: int = 10) -> SlackChat:
    return SlackChat(make_client(fake.token, fake.base_url, max_retries=0, timeout=timeout))


def cards_in_channel(fake) -> list[int]:
    """Lead ids of the cards in the leads channel, oldest first (from the metadata each carries)."""
    with fake.lock:
        return [m["metadata"]["event_payload"]["lead_id"] for m in fake.messages.get(CHANNEL, [])
                if not m.get("thread_ts") and (m.get("metadata") or {}).get("event_type") == "lead_card"]


def lead_row(core, lead_id: int) -> Lead:
    with transaction(core.engine) as session:
        return session.get(Lead, lead_id)


def test_a_post_answered_after_the_clients_timeout_leaves_exactly_one_card(core, team, clock, fake):
    chat = slack(fake, timeout=1)
    lead_id = new_lead(core, team)
    asked_at = clock.now()
    fake.slow_next("chat.postMessage", 2.0)  # Slack posts it, then answers after the client gave up

    first = deliver_pending(core, chat)
    assert (first.sent, first.failed) == (0, 1)
    assert cards_in_channel(fake) == [lead_id]  # it is there, though the bot never heard so
    fake.wait_answered()  # the late answer has gone out, to a client that stopped waiting
    clock.advance(timedelta(seconds=30))
    second = deliver_pending(core, chat)

    assert (second.sent, second.failed) == (1, 0) and pending_count(core) == 0
    assert cards_in_channel(fake) == [lead_id]  # adopted, not posted again
    assert [c.method for c in fake.calls] == ["chat.postMessage", "conversations.history", "chat.update"]
    (card,) = [m for m in fake.messages[CHANNEL] if not m.get("thread_ts")]
    lead = lead_row(core, lead_id)
    assert (lead.chat_channel, lead.chat_message_id) == (CHANNEL, card["ts"])
    assert lead.posted_at == asked_at  # the claim window runs from when it really appeared
    assert card["edited"]  # brought up to date in place


def test_a_deliverer_killed_after_slack_posted_the_card_leaves_exactly_one_card(core, team, clock, fake):
    """The first deliverer takes the card, Slack posts it, and the process dies before recording
    it. When the lease runs out the next deliverer sees a take that never came back: it looks
    for the card first and adopts it instead of posting it twice."""
    chat = slack(fake)
    lead_id = new_lead(core, team)
    with transaction(core.engine) as session:
        message_id = session.scalars(select(OutboxMessage.id).where(OutboxMessage.lead_id == lead_id)).one()
    taken = outbox._take(core, message_id, clock.now())
    taken.send(chat)  # posted; then kill -9: nothing recorded
    assert cards_in_channel(fake) == [lead_id]

    clock.advance(timedelta(seconds=30))
    assert deliver_pending(core, chat).sent == 0  # still leased to the dead deliverer
    clock.advance(timedelta(seconds=31))
    assert deliver_pending(core, chat).sent == 1

    assert cards_in_channel(fake) == [lead_id]  # adopted, not posted again
    assert [c.method for c in fake.calls] == ["chat.postMessage", "conversations.history", "chat.update"]
    assert lead_row(core, lead_id).chat_message_id is not None and pending_count(core) == 0


def test_a_card_whose_post_failed_plainly_is_posted_without_looking(core, team, clock, fake):
    """A refused or down post is known not to have happened: the retry posts, no history read."""
    chat = slack(fake)
    lead_id = new_lead(core, team)
    fake.fail_next("chat.postMessage", status=500)  # this client does not retry by itself
    assert deliver_pending(core, chat).failed == 1
    clock.advance(timedelta(minutes=1))
    assert deliver_pending(core, chat).sent == 1
    assert cards_in_channel(fake) == [lead_id]
    assert "conversations.history" not in [c.method for c in fake.calls]


def test_an_outage_with_leads_arriving_throughout_posts_every_card_once_in_arrival_order(
        core, team, clock, fake, caplog):
    chat = slack(fake)
    traffic = LocalTraffic()  # the courier's: what it knows of the outage from one pass to the next
    caplog.set_level(logging.INFO, logger="chatbot.delivery")
    arrived = []
    with fake.outage():
        for n in range(8):  # a lead every 15 s; the courier tries each time, and Slack is down
            arrived.append(new_lead(core, team, name=f"Customer {n}", external_id=f"L-{n}",
                                    phone=f"(312) 555-01{n:02d}", email=f"c{n}@example.com"))
            deliver_pending(core, chat, platform="slack", traffic=traffic)
            clock.advance(timedelta(seconds=15))
        assert cards_in_channel(fake) == [] and pending_count(core) == 8

    clock.advance(timedelta(seconds=5))
    delivered = deliver_pending(core, chat, platform="slack", traffic=traffic)

    assert delivered.sent == 8 and pending_count(core) == 0
    assert cards_in_channel(fake) == arrived  # once each, in the order the leads arrived

    lines = [r.getMessage() for r in caplog.records if r.name == "chatbot.delivery"]
    failures = [line for line in lines if line.startswith("delivery_failed ")]
    assert failures and all(f"platform=slack team={team.id} " in line and "method=chat.postMessage" in line
                            and "error=http_503_service_unavailable" in line and " attempt=" in line
                            and " next_try=" in line for line in failures)
    (started,) = [line for line in lines if line.startswith("chat_outage_started ")]
    (ended,) = [line for line in lines if line.startswith("chat_outage_ended ")]
    assert "backlog=1" in started and "lasted_s=125" in ended and "backlog=8" in ended
    for line in lines:  # nothing about the customers, no token
        assert not any(secret in line for secret in ("Customer", "555", "@example.com", fake.token, "xoxb"))


def test_the_first_success_after_an_outage_makes_the_whole_backlog_due_at_once(core, team, clock, fake):
    chat = slack(fake)
    with fake.outage():
        first = new_lead(core, team, external_id="L-1")
        for _ in range(6):  # the first card backs off a little more each time
            deliver_pending(core, chat)
            clock.advance(timedelta(seconds=1))
        later = new_lead(core, team, name="James Carter", external_id="L-2")
        deliver_pending(core, chat)  # waits behind the first: nothing overtakes it

    clock.advance(timedelta(seconds=5))
    assert deliver_pending(core, chat).sent == 2
    assert cards_in_channel(fake) == [first, later]


def test_the_courier_retries_a_chat_that_was_down_without_being_woken(core, team, clock, fake):
    courier = Courier(core, Platforms.one_chat(slack(fake)))
    courier.start()
    try:
        with fake.outage():
            lead_id = new_lead(core, team)
            courier.wake()
            wait_for(lambda: fake.calls_to("chat.postMessage"), timeout=10)
        clock.advance(timedelta(seconds=10))  # the probe is due; nobody wakes the courier
        wait_for(lambda: cards_in_channel(fake), timeout=30)
    finally:
        courier.stop()
    assert cards_in_channel(fake) == [lead_id]


def test_a_card_waiting_in_the_outbox_does_not_run_its_claim_window(core, team, clock, fake):
    chat = slack(fake)
    with fake.outage():
        lead_id = new_lead(core, team)
        deliver_pending(core, chat)
        clock.advance(timedelta(minutes=8))  # past the 5-min claim window, the card still not posted
        assert sweep(core) == []

    deliver_pending(core, chat)

    lead = lead_row(core, lead_id)
    assert lead.posted_at == clock.now()
    assert (lead.due_rule, lead.due_at) == ("claim", clock.now() + timedelta(minutes=5))
    (card,) = fake.messages[CHANNEL]
    assert "asked 8 min ago" in str(card["blocks"])  # how long the customer has waited already
    clock.advance(timedelta(minutes=4, seconds=59))
    assert sweep(core) == []
    clock.advance(timedelta(seconds=1))
    sweep(core)
    with transaction(core.engine) as session:
        fired = [(e.rule, e.deadline) for e in session.scalars(select(Escalation).order_by(Escalation.id))]
    assert fired == [("claim", lead.posted_at + timedelta(minutes=5))]


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
