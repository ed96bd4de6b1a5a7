"""The Teams app end to end: install, the lead card posted and updated in place, claim by
reaction and by the Claim button, the card's actions, commands by @mention and in a personal
chat, escalations in the card's thread and in personal chats, Teams' throttling, restarts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chatbot.escalation.sweeper import sweep
from chatbot.leads import tracker
from chatbot.messaging import conversations
from chatbot.messaging.outbox import pending_count
from chatbot.team import roster
from tests.fakes.teams_connector import card_errors
from tests.helpers import incoming
from tests.teams.harness import ALEX, GENERAL, LEADS, PAT, SAM, TENANT, TeamsHarness

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def post_lead(teams, **kwargs) -> str:
    tracker.ingest(teams.core, teams.team_id, incoming(**kwargs))
    assert teams.deliver().sent >= 1
    return teams.connector.in_conversation(LEADS)[-1].id


@pytest.fixture
def installed(teams):
    assert teams.install().status_code == 202
    for user in (SAM, ALEX):  # Sam and Alex have used the bot in the team's channel, then in a personal chat
        assert teams.post(teams.mention(user, "reps")).status_code == 202
        assert teams.post(teams.personal(user, "reps")).status_code == 202
    return teams


def test_install_remembers_where_to_post_takes_the_channel_and_makes_the_installer_manager(teams, connector):
    assert teams.install().status_code == 202
    team = roster.team(teams.core, teams.team_id)
    assert (team.platform, team.platform_team_id, team.leads_channel) == ("teams", f"{TENANT}/{GENERAL}", LEADS)
    service = conversations.recall(teams.core, team.id, conversations.SERVICE)
    assert service["service_url"] == connector.service_url and service["tenant_id"] == TENANT
    assert roster.member_with_chat_id(teams.core, team.id, PAT).role == "manager"
    welcome = connector.posted[0].activity["attachments"][0]["content"]
    assert welcome["body"][0]["text"].startswith("Lead follow-up is here.")


def test_a_new_lead_is_posted_as_an_adaptive_card_with_the_slack_cards_facts_and_actions(installed, connector):
    card_id = post_lead(installed)
    card = installed.card(card_id)
    assert card_errors(card) == []
    text = installed.card_text(card_id)
    for fact in ("New lead #1: Maria Gonzalez", "2022 Toyota RAV4 (used)", "Cars.com", "maria@example.com",
                 "Unclaimed.", "Claim it by 10:05, in 5 min; the channel hears at 10:05"):
        assert fact in text
    reach = next(b for b in card["body"] if b.get("id") == "reach")["actions"][0]
    assert reach == {"type": "Action.OpenUrl", "title": "Call (312) 555-0147", "url": "tel:+13125550147"}
    rows = {b["id"]: b["actions"] for b in card["body"] if b.get("type") == "ActionSet" and b.get("id") != "reach"}
    assert [a["title"] for a in rows["lead_actions"]] == ["Claim", "Call", "Text", "E-mail", "Appointment", "Note"]
    assert [a["title"] for a in rows["lead_outcome"]] == ["Won", "Lost", "Reassign"], "no Release while unclaimed"
    claim = rows["lead_actions"][0]
    assert claim == {"type": "Action.Execute", "title": "Claim", "verb": "lead:claim", "data": {"lead": 1},
                     "style": "positive"}


def test_the_first_reaction_claims_the_card_updates_in_place_and_later_reactors_hear_who_has_it(installed,
                                                                                              connector):
    card_id = post_lead(installed)
    assert installed.post(installed.reaction(SAM, card_id)).status_code == 202
    assert installed.told(SAM)[-1].startswith("Maria Gonzalez is yours (claimed 0s after posting).")
    updated = installed.card_text(card_id)
    assert "Lead #1: Maria Gonzalez" in updated and "Owner:** Sam" in updated and "Claim\n" not in updated
    assert connector.message(card_id).updates, "the card was updated in place (PUT), not posted again"
    installed.post(installed.reaction(ALEX, card_id, "heart"))
    assert installed.told(ALEX)[-1] == "Sam has this lead since 10:00 (0s ago)."
    late = installed.post(installed.execute(ALEX, card_id, "lead:claim", {"lead": 1}))
    assert late.json() == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                           "value": "Sam has this lead since 10:00 (0s ago)."}


def test_the_claim_button_claims(installed, connector):
    card_id = post_lead(installed)
    pressed = installed.post(installed.execute(ALEX, card_id, "lead:claim", {"lead": 1}))
    assert pressed.status_code == 200
    assert pressed.json()["value"].startswith("Maria Gonzalez is yours")
    assert "Owner:** Alex" in installed.card_text(card_id)


def test_every_card_action_runs_in_the_core_with_what_its_input_asked(installed, connector):
    card_id = post_lead(installed)
    said = [installed.post(installed.execute(user, card_id, verb, data)).json()["value"] for user, verb, data in (
        (SAM, "lead:call", {"lead": 1, "call_detail": "voicemail"}),
        (SAM, "lead:note", {"lead": 1, "note_detail": "customer's wife called back"}),
        (ALEX, "lead:won", {"lead": 1}),
        (SAM, "lead:reassign", {"lead": "1", "reassign_detail": ALEX}),
        (ALEX, "lead:lost", {"lead": 1, "lost_detail": "bought elsewhere"}),
    )]
    assert said[0].startswith("Call (voicemail) logged for Maria Gonzalez. First contact 0s after asking.")
    assert said[1].startswith("Note logged for Maria Gonzalez.")
    assert said[2] == "Sam owns Maria Gonzalez; only they or a manager can close it."
    assert said[3] == "Maria Gonzalez is now Alex's."
    assert said[4].startswith("Maria Gonzalez closed lost after only 1 attempt(s)")
    closed = installed.card(card_id)
    assert card_errors(closed) == [] and "Closed lost" in installed.card_text(card_id)
    assert not [b for b in closed["body"] if b.get("type") == "ActionSet" and b.get("id") != "reach"]


@pytest.mark.parametrize("verb, data", [("lead:frobnicate", {"lead": 1}), ("lead:call", {"lead": "x; DROP"}),
                                        ("lead:call", None), ("food", {"item": "beef"})])
def test_a_button_this_app_did_not_draw_does_nothing(installed, connector, verb, data):
    card_id = post_lead(installed)
    answer = installed.post(installed.execute(SAM, card_id, verb, data))
    assert answer.status_code == 200 and answer.json()["value"].startswith("That button's lead could not be read")
    assert "Unclaimed." in installed.card_text(card_id)


def test_commands_by_mention_in_the_channel_and_in_a_personal_chat_answer_with_cards(installed, connector):
    post_lead(installed)
    assert installed.post(installed.mention(PAT, "leads all")).status_code == 202
    reply = connector.posted[-1]
    assert reply.conversation == f"{LEADS};messageid=1481567603816", "answered in the thread it was asked in"
    content = reply.activity["attachments"][0]["content"]
    assert card_errors(content) == []
    assert content["body"][0]["text"] == "Open leads: 1"
    installed.post(installed.personal(SAM, "followup set first-contact 5m"))
    assert connector.posted[-1].activity["attachments"][0]["content"]["body"][0]["text"] == \
        "Settings are for managers. Ask your sales manager to change them."
    installed.post(installed.personal(SAM, "frobnicate"))
    assert connector.posted[-1].activity["attachments"][0]["content"]["body"][0]["text"] == \
        "'frobnicate' is not a command. 'help' lists them."


def test_a_manager_names_people_by_mention(installed, connector):
    line = installed.mention(PAT, "followup oncall <at>Sam</at> <at>Alex</at>")
    line["entities"] += [{"type": "mention", "text": "<at>Sam</at>", "mentioned": {"id": SAM, "name": "Sam"}},
                         {"type": "mention", "text": "<at>Alex</at>", "mentioned": {"id": ALEX, "name": "Alex"}}]
    installed.post(line)
    said = connector.posted[-1].activity["attachments"][0]["content"]["body"][0]["text"]
    assert said == "On-call rotation: Sam, Alex, one evening each, in turn."


def test_escalations_go_to_the_cards_thread_and_to_personal_chats(installed, connector, clock):
    card_id = post_lead(installed)
    installed.post(installed.reaction(SAM, card_id))
    clock.advance(timedelta(minutes=16))
    assert sweep(installed.core)
    installed.deliver()
    thread = connector.in_conversation(f"{LEADS};messageid={card_id}")
    assert thread and "has not been contacted" in thread[-1].activity["text"]
    assert thread[-1].activity["entities"][0]["mentioned"] == {"id": SAM, "name": "Sam"}
    assert any("has not been contacted" in text for text in installed.told(SAM))


def test_an_escalation_the_on_call_rep_reads_offers_take_it_and_one_press_takes_the_lead(installed, connector,
                                                                                          clock):
    roster.add_member(installed.core, installed.team_id, name="Alex", chat_user_id=ALEX, oncall_order=1)
    card_id = post_lead(installed)
    installed.post(installed.reaction(SAM, card_id))
    clock.advance(timedelta(minutes=25))  # the first-contact window has lapsed and reached on-call (Alex)
    assert sweep(installed.core)
    installed.deliver()
    def offers(user: str) -> list[dict]:
        return [p.activity["attachments"][0]["content"] for p in connector.posted
                if p.conversation == installed.personal_chat(user) and p.activity.get("text")
                and p.activity.get("attachments")]

    (take,) = offers(ALEX)
    assert card_errors(take) == []
    assert take["actions"] == [{"type": "Action.Execute", "title": "Take it", "verb": "lead:take",
                                "data": {"lead": 1}, "style": "positive"}]
    assert offers(SAM) == []  # the owner's own reminders offer nothing

    pressed = installed.post(installed.execute(ALEX, card_id, "lead:take", {"lead": 1}))
    assert pressed.json()["value"] == "Maria Gonzalez is yours now; Sam was told."
    again = installed.post(installed.execute(ALEX, card_id, "lead:take", {"lead": 1}))
    assert again.json()["value"] == "You already own Maria Gonzalez's lead."
    installed.deliver()
    assert "Owner:** Alex" in installed.card_text(card_id)
    assert any("Alex took over Maria Gonzalez" in text for text in installed.told(SAM))


def test_throttling_is_retried_with_backoff_and_an_outage_waits_in_the_outbox(installed, connector):
    connector.fail_next(429, times=2, retry_after=1)
    card_id = post_lead(installed)
    assert card_id
    assert len(installed.waits) == 2 and all(1 <= w <= 1.5 for w in installed.waits), "Retry-After plus jitter"
    connector.fail_next(503, times=3)
    tracker.ingest(installed.core, installed.team_id, incoming(name="James Carter", external_id="L-2"))
    result = installed.deliver()
    assert (result.sent, result.failed) == (0, 1) and pending_count(installed.core) == 1
    installed.core.clock.advance(timedelta(minutes=1))
    assert installed.deliver().sent == 1 and pending_count(installed.core) == 0


def test_references_live_in_the_database_so_a_restarted_bot_still_posts(installed, core, connector, issuer,
                                                                       monkeypatch):
    restarted = TeamsHarness(core, connector, issuer, monkeypatch)
    tracker.ingest(core, restarted.team_id, incoming())
    assert restarted.deliver().sent == 1
    assert connector.in_conversation(LEADS)[-1].activity["attachments"][0]["content"]["body"][0]["text"] \
        == "New lead #1: Maria Gonzalez"


def test_before_install_leads_wait_and_go_out_when_the_app_is_installed(teams, connector):
    tracker.ingest(teams.core, teams.team_id, incoming())
    assert teams.deliver().sent == 0 and connector.calls == []
    teams.install()
    assert [p for p in connector.in_conversation(LEADS) if p.activity.get("attachments")
            and p.activity["attachments"][0]["content"]["body"][0]["text"] == "New lead #1: Maria Gonzalez"]


def test_a_retried_delivery_of_the_same_activity_acts_once(installed, connector):
    card_id = post_lead(installed)
    reaction = installed.reaction(SAM, card_id)
    installed.post(reaction)
    installed.post(reaction)
    assert len([text for text in installed.told(SAM) if "yours" in text]) == 1
