"""Slack's interactive payloads (block_actions, slash commands, view_submission) delivered three
times, one after the other and all at once: one delivery's effect, never more, as for the Events
API (test_redelivery.py). They carry no event_id; the app keys on the `trigger_id` Slack gives
each interaction (adapters/slack/listeners/actions.py `repeated`). A copy is answered 200 and
does nothing: no second touch, reply, answer or card update.
"""

from __future__ import annotations

import pytest

from tests.reliability.test_redelivery import (  # noqa: F401 - fixtures
    POSTGRES,
    Kind,
    judge,
    slack,
    slack_effects,
    slack_posted_lead,
    slack_send_concurrent,
    slack_send_sequential,
)
from tests.slack.harness import LEADS, SAM, wait_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def owned(h) -> tuple[int, str]:
    from chatbot.leads import tracker
    lead_id, ts = slack_posted_lead(h)
    tracker.claim(h.core, h.team_id, lead_id, SAM)
    h.deliver()
    return lead_id, ts


def text_button(h):
    lead_id, ts = owned(h)
    payload = h.button(SAM, ts, "lead:text", str(lead_id))
    payload["message"] = h.card(ts)
    return payload


def call_select(h):
    lead_id, ts = owned(h)
    payload = h.button(SAM, ts, "lead:call", "")
    payload["actions"] = [{"type": "static_select", "action_id": "lead:call", "block_id": "lead_actions",
                           "selected_option": {"text": {"type": "plain_text", "text": "Left voicemail"},
                                               "value": f"{lead_id}|voicemail"},
                           "action_ts": "1732440000.000100"}]
    return payload


def note_command(h):
    lead_id, _ = owned(h)
    return h.command(SAM, "/followup", f"note {lead_id} customer's wife called")


def note_modal(h):
    lead_id, _ = owned(h)
    view = {"id": "V0NOTE0001", "type": "modal", "callback_id": "lead:note", "private_metadata": f"{lead_id}|{LEADS}",
            "title": {"type": "plain_text", "text": "Note"}, "blocks": [], "hash": "1732440000.abcdef"}
    return h.view_submission(SAM, view, {"detail": {"detail_input": {"type": "plain_text_input",
                                                                      "value": "wants a trade-in quote"}}})


def leads_command(h):
    return h.command(SAM, "/leads", "all")


def once(check):
    """One delivery did what it should, and stored its delivery id."""
    return lambda d: check(d) and d.get("delivery ids") == 1


INTERACTIVE = [
    Kind("block_actions lead:text button", text_button, once(lambda d: d.get("touches") == 1)),
    Kind("block_actions lead:call select", call_select, once(lambda d: d.get("touches") == 1)),
    Kind("slash command /followup note", note_command, once(lambda d: d.get("touches") == 1)),
    Kind("view_submission lead:note", note_modal, once(lambda d: d.get("touches") == 1)),
    Kind("slash command /leads (a read: one answer)", leads_command,
         once(lambda d: d.get("response_url answers") == 1)),
]


@POSTGRES
@pytest.mark.parametrize("kind", INTERACTIVE, ids=lambda k: k.name)
def test_slack_interactive_payloads_delivered_three_times_have_one_effect(slack, kind):  # noqa: F811
    statuses = judge(kind.name, "slack", slack, slack_effects,
                     {"sequential": slack_send_sequential, "concurrent": slack_send_concurrent}, kind,
                     settle=slack.settle)  # Bolt acks first: wait for its listeners
    assert set(statuses) == {200}, (kind.name, statuses)


@pytest.mark.parametrize("core", ["sqlite"], indirect=True)
def test_the_same_button_pressed_again_acts_again(slack):  # noqa: F811
    """Only a copy is ignored: the same button pressed twice is two interactions (two trigger_ids)."""
    first = text_button(slack)
    again = slack.button(SAM, first["container"]["message_ts"], "lead:text", first["actions"][0]["value"])
    assert again["trigger_id"] != first["trigger_id"]
    before = slack_effects(slack)["touches"]
    for payload in (first, again):
        assert slack.post(payload).status_code == 200
    wait_for(lambda: slack_effects(slack)["touches"] == before + 2)
