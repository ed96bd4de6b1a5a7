"""Platforms plugged in: each team's outbox goes through its own chat platform, and a team
whose platform is not configured here keeps its messages queued (counted as waiting).
On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta

from chatbot.messaging.outbox import Delivery, pending_count
from chatbot.messaging.platforms import NOTHING_CONFIGURED, Platforms, deliver_all, unreachable
from chatbot.messaging.ports import Pace
from chatbot.team import roster
from chatbot.worker import Courier, through, tick
from tests.fakes.chat import FakeChat
from tests.helpers import new_lead


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the expected effect did not happen within the timeout"
        time.sleep(0.02)


def slack_team(core):
    return roster.ensure_team(core, name="Fake Motors", platform="slack", platform_team_id="T0FAKE001",
                              leads_channel="C0LEADS01")


def test_each_teams_messages_go_through_its_own_platform(core, team):
    other = slack_team(core)
    new_lead(core, team, name="Ann Console", external_id="C-1")
    new_lead(core, other, name="Bo Slack", external_id="S-1")
    console_chat, slack_chat = FakeChat(), FakeChat()

    delivered = deliver_all(core, Platforms.of(console=lambda t: console_chat, slack=lambda t: slack_chat))

    assert delivered == Delivery(sent=2, failed=0, waiting=0)
    assert [c.customer_name for c in console_chat.cards()] == ["Ann Console"]
    assert [c.customer_name for c in slack_chat.cards()] == ["Bo Slack"]
    assert pending_count(core) == 0


def test_a_team_whose_platform_is_not_configured_waits_and_is_counted(core, team):
    other = slack_team(core)
    new_lead(core, team, name="Ann Console", external_id="C-1")
    new_lead(core, team, name="Cy Console", external_id="C-2", phone="312-555-0199", email=None)
    new_lead(core, other, name="Bo Slack", external_id="S-1")
    slack_chat = FakeChat()
    platforms = Platforms.of(slack=lambda t: slack_chat)

    delivered = deliver_all(core, platforms)

    assert delivered == Delivery(sent=1, failed=0, waiting=2)
    assert [c.customer_name for c in slack_chat.cards()] == ["Bo Slack"]
    assert pending_count(core) == 2 and unreachable(core, platforms) == 2


def test_a_team_its_platform_cannot_reach_now_waits(core):
    installed, not_installed = slack_team(core), roster.ensure_team(
        core, name="Other Motors", platform="slack", platform_team_id="T0OTHER01", leads_channel="C0LEADS02")
    new_lead(core, installed, external_id="S-1")
    new_lead(core, not_installed, external_id="S-2")
    chat = FakeChat()
    tokens = {"T0FAKE001": chat}

    delivered = deliver_all(core, Platforms.of(slack=lambda t: tokens.get(t.platform_team_id)))

    assert delivered == Delivery(sent=1, failed=0, waiting=1)
    assert len(chat.cards()) == 1


def test_with_nothing_configured_nothing_is_sent_and_everything_waits(core, team):
    new_lead(core, team)

    assert deliver_all(core, Platforms()) == Delivery(sent=0, failed=0, waiting=1)
    assert pending_count(core) == 1
    assert not Platforms() and Platforms().names == ()


def test_a_chat_that_is_down_keeps_the_message_for_later(core, team):
    new_lead(core, team)
    chat = FakeChat(down=True)
    platforms = Platforms.of(console=lambda t: chat)

    assert deliver_all(core, platforms) == Delivery(sent=0, failed=1, waiting=0)
    chat.down = False
    core.clock.advance(timedelta(seconds=5))
    assert deliver_all(core, platforms) == Delivery(sent=1, failed=0, waiting=0)


def test_what_is_configured_is_said_in_one_line():
    assert Platforms().describe() == "No chat is configured: leads are stored and wait in the outbox."
    assert NOTHING_CONFIGURED == Platforms().describe()
    assert Platforms(when_empty="Set CHAT_TOKEN.").describe() == "Set CHAT_TOKEN."  # the composition root's words
    slack = Platforms()
    slack.register("slack", lambda t: None, "Slack, one workspace (bot token)")
    assert slack.describe() == "Delivering to Slack, one workspace (bot token)."
    assert "slack" in slack and slack.names == ("slack",)


def test_one_chat_for_every_team_serves_any_platform(core, team):
    other = slack_team(core)
    new_lead(core, team, external_id="C-1")
    new_lead(core, other, external_id="S-1")
    chat = FakeChat()

    assert deliver_all(core, through(chat)).sent == 2


def test_the_worker_tick_records_escalations_even_with_no_chat(core, team):
    new_lead(core, team)
    # Not contacted 15 min after the customer asked, posted or not. (The claim window no longer
    # counts here: it runs from the card's post, and this card has not been posted; issue 9.)
    core.clock.advance(timedelta(minutes=16))

    result = tick(core, Platforms())

    # the heads-up (5 min before) and the first-contact escalation are recorded; the heads-up came
    # after its deadline, so it stays unsent: the card, one thread notice and the card's update wait
    assert (result.escalations, result.delivery) == (2, Delivery(sent=0, failed=0, waiting=3))
    assert pending_count(core) == 3


def test_the_courier_delivers_through_the_registry_when_woken(core, team):
    chat = FakeChat()
    courier = Courier(core, Platforms.of(console=lambda t: chat))
    courier.start()
    try:
        new_lead(core, team)
        courier.wake()
        wait_for(lambda: chat.cards(), timeout=5)
    finally:
        courier.stop()
    assert pending_count(core) == 0


class TimedChat(FakeChat):
    """A fake chat that notes when each post was made, paced like a platform's channel limit."""

    pace = Pace(per_second=4, burst=1)

    def __init__(self) -> None:
        super().__init__()
        self.posted_at: list[float] = []

    def post(self, to, view):
        ref = super().post(to, view)
        self.posted_at.append(time.monotonic())
        return ref


def test_one_rooftops_paced_backlog_does_not_hold_up_another_rooftops_card(core, team):
    other = slack_team(core)
    for n in range(6):  # six cards at 4 per second: the last goes out about 1.25 s after the first
        new_lead(core, team, name=f"Backlog {n}", external_id=f"C-{n}", phone=f"312-555-01{n:02d}", email=None)
    new_lead(core, other, name="Bo Slack", external_id="S-1")
    busy, quiet = TimedChat(), TimedChat()

    delivered = deliver_all(core, Platforms.of(console=lambda t: busy, slack=lambda t: quiet))

    assert delivered == Delivery(sent=7, failed=0, waiting=0)
    assert [c.customer_name for c in busy.cards()] == [f"Backlog {n}" for n in range(6)]  # its own order kept
    assert [c.customer_name for c in quiet.cards()] == ["Bo Slack"]
    assert quiet.posted_at[0] < busy.posted_at[2]  # not after the other rooftop's whole backlog
