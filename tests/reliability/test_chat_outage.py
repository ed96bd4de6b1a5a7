"""The chat API down for minutes while leads keep arriving, then back: no lead lost, no card
twice, the cards in each channel in the order the leads arrived (issue 13).

One deployment with two dealerships: a Slack workspace (real WebClient over HTTP to FakeSlack)
and a Teams team (the Agents SDK's ConnectorClient over HTTP to FakeConnector), on one database.
The fault is the same for both chats at once; the clock is a ManualClock moved 15 s per arriving
lead (a lead for one dealership, then the other), and each step runs what the worker runs
(deliver for each chat, sweep). Then the chat comes back and the outbox is driven until empty,
moving the clock 5 s a step. Nothing sleeps for minutes; the timeouts are real (short) ones.

Faults: HTTP 500, 503 and 429 on every call; timeouts whose request never reached the chat;
and timeouts where the chat acted and the answer was lost. Teams has no way to look for a card
(no `find_card`), so a lost answer there is the documented at-least-once case: counted and
reported, not asserted to be zero (docs/ARCHITECTURE.md, "Delivery guarantee").
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest

from adapters.slack.chat import SlackChat, make_client
from adapters.teams.chat import TeamsChat
from chatbot.escalation.sweeper import sweep
from chatbot.leads import tracker
from chatbot.messaging.outbox import deliver_pending, pending_count
from chatbot.store.models import Lead
from tests.fakes.slack_web_api import FakeSlack
from tests.fakes.teams_auth import LocalIssuer
from tests.fakes.teams_connector import FakeConnector
from tests.helpers import incoming
from tests.reliability.conftest import figure, short_or_long, with_transaction
from tests.slack.harness import LEADS as SLACK_LEADS
from tests.slack.harness import SlackHarness
from tests.teams import harness as teams_harness
from tests.teams.harness import TeamsHarness

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

OUTAGE = short_or_long(timedelta(minutes=2), timedelta(minutes=20))
EVERY = timedelta(seconds=15)  # a lead arrives every 15 s, for one dealership then the other
CLIENT_TIMEOUT = 0.15  # the Slack client's read timeout in these tests (production: 10 s)
HANG = 0.3  # how long a timed-out request hangs before its connection closes
RECOVERY_LIMIT = short_or_long(timedelta(minutes=5), timedelta(minutes=30))
LOST_ANSWER = "timeout, served, answer lost"
"""Teams cannot look for a card it may have posted: after a lost answer it waits for Teams to
answer again, then posts once more, so that fault may leave one extra Teams card (at least once)."""


@pytest.fixture
def deployment(core, monkeypatch):
    with FakeSlack() as fake, LocalIssuer() as issuer, FakeConnector(verify_token=issuer.verify) as connector:
        fake.known_channels.add(SLACK_LEADS)  # the leads channel exists (empty) before the first card
        slack = SlackHarness(core, fake)
        teams = TeamsHarness(core, connector, issuer, monkeypatch)
        assert teams.install().status_code == 202
        connector.posted.clear()  # the welcome; from here on only leads' messages
        yield slack, teams
        slack.close()
        teams.http.close()


def slack_cards(fake) -> list[int]:
    with fake.lock:
        return [m["metadata"]["event_payload"]["lead_id"] for m in fake.messages.get(SLACK_LEADS, [])
                if not m.get("thread_ts") and (m.get("metadata") or {}).get("event_type") == "lead_card"]


def teams_cards(h: TeamsHarness) -> list[int]:
    """Lead ids of the cards in the Teams leads channel, in the order they were posted."""
    by_message = dict(with_transaction(h.core, lambda s: [(lead.chat_message_id, lead.id) for lead in
                                                           s.query(Lead).filter(Lead.team_id == h.team_id)]))
    out = []
    for posted in h.connector.in_conversation(teams_harness.LEADS):
        attachments = posted.activity.get("attachments") or []
        if not attachments:
            continue
        lead = by_message.get(posted.id)
        if lead is None:  # a card whose answer was lost: its lead is named on it
            text = str(attachments[0].get("content"))
            lead = next((lid for lid, name in names(h.core).items() if name in text), None)
        out.append(lead)
    return out


def names(core) -> dict[int, str]:
    return dict(with_transaction(core, lambda s: [(lead.id, lead.customer_name) for lead in s.query(Lead)]))


def duplicates(cards: list[int]) -> int:
    return len(cards) - len(set(cards))


def in_order(cards: list[int], arrived: list[int]) -> bool:
    """Each card's first appearance follows the arrival order."""
    seen = list(dict.fromkeys(cards))
    return seen == [lead for lead in arrived if lead in seen]


FAULTS = {
    "HTTP 500": (lambda f: f.outage(500), lambda c: c.outage(500)),
    "HTTP 503": (lambda f: f.outage(503), lambda c: c.outage(503)),
    "HTTP 429": (lambda f: f.outage(429), lambda c: c.outage(429)),
    "timeout, not served": (lambda f: f.timeouts(HANG), lambda c: c.outage(None, dropped=True)),
    "timeout, served, answer lost": (lambda f: f.timeouts(HANG, served=True),
                                     lambda c: c.outage(None, dropped=True, served=True)),
}


SHORT_FAULTS = ["HTTP 500", "HTTP 429", "timeout, not served", "timeout, served, answer lost"]


@pytest.mark.parametrize("core", ["sqlite"], indirect=True)  # order and loss, not locking: the faster store
@pytest.mark.parametrize("fault", short_or_long(SHORT_FAULTS, list(FAULTS)))
def test_an_outage_of_minutes_loses_no_lead_and_keeps_each_channels_order(deployment, core, clock, fault,
                                                                          monkeypatch):
    slack, teams = deployment
    slack_chat = SlackChat(make_client(slack.fake.token, slack.fake.base_url, max_retries=0,
                                       timeout=CLIENT_TIMEOUT))  # type: ignore[arg-type]
    # Pacing (1 new message a second per channel) is real time and not what is measured here
    # (bench/outage.py measures it): off, so the drain is bounded by the clock steps alone.
    slack_chat.pace = None
    monkeypatch.setattr(TeamsChat, "pace", None, raising=False)

    def work() -> None:
        """What the worker does each time it wakes: deliver for each chat, sweep."""
        deliver_pending(core, slack_chat, team_id=slack.team_id, platform="slack")
        teams.deliver()
        sweep(core)

    arrived = {"slack": [], "teams": []}
    slack_down, teams_down = FAULTS[fault]
    started = clock.now()
    with contextlib.ExitStack() as down:
        down.enter_context(slack_down(slack.fake))
        down.enter_context(teams_down(teams.connector))
        n = 0
        while clock.now() - started < OUTAGE:
            n += 1
            team, key = (slack.team_id, "slack") if n % 2 else (teams.team_id, "teams")
            lead = incoming(f"Customer {n:03d}", external_id=f"OUT-{n}", phone=f"(312) 555-{n:04d}",
                            email=f"c{n}@example.com")
            arrived[key].append(tracker.ingest(core, team, lead).lead_id)
            work()
            clock.advance(EVERY)
        waiting = pending_count(core)

    back_at = clock.now()
    while pending_count(core) and clock.now() - back_at < RECOVERY_LIMIT:
        clock.advance(timedelta(seconds=5))
        work()
    recovered_in = clock.now() - back_at

    leads = len(arrived["slack"]) + len(arrived["teams"])
    on_slack, on_teams = slack_cards(slack.fake), teams_cards(teams)
    lost = len(set(arrived["slack"]) - set(on_slack)) + len(set(arrived["teams"]) - set(on_teams))
    figure(f"outage {fault} for {OUTAGE.total_seconds() / 60:.0f} min, {leads} leads "
           f"({len(arrived['slack'])} Slack, {len(arrived['teams'])} Teams), {waiting} messages waiting: "
           f"lost {lost}, duplicate cards Slack {duplicates(on_slack)} Teams {duplicates(on_teams)}, "
           f"order kept Slack {in_order(on_slack, arrived['slack'])} Teams {in_order(on_teams, arrived['teams'])}, "
           f"drained {recovered_in.total_seconds():.0f} s (clock) after the chat came back")
    assert pending_count(core) == 0, ("every message left the outbox", pending_count(core, slack.team_id),
                                      pending_count(core, teams.team_id), on_slack, on_teams, arrived)
    assert lost == 0
    assert sorted(set(on_slack)) == sorted(arrived["slack"]) and sorted(set(on_teams)) == sorted(arrived["teams"])
    assert duplicates(on_slack) == 0
    assert duplicates(on_teams) <= (1 if fault == LOST_ANSWER else 0), on_teams
    assert in_order(on_slack, arrived["slack"])
    assert in_order(on_teams, arrived["teams"]), (on_teams, arrived["teams"])
    assert slack.fake.errors == [] and teams.connector.errors == []
