"""A card whose post got no answer is looked for before it is posted again (SlackChat.find_card,
conversations.history). How the look failing is handled:
- Slack refuses the look and will go on refusing it (`missing_scope`: an install made before
  `channels:history` was in the manifest; `not_in_channel`; `channel_not_found`): it counts as
  "not found", the card is posted (at least once: it may now be there twice) and one key=value
  line says so. The channel keeps moving; it used to wait for good.
- Slack is failing (5xx, 429): the chat is down, nothing is posted until a look gets an answer,
  which then finds the card and adopts it: still exactly one card.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from adapters.slack.chat import SlackChat, make_client
from chatbot.messaging.outbox import deliver_pending
from tests.fakes.slack_web_api import FakeSlack
from tests.helpers import new_lead

CHANNEL = "#leads"
SQLITE = pytest.mark.parametrize("core", ["sqlite"], indirect=True)


@pytest.fixture
def fake():
    with FakeSlack() as running:
        yield running
    assert running.errors == [], "every call must be one Slack accepts"


def cards_in_channel(fake) -> list[int]:
    with fake.lock:
        return [m["metadata"]["event_payload"]["lead_id"] for m in fake.messages.get(CHANNEL, [])
                if (m.get("metadata") or {}).get("event_type") == "lead_card"]


def lost_answer(core, team, fake) -> tuple[SlackChat, int]:
    """A card posted by Slack whose answer never came back: the outbox will look before posting it again."""
    chat = SlackChat(make_client(fake.token, fake.base_url, max_retries=0, timeout=1))
    chat.pace = None  # real-time pacing is not what this is about
    first = new_lead(core, team)
    fake.slow_next("chat.postMessage", 1.5)  # posted, the answer lost
    deliver_pending(core, chat)
    fake.wait_answered()  # the fake has sent its late answer, to a client that stopped waiting
    assert cards_in_channel(fake) == [first]
    return chat, first


def later_lead(core, team) -> int:
    return new_lead(core, team, name="James Carter", external_id="L-2", phone="(312) 555-0199",
                    email="james@example.com")


@SQLITE
@pytest.mark.parametrize("error", ["missing_scope", "not_in_channel", "channel_not_found"])
def test_a_look_refused_by_slack_does_not_stall_the_channel(core, team, clock, fake, caplog, error):
    chat, first = lost_answer(core, team, fake)
    fake.fail_next("conversations.history", status=200, error=error, times=1000)
    later = later_lead(core, team)
    with caplog.at_level(logging.WARNING, logger="adapters.slack.chat"):
        for _ in range(120):  # 10 minutes, 5 s at a time
            clock.advance(timedelta(seconds=5))
            deliver_pending(core, chat)
    assert cards_in_channel(fake) == [first, first, later], "posted again (at least once), then the next card"
    (line,) = [r.getMessage() for r in caplog.records if "card_lookup_refused" in r.getMessage()]
    assert re.fullmatch(rf"card_lookup_refused channel={CHANNEL} lead={first} error={error} then=post_at_least_once",
                        line), line


@SQLITE
@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_look_slack_fails_to_answer_waits_then_adopts_the_card(core, team, clock, fake, status):
    chat, first = lost_answer(core, team, fake)
    fake.fail_next("conversations.history", status=status, retry_after=1 if status == 429 else None, times=3)
    later = later_lead(core, team)
    for _ in range(3):  # each look fails: the chat counts as down, nothing is posted
        clock.advance(timedelta(seconds=5))
        deliver_pending(core, chat)
        assert cards_in_channel(fake) == [first]
    with fake.lock:
        failed_looks = [c for c in fake.calls if c.method == "conversations.history" and c.status == status]
    assert len(failed_looks) == 3
    for _ in range(3):
        clock.advance(timedelta(seconds=5))
        deliver_pending(core, chat)
    assert cards_in_channel(fake) == [first, later], "the card found and adopted, then the next one"
