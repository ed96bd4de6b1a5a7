"""Block Kit rendering and the Slack chat port, against FakeSlack's spec and Block Kit checks."""

from __future__ import annotations

import pytest

from adapters.slack.blocks import action_modal, card_action_for, card_blocks, render, reply_message
from adapters.slack.chat import SlackChat, make_client
from chatbot.messaging.ports import Channel, ChatUnavailable, Direct, MessageRef, Thread
from chatbot.messaging.views import DueLine, LeadCard, Notice, Reply, Table
from tests.conftest import TUESDAY_10AM
from tests.fakes.slack_web_api import FakeSlack, check_blocks


def card(**changes) -> LeadCard:
    fields = dict(lead_id=7, title="New lead #7: Ana <b>&</b> Co", customer_name="Ana <b>&</b> Co",
                  phone="+13125550147", phone_display="(312) 555-0147", email="ana@example.com",
                  vehicle="2024 Honda CR-V", source="Autotrader", asked="asked 2 min ago (09:58)",
                  comments="Is it still <available>?\nCall after 5", playbook="Call now.", status="open",
                  owner_name=None, owner_user_id=None, facts=["0 attempts"],
                  due=DueLine("Claim", TUESDAY_10AM, False, "Claim due by 10:05 (in 3 min)"),
                  # what the core offers on an unclaimed card with people to hand it to: all but release
                  offers=frozenset({"call", "text", "email", "appointment", "note", "won", "lost", "reassign"}))
    fields.update(changes)
    return LeadCard(**fields)


@pytest.fixture
def fake():
    with FakeSlack() as running:
        yield running
        assert running.errors == []


def test_customer_text_is_escaped_so_it_cannot_inject_links_or_mentions():
    blocks = [b.to_dict() for b in card_blocks(card())]
    text = str(blocks)
    assert "Ana &lt;b&gt;&amp;&lt;/b&gt; Co" in text and "<b>" not in text.replace("New lead #7: Ana <b>&</b> Co", "")
    assert "> Is it still &lt;available&gt;?\\n> Call after 5" in text
    assert check_blocks(blocks, 50) == []


def test_a_closed_card_shows_the_outcome_and_no_buttons():
    closed = card(status="lost", closed="Closed lost 10:20: bought elsewhere", owner_name="Sam",
                  owner_user_id="U0REP0001", due=None)
    blocks = [b.to_dict() for b in card_blocks(closed)]
    assert not [b for b in blocks if b["type"] == "actions"]
    assert "*Closed lost 10:20: bought elsewhere* · <@U0REP0001>" in str(blocks)
    assert render(closed)["text"].endswith("Closed lost 10:20: bought elsewhere")


def test_a_notice_mentions_its_person():
    assert render(Notice("Call Maria now.", mention="U0REP0001")) == {"text": "<@U0REP0001> Call Maria now."}


def test_report_and_modal_fit_slacks_limits():
    long_report = Reply(lines=("x" * 5000,), table=Table(("#",), (("y" * 3000,),)), share="stalled @sam")
    assert check_blocks(reply_message(long_report)["blocks"], 50) == []
    for act in ("lost", "note"):
        modal = action_modal(card_action_for(f"lead:{act}"), 7, "Ana " * 500, "C0LEADS01")
        assert len(modal["title"]["text"]) <= 24 and check_blocks(modal["blocks"], 100) == []
        assert (modal["callback_id"], modal["private_metadata"]) == (f"lead:{act}", "7|C0LEADS01")


def test_a_card_for_a_big_team_stays_within_slacks_select_limits():
    reps = tuple((f"U{n:08d}", f"Rep {n} " + "x" * 100) for n in range(150))
    blocks = [b.to_dict() for b in card_blocks(card(owner_name="Sam", owner_user_id="U0REP0001", reps=reps))]
    assert check_blocks(blocks, 50) == []
    (reassign,) = [e for b in blocks if b["type"] == "actions" for e in b["elements"]
                   if e["action_id"] == "lead:reassign"]
    assert len(reassign["options"]) == 100
    assert reassign["options"][0] == {"text": {"type": "plain_text", "text": "Rep 0 " + "x" * 68 + "…", "emoji": True},
                                      "value": "7|U00000000"}


def test_the_fakes_block_checks_know_selects_options_and_confirm_dialogs():
    too_much = {"type": "actions", "elements": [
        {"type": "static_select", "action_id": "a", "placeholder": {"type": "plain_text", "text": "p" * 151},
         "options": [{"text": {"type": "plain_text", "text": "t" * 76}, "value": "v" * 151}] * 2},
        {"type": "overflow", "action_id": "b", "options": [{"text": {"type": "plain_text", "text": "x"},
                                                            "value": "1"}]},
        {"type": "button", "action_id": "c", "text": {"type": "plain_text", "text": "Go"},
         "confirm": {"title": {"type": "plain_text", "text": "t"}, "text": {"type": "mrkdwn", "text": "x" * 301},
                     "confirm": {"type": "plain_text", "text": "y" * 31}, "deny": {"type": "plain_text", "text": "n"}}},
        {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "a"},
    ]}
    errors = check_blocks([too_much], 50)
    assert [e.split("[json-pointer:")[1] for e in errors] == [
        "/blocks/0/elements/0/placeholder/text]", "/blocks/0/elements/0/options/0/text/text]",
        "/blocks/0/elements/0/options/0/value]", "/blocks/0/elements/0/options/1/text/text]",
        "/blocks/0/elements/0/options/1/value]", "/blocks/0/elements/0/options/1/value]",
        "/blocks/0/elements/1/options]", "/blocks/0/elements/2/confirm/confirm/text]",
        "/blocks/0/elements/2/confirm/text/text]", "/blocks/0/elements/3]"]


def test_chat_posts_cards_threads_and_direct_messages(fake):
    chat = SlackChat(make_client(fake.token, fake.base_url))

    ref = chat.post(Channel("C0LEADS01"), card())
    reply = chat.post(Thread(ref), Notice("Nobody has claimed Ana yet."))
    direct = chat.post(Direct("U0REP0001"), Notice("Ana is yours."))
    chat.update(ref, card(owner_name="Sam", owner_user_id="U0REP0001"))

    assert fake.message("C0LEADS01", reply.message_id)["thread_ts"] == ref.message_id
    assert [c.method for c in fake.calls] == ["chat.postMessage", "chat.postMessage", "conversations.open",
                                              "chat.postMessage", "chat.update"]
    assert direct.channel.startswith("D")
    assert "<@U0REP0001>" in str(fake.message("C0LEADS01", ref.message_id)["blocks"])


def test_any_slack_failure_is_chat_unavailable(fake):
    chat = SlackChat(make_client(fake.token, fake.base_url, max_retries=0))
    fake.fail_next("chat.postMessage", status=200, error="not_in_channel")
    with pytest.raises(ChatUnavailable, match="not_in_channel"):
        chat.post(Channel("C0LEADS01"), card())
    with pytest.raises(ChatUnavailable, match="message_not_found"):
        chat.update(MessageRef("C0LEADS01", "1.000001"), card())
    with fake.outage():
        with pytest.raises(ChatUnavailable):
            chat.post(Direct("U0REP0001"), Notice("hi"))
    down = SlackChat(make_client(fake.token, "http://127.0.0.1:9/api/", max_retries=0, timeout=2))
    with pytest.raises(ChatUnavailable, match="unreachable"):
        down.post(Channel("C0LEADS01"), card())


def test_a_thread_notice_that_names_nobody_is_shown_in_the_channel_too(fake):
    chat = SlackChat(make_client(fake.token, fake.base_url))
    ref = chat.post(Channel("C0LEADS01"), card())

    chat.post(Thread(ref), Notice("Nobody has claimed Ana after 5 min.", hint="claim"))
    chat.post(Thread(ref), Notice("Ana asked 15 min ago and has not been contacted.", mention="U0REP0001"))

    unclaimed, owned = fake.calls_to("chat.postMessage")[1:]
    assert unclaimed.args.get("reply_broadcast") in (True, "true", "1")
    assert "reply_broadcast" not in owned.args
    assert unclaimed.args["text"] == "Nobody has claimed Ana after 5 min. React to the card to claim it."
