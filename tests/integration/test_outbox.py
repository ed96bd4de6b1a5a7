"""The outbox: a chat outage delays cards but loses none, and keeps each lead's messages in order."""

from __future__ import annotations

from datetime import timedelta

from chatbot.leads import tracker
from chatbot.messaging.outbox import deliver_pending, pending_count
from chatbot.messaging.ports import ChatUnavailable
from chatbot.store.db import transaction
from chatbot.store.models import Lead
from tests.fakes.chat import FakeChat
from tests.helpers import new_lead


def test_a_lead_that_arrives_while_chat_is_down_is_posted_when_it_comes_back(core, team, clock):
    chat = FakeChat(down=True)
    lead_id = new_lead(core, team)
    first = deliver_pending(core, chat)
    assert (first.sent, first.failed) == (0, 1) and chat.posts == []
    assert pending_count(core) == 1
    chat.down = False
    clock.advance(timedelta(seconds=4))
    assert deliver_pending(core, chat).sent == 0  # still backing off
    clock.advance(timedelta(seconds=1))
    assert deliver_pending(core, chat).sent == 1
    assert [c.lead_id for c in chat.cards()] == [lead_id] and pending_count(core) == 0


def test_retries_back_off_and_never_give_up(core, team, clock):
    chat = FakeChat(down=True)
    new_lead(core, team)
    for _ in range(12):
        deliver_pending(core, chat)
        clock.advance(timedelta(minutes=16))
    chat.down = False
    deliver_pending(core, chat)
    assert len(chat.cards()) == 1


def test_the_claim_window_starts_when_the_card_is_actually_posted(core, team, clock):
    chat = FakeChat(down=True)
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    clock.advance(timedelta(minutes=10))
    chat.down = False
    deliver_pending(core, chat)
    with transaction(core.engine) as session:
        lead = session.get(Lead, lead_id)
        assert lead.posted_at == clock.now()
        assert (lead.due_rule, lead.due_at) == ("claim", clock.now() + timedelta(minutes=5))


def test_several_changes_while_down_become_one_card_that_shows_the_latest(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    deliver_pending(core, chat)
    chat.down = True
    tracker.claim(core, team.id, lead_id, "sam")
    tracker.log_touch(core, team.id, lead_id, "sam", "call")
    tracker.log_touch(core, team.id, lead_id, "sam", "text")
    deliver_pending(core, chat)
    chat.down = False
    clock.advance(timedelta(seconds=5))
    deliver_pending(core, chat)
    assert len(chat.updates) == 1
    assert chat.last_card(lead_id).facts[-2:] == ["2 attempts", "last touch 5s ago"]
    assert pending_count(core) == 0


def test_a_failed_card_holds_back_that_leads_later_messages_but_not_other_leads(core, team, clock):
    class FlakyChat(FakeChat):
        """Times out on Maria's card only."""

        def post(self, to, view):
            if getattr(view, "customer_name", None) == "Maria Gonzalez":
                raise ChatUnavailable("timeout")
            return super().post(to, view)

    chat = FlakyChat()
    new_lead(core, team)
    other = new_lead(core, team, name="James Carter", external_id="L-2")
    deliver_pending(core, chat)
    assert [c.lead_id for c in chat.cards()] == [other]
