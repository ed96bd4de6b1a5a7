"""The Slack app end to end: a lead is posted, claimed by reaction, worked with buttons and
reported on with slash commands, through the real web app, signed requests and a real
WebClient talking HTTP to FakeSlack. Runs on SQLite and PostgreSQL (the `core` fixture).
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import select

from chatbot.leads import tracker
from chatbot.messaging import outbox
from chatbot.store.db import transaction
from chatbot.store.models import Lead, LeadStatus, Member, ProcessedEvent
from chatbot.team import roster
from tests.fakes.slack_signing import load_fixture
from tests.helpers import incoming
from tests.slack.harness import ALEX, LEADS, PAT, SAM, SlackHarness, wait_for


def posted_lead(slack: SlackHarness, **kwargs) -> tuple[int, str]:
    """A lead arrives and is delivered: (lead id, the card's ts)."""
    lead_id = tracker.ingest(slack.core, slack.team_id, incoming(**kwargs)).lead_id
    assert slack.deliver().sent == 1
    (post,) = [c for c in slack.fake.calls_to("chat.postMessage") if c.response["ok"]][-1:]
    return lead_id, post.response["ts"]


def lead(core, lead_id: int) -> Lead:
    with transaction(core.engine) as session:
        return session.get(Lead, lead_id)


def owner_of(core, lead_id: int) -> str | None:
    with transaction(core.engine) as session:
        row = session.get(Lead, lead_id)
        return session.get(Member, row.owner_id).chat_user_id if row.owner_id else None


def updates(fake) -> int:
    return len(fake.calls_to("chat.update"))


# --- a lead arrives ----------------------------------------------------------------------------


def test_a_new_lead_is_posted_as_a_card_with_buttons_and_a_tap_to_call_link(slack):
    lead_id, ts = posted_lead(slack)

    card = slack.card(ts)
    text = slack.card_text(ts)
    assert "Maria Gonzalez" in card["text"]  # the notification text
    assert "<tel:+13125550147|(312) 555-0147>" in text
    assert "<mailto:maria@example.com|maria@example.com>" in text
    assert "2022 Toyota RAV4" in text and "Cars.com" in text and "Unclaimed" in text
    assert "Claim it by 10:05, in 5 min; the channel hears at 10:05" in text
    actions = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [a["action_id"] for a in actions] == ["lead:claim", "lead:call", "lead:text", "lead:email",
                                                 "lead:appointment", "lead:note", "lead:won",
                                                 "lead:lost"]  # unclaimed: Claim, and no release
    assert actions[0]["style"] == "primary"
    assert {a["value"] for a in actions if a["type"] == "button"} == {str(lead_id)}
    assert lead(slack.core, lead_id).chat_message_id == ts


# --- claiming by reaction ----------------------------------------------------------------------


def test_the_first_reaction_claims_the_lead_and_the_card_shows_the_owner(slack):
    lead_id, ts = posted_lead(slack)

    response = slack.post(slack.reaction(SAM, ts))

    assert response.status_code == 200
    wait_for(lambda: updates(slack.fake) == 1)
    assert owner_of(slack.core, lead_id) == SAM
    assert f"*Owner:* <@{SAM}>" in slack.card_text(ts)
    assert "is yours" in slack.ephemeral_to(SAM)[0]
    with transaction(slack.core.engine) as session:  # an unknown Slack user joined as a rep, by name
        assert session.exec(select(Member.name).where(Member.chat_user_id == SAM)).one() == "Sam"


def test_a_second_reactor_is_told_privately_who_has_it_and_the_owner_stays(slack):
    lead_id, ts = posted_lead(slack)
    slack.post(slack.reaction(SAM, ts))
    wait_for(lambda: updates(slack.fake) == 1)

    slack.post(slack.reaction(ALEX, ts, reaction="raised_hands"))

    (told,) = wait_for(lambda: slack.ephemeral_to(ALEX))
    assert told.startswith("Sam has this lead since")
    assert owner_of(slack.core, lead_id) == SAM
    slack.settle()
    assert updates(slack.fake) == 1  # nothing changed, so the card was not touched


def test_reactions_on_other_messages_by_the_bot_or_elsewhere_do_nothing(slack):
    lead_id, ts = posted_lead(slack)
    other = slack.client.chat_postMessage(channel=LEADS, text="Lunch is here")["ts"]

    for payload in (slack.reaction(SAM, other),  # not a lead card
                    slack.reaction(slack.fake.bot_user_id, ts),  # the bot's own reaction
                    slack.reaction(SAM, ts, channel="C0RANDOM1")):  # same ts, another channel
        assert slack.post(payload).status_code == 200
    removed = slack.reaction(SAM, ts)
    removed["event"]["type"] = "reaction_removed"
    assert slack.post(removed).status_code == 200

    slack.settle()
    assert owner_of(slack.core, lead_id) is None
    assert slack.fake.ephemeral == [] and updates(slack.fake) == 0


def test_a_retried_event_has_one_effect(slack):
    lead_id, ts = posted_lead(slack)
    event = slack.reaction(SAM, ts, event_id="Ev0RETRY01")

    first = slack.post(event)
    wait_for(lambda: updates(slack.fake) == 1)
    retry = slack.post(event, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})

    assert (first.status_code, retry.status_code) == (200, 200)
    slack.settle()
    assert len(slack.ephemeral_to(SAM)) == 1  # not a second "you already own it"
    assert updates(slack.fake) == 1
    with transaction(slack.core.engine) as session:
        assert session.exec(select(ProcessedEvent.event_id)).all() == ["slack:Ev0RETRY01"]


# --- request verification ----------------------------------------------------------------------


def test_a_forged_signature_is_refused_and_changes_nothing(slack):
    lead_id, ts = posted_lead(slack)

    response = slack.post(slack.reaction(SAM, ts), secret="not-the-signing-secret")

    assert response.status_code == 401
    slack.settle()
    assert owner_of(slack.core, lead_id) is None and updates(slack.fake) == 0


def test_a_stale_timestamp_is_refused(slack):
    lead_id, ts = posted_lead(slack)

    response = slack.post(slack.reaction(SAM, ts), timestamp=int(time.time()) - 600)

    assert response.status_code == 401
    slack.settle()
    assert owner_of(slack.core, lead_id) is None


# --- buttons and the Lost modal ------------------------------------------------------------------


def test_the_call_button_logs_a_touch_and_the_card_shows_the_48_hour_deadline(slack):
    lead_id, ts = posted_lead(slack)
    slack.core.clock.advance(timedelta(minutes=4))

    response = slack.post(slack.button(SAM, ts, "lead:call", str(lead_id)))

    assert response.status_code == 200
    wait_for(lambda: updates(slack.fake) == 1)
    text = slack.card_text(ts)
    assert "1 attempt" in text and f"<@{SAM}>" in text  # a first call claims an unclaimed lead
    assert "Call again by Thu 10:04, in 2 d; Sam hears at Thu 10:04" in text
    (said,) = slack.ephemeral_to(SAM)
    assert said.startswith("Call logged for Maria Gonzalez. First contact 4 min after asking.")
    assert lead(slack.core, lead_id).attempts == 1


def test_a_button_refusal_is_answered_privately_with_the_reason(slack):
    lead_id, ts = posted_lead(slack)
    tracker.claim(slack.core, slack.team_id, lead_id, slack.services.ensure_member(slack.team_id, SAM, slack.client)
                  .chat_user_id)

    slack.post(slack.button(ALEX, ts, "lead:won", str(lead_id)))

    (said,) = wait_for(lambda: slack.ephemeral_to(ALEX))
    assert said == "Sam owns Maria Gonzalez; only they or a manager can close it."
    assert lead(slack.core, lead_id).status == LeadStatus.OPEN


def test_lost_opens_a_modal_and_its_reason_closes_the_lead(slack):
    lead_id, ts = posted_lead(slack)
    slack.post(slack.reaction(SAM, ts))
    wait_for(lambda: updates(slack.fake) == 1)

    slack.post(slack.button(SAM, ts, "lead:lost", str(lead_id)))
    (modal,) = wait_for(lambda: slack.fake.opened_views)
    assert modal["callback_id"] == "lead:lost" and modal["private_metadata"] == f"{lead_id}|{LEADS}"

    empty = slack.post(slack.view_submission(SAM, modal, {"detail": {"detail_input": {
        "type": "plain_text_input", "value": "  "}}}))
    assert empty.json() == {"response_action": "errors",
                            "errors": {"detail": "Say why it was lost, e.g. bought elsewhere."}}
    done = slack.post(slack.view_submission(SAM, modal, {"detail": {"detail_input": {
        "type": "plain_text_input", "value": "bought elsewhere"}}}))

    assert done.status_code == 200 and done.text == ""  # the modal closes
    wait_for(lambda: updates(slack.fake) == 2)
    closed = lead(slack.core, lead_id)
    assert (closed.status, closed.close_reason) == (LeadStatus.LOST, "bought elsewhere")
    card = slack.card(ts)
    assert "Closed lost" in slack.card_text(ts) and "bought elsewhere" in slack.card_text(ts)
    assert not [b for b in card["blocks"] if b["type"] == "actions"]  # no buttons on a closed card


# --- slash commands ------------------------------------------------------------------------------


def test_baseline_acks_at_once_and_answers_with_the_real_first_contact_figure(slack):
    yesterday = slack.core.clock.now() - timedelta(days=1)
    lead_id = tracker.ingest(slack.core, slack.team_id, incoming(submitted_at=yesterday)).lead_id
    slack.services.ensure_member(slack.team_id, SAM, slack.client)
    tracker.log_touch(slack.core, slack.team_id, lead_id, SAM, "call", at=yesterday + timedelta(minutes=4, seconds=10))

    response = slack.post(slack.command(PAT, "/baseline", "7d"))

    assert response.status_code == 200 and response.text == ""  # the ack: an empty 200
    (answer,) = wait_for(lambda: slack.fake.responses)
    assert answer["response_type"] == "ephemeral"
    assert "1 lead(s), 1 contacted" in answer["text"]
    assert "First contact: median 4 min 10s" in answer["text"]
    share = answer["blocks"][-1]["elements"][0]
    assert share["action_id"] == "share_report"

    slack.post(slack.button(PAT, "1.1", "share_report", share["value"]) | {"response_url": slack.fake.response_url})
    shared = wait_for(lambda: slack.fake.responses[1:])[0]
    assert shared["response_type"] == "in_channel" and "First contact: median 4 min 10s" in shared["text"]


def test_baseline_with_a_bad_period_says_what_is_wrong(slack):
    slack.post(slack.command(PAT, "/baseline", "2026-11-15..2026-11-01"))

    (answer,) = wait_for(lambda: slack.fake.responses)
    assert answer["text"] == ("'2026-11-15..2026-11-01' ends before it starts: put the earlier day first, "
                              "e.g. 2026-11-09..2026-11-15.")


def test_stalled_lists_quiet_leads_with_owner_and_last_touch(slack):
    lead_id, ts = posted_lead(slack)
    slack.services.ensure_member(slack.team_id, SAM, slack.client)
    tracker.log_touch(slack.core, slack.team_id, lead_id, SAM, "call")
    slack.core.clock.advance(timedelta(days=4))

    slack.post(slack.command(PAT, "/stalled"))

    (answer,) = wait_for(lambda: slack.fake.responses)
    assert "Stalled: 1 open lead(s)" in answer["text"]
    assert f"#{lead_id} Maria Gonzalez (Cars.com) · Sam · last touch call" in answer["text"]


def test_leads_and_oncall_answer_privately(slack):
    posted_lead(slack)

    slack.post(slack.command(SAM, "/leads", "all"))
    slack.post(slack.command(SAM, "/oncall"))

    answers = wait_for(lambda: slack.fake.responses if len(slack.fake.responses) == 2 else None)
    texts = sorted(a["text"] for a in answers)
    assert texts[0].startswith("Nobody is in the on-call rotation")
    assert texts[1].startswith("Open leads: 1") and "Maria Gonzalez · unclaimed" in texts[1]


def test_followup_settings_are_for_managers_only(slack):
    slack.services.ensure_member(slack.team_id, SAM, slack.client)
    slack.services.ensure_member(slack.team_id, PAT, slack.client)  # a workspace admin: a manager

    slack.post(slack.command(SAM, "/followup", "settings"))
    (refused,) = wait_for(lambda: slack.fake.responses)
    slack.post(slack.command(PAT, "/followup", "settings"))
    shown = wait_for(lambda: slack.fake.responses[1:])[0]

    assert refused["text"].startswith("Settings are for managers.")
    assert "first-contact: 15 min" in shown["text"] and f"leads-channel: {LEADS}" in shown["text"]


def test_a_manager_changes_a_window_from_slack_and_a_rep_cannot(slack):
    slack.services.ensure_member(slack.team_id, SAM, slack.client)
    slack.services.ensure_member(slack.team_id, PAT, slack.client)

    slack.post(slack.command(SAM, "/followup", "set first-contact 5m"))
    (refused,) = wait_for(lambda: slack.fake.responses)
    slack.post(slack.command(PAT, "/followup", "set first-contact 5m"))
    changed = wait_for(lambda: slack.fake.responses[1:])[0]

    assert refused["text"].startswith("Settings are for managers.")
    assert changed["text"] == "first-contact is now 5 min. Open leads keep their current ladder; new windows use it."
    assert roster.team(slack.core, slack.team_id).first_contact_window_s == 300


# --- Home tab ------------------------------------------------------------------------------------


def test_the_home_tab_shows_my_open_leads(slack):
    lead_id, ts = posted_lead(slack)
    slack.post(slack.reaction(SAM, ts))
    wait_for(lambda: updates(slack.fake) == 1)
    event = slack.reaction(SAM, ts)
    event["event"] = {"type": "app_home_opened", "user": SAM, "channel": "D0SAM0001", "tab": "home",
                      "event_ts": "1732440000.000900"}

    slack.post(event)

    home = wait_for(lambda: slack.fake.home_views.get(SAM))
    text = str(home["blocks"])
    assert "Open leads for Sam: 1" in text and "Maria Gonzalez" in text


def test_the_home_tabs_away_and_back_buttons_set_me_away_and_back(slack):
    lead_id, ts = posted_lead(slack)
    slack.services.ensure_member(slack.team_id, SAM, slack.client)

    slack.post(slack.button(SAM, ts, "home:away", "away"))
    away = wait_for(lambda: slack.fake.home_views.get(SAM))
    assert "You are away until /followup back." in str(away["blocks"])
    assert roster.member_named(slack.core, slack.team_id, "Sam").away_since is not None

    slack.fake.home_views.clear()
    slack.post(slack.button(SAM, ts, "home:back", "back"))
    back = wait_for(lambda: slack.fake.home_views.get(SAM))
    assert "Welcome back, Sam" in str(back["blocks"])
    assert roster.member_named(slack.core, slack.team_id, "Sam").away_since is None


# --- Slack down ------------------------------------------------------------------------------------


def test_a_slack_500_keeps_the_lead_in_the_outbox_until_the_next_delivery(slack):
    tracker.ingest(slack.core, slack.team_id, incoming())
    slack.fake.fail_next("chat.postMessage", status=500, times=3)  # the first try and both retries

    first = slack.deliver()

    assert (first.sent, first.failed) == (0, 1)
    assert outbox.pending_count(slack.core) == 1 and slack.fake.messages.get(LEADS) in (None, [])
    slack.core.clock.advance(timedelta(minutes=1))
    assert slack.deliver().sent == 1
    assert outbox.pending_count(slack.core) == 0
    assert len(slack.fake.messages[LEADS]) == 1


def test_a_429_is_retried_after_the_retry_after_it_names(slack):
    tracker.ingest(slack.core, slack.team_id, incoming())
    slack.fake.fail_next("chat.postMessage", status=429, retry_after=1)

    started = time.monotonic()
    delivered = slack.deliver()

    assert delivered.sent == 1
    assert time.monotonic() - started >= 1.0  # it waited as told, then succeeded
    assert [c.status for c in slack.fake.calls_to("chat.postMessage")] == [429, 200]


def test_slacks_url_verification_challenge_is_answered(slack):
    response = slack.post(load_fixture("bolt_url_verification.json"))
    assert response.status_code == 200
    assert response.json()["challenge"] == load_fixture("bolt_url_verification.json")["challenge"]


def test_baseline_with_a_word_it_cannot_read_says_which_forms_work(slack):
    slack.post(slack.command(SAM, "/baseline", "yesterday"))
    (answer,) = wait_for(lambda: slack.fake.responses)
    assert answer["text"].startswith("/baseline: 'yesterday' is not a period (7d, 30d, this-week, last-week")
