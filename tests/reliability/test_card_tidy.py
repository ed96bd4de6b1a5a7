"""One live card per lead, even when Slack stores a post after the client gave up (issue 20).

The outbox looks for an unanswered card before posting it again, but Slack may store the post
later than that look, and the channel shows the card twice. The worker's card tidy
(chatbot/messaging/tidy.py) looks again once the card is recorded and CHECK_AFTER has passed,
and deletes the copies: keeping the card the lead records, or the one people reacted to.
Through the real WebClient over HTTP to FakeSlack, whose hold_next stores a post only late.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from adapters.slack.chat import SlackChat, make_client
from chatbot.messaging import outbox
from chatbot.messaging.outbox import deliver_pending, pending_count
from chatbot.messaging.ports import ChatDown, ChatUnavailable, MessageRef
from chatbot.messaging.tidy import CHECK_AFTER, LOOK_AGAIN, tidy_cards
from chatbot.store.db import transaction
from chatbot.store.models import Lead, OutboxMessage
from chatbot.worker import through
from tests.fakes.chat import FakeChat
from tests.fakes.slack_web_api import FakeSlack
from tests.helpers import new_lead

CHANNEL = "#leads"  # the test team's leads channel


@pytest.fixture
def fake():
    with FakeSlack() as running:
        yield running
    assert running.errors == [], "every call must be one Slack accepts"


def slack(fake) -> SlackChat:
    return SlackChat(make_client(fake.token, fake.base_url, max_retries=0, timeout=1))


def cards_in_channel(fake) -> list[str]:
    """The ts of each card in the leads channel, oldest first."""
    with fake.lock:
        return [m["ts"] for m in fake.messages.get(CHANNEL, [])
                if not m.get("thread_ts") and (m.get("metadata") or {}).get("event_type") == "lead_card"]


def lead_row(core, lead_id: int) -> Lead:
    with transaction(core.engine) as session:
        return session.get(Lead, lead_id)


def posted_twice(core, team, clock, fake, chat) -> tuple[int, str, str]:
    """Slack holds the first post past the client's timeout; the look before posting again finds
    nothing yet, so the card is posted again; then Slack stores the held post too.
    Returns the lead and its two cards' ts: the one the lead records, and the copy."""
    lead_id = new_lead(core, team)
    fake.hold_next("chat.postMessage", 2.5)  # stored 2.5 s after it came; the client waits 1 s
    assert deliver_pending(core, chat).failed == 1
    clock.advance(timedelta(seconds=30))
    assert deliver_pending(core, chat).sent == 1  # looked, found nothing yet, posted again
    fake.wait_answered()  # now Slack has stored the held post as well
    recorded = lead_row(core, lead_id).chat_message_id
    (copy,) = [ts for ts in cards_in_channel(fake) if ts != recorded]
    assert cards_in_channel(fake) == [recorded, copy]
    fake.calls.clear()
    return lead_id, recorded, copy


def adopted_after_a_killed_deliverer(core, team, clock, chat) -> int:
    """A deliverer posted the card and died before recording it; the next one looked and adopted it."""
    lead_id = new_lead(core, team)
    with transaction(core.engine) as session:
        message_id = session.scalars(select(OutboxMessage.id).where(OutboxMessage.lead_id == lead_id)).one()
    outbox._take(core, message_id, clock.now()).send(chat)
    clock.advance(timedelta(seconds=61))  # the dead deliverer's lease ran out
    assert deliver_pending(core, chat).sent == 1
    return lead_id


def test_a_post_slack_stored_after_the_client_gave_up_is_deleted_and_the_recorded_card_kept(
        core, team, clock, fake, caplog):
    chat = slack(fake)
    lead_id, recorded, copy = posted_twice(core, team, clock, fake, chat)
    caplog.set_level(logging.INFO, logger="chatbot.delivery")

    assert tidy_cards(core, through(chat)) == 0 and fake.calls == []  # not due yet
    clock.advance(CHECK_AFTER)
    assert tidy_cards(core, through(chat)) == 0  # no copy adopted

    assert cards_in_channel(fake) == [recorded]
    assert lead_row(core, lead_id).chat_message_id == recorded
    assert [c.method for c in fake.calls] == ["conversations.history", "reactions.get", "reactions.get",
                                              "chat.delete"]
    assert fake.calls[-1].args["ts"] == copy
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("card_copy_deleted ")]
    assert line == (f"card_copy_deleted team={team.id} lead={lead_id} channel={CHANNEL} "
                    f"message={copy} kept={recorded}")
    clock.advance(timedelta(minutes=5))
    tidy_cards(core, through(chat))
    assert len(fake.calls) == 4  # looked at once: a later pass (or a restarted worker) asks nothing


def test_people_reacted_to_the_copy_so_the_lead_adopts_it_and_the_recorded_card_goes(core, team, clock, fake):
    chat = slack(fake)
    lead_id, recorded, copy = posted_twice(core, team, clock, fake, chat)
    fake.react("sam", CHANNEL, copy, "white_check_mark")
    clock.advance(CHECK_AFTER)

    assert tidy_cards(core, through(chat)) == 1

    assert cards_in_channel(fake) == [copy]
    lead = lead_row(core, lead_id)
    assert (lead.chat_channel, lead.chat_message_id) == (CHANNEL, copy)
    assert pending_count(core) == 1  # the adopted card's update: it shows the lead as it is now
    assert deliver_pending(core, chat).sent == 1
    assert fake.message(CHANNEL, copy)["edited"]


def test_a_lead_with_one_card_costs_one_look_and_deletes_nothing(core, team, clock, fake):
    chat = slack(fake)
    lead_id = adopted_after_a_killed_deliverer(core, team, clock, chat)
    (card,) = cards_in_channel(fake)
    fake.calls.clear()
    clock.advance(CHECK_AFTER)

    assert tidy_cards(core, through(chat)) == 0
    clock.advance(timedelta(minutes=5))
    tidy_cards(core, through(chat))

    assert [c.method for c in fake.calls] == ["conversations.history"]
    assert cards_in_channel(fake) == [card] and lead_row(core, lead_id).chat_message_id == card


def test_slack_down_during_the_look_is_asked_again_on_a_later_pass(core, team, clock, fake):
    chat = slack(fake)
    lead_id = adopted_after_a_killed_deliverer(core, team, clock, chat)
    clock.advance(CHECK_AFTER)
    fake.fail_next("conversations.history", status=503)

    tidy_cards(core, through(chat))
    assert lead_row(core, lead_id).card_check_at == clock.now() + LOOK_AGAIN
    clock.advance(LOOK_AGAIN)
    tidy_cards(core, through(chat))

    assert [c.status for c in fake.calls_to("conversations.history")][-2:] == [503, 200]
    assert lead_row(core, lead_id).card_check_at is None


def test_a_chat_that_cannot_look_for_copies_is_skipped(core, team, clock):
    chat = FakeChat()  # posts and updates; no lead_cards, no delete (like Teams)
    lead_id = adopted_after_a_killed_deliverer(core, team, clock, chat)
    assert len(chat.cards()) == 2  # it could not look before posting again either
    clock.advance(CHECK_AFTER)

    assert tidy_cards(core, through(chat)) == 0

    assert lead_row(core, lead_id).card_check_at is None and len(chat.cards()) == 2


def test_deleting_a_card_already_gone_counts_as_deleted_and_a_refusal_is_reported(fake):
    chat = slack(fake)
    chat.delete(MessageRef(CHANNEL, "1764000000.000001"))  # message_not_found: gone, as wanted
    fake.fail_next("chat.delete", status=200, error="cant_delete_message")

    with pytest.raises(ChatUnavailable) as refused:
        chat.delete(MessageRef(CHANNEL, "1764000000.000002"))

    assert (refused.value.method, refused.value.error) == ("chat.delete", "cant_delete_message")
    assert not isinstance(refused.value, ChatDown)  # Slack said no to this message: not an outage
