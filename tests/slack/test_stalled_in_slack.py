"""/stalled in Slack: two sections, one block per lead linked to its card, Nudge and Reassign
under each; Nudge DMs the owner through the outbox, Reassign takes the card actions' path.
Through the real web app and a real WebClient talking HTTP to FakeSlack (every call checked)."""

from __future__ import annotations

from datetime import timedelta

from chatbot.leads import tracker
from chatbot.store.db import transaction
from chatbot.store.models import Lead, Member
from tests.helpers import incoming
from tests.slack.harness import ALEX, LEADS, PAT, SAM, SlackHarness, wait_for


def posted(slack: SlackHarness, **kwargs) -> tuple[int, str]:
    lead_id = tracker.ingest(slack.core, slack.team_id, incoming(**kwargs)).lead_id
    slack.deliver()
    return lead_id, [c for c in slack.fake.calls_to("chat.postMessage") if c.response["ok"]][-1].response["ts"]


def direct_messages_to(slack: SlackHarness, user: str) -> list[str]:
    return [m["text"] for m in slack.fake.messages.get("D" + user[1:], [])]


def quiet_and_untouched(slack: SlackHarness) -> tuple[int, str, int]:
    """Maria: Sam called her 4 days ago (stalled). James: never contacted, unclaimed."""
    for user in (SAM, ALEX, PAT):
        slack.services.ensure_member(slack.team_id, user, slack.client)
    maria, ts = posted(slack)
    tracker.log_touch(slack.core, slack.team_id, maria, SAM, "call")
    james, _ = posted(slack, name="James Carter", external_id="L-2", phone="(312) 555-0199", email=None)
    slack.core.clock.advance(timedelta(days=4))
    return maria, ts, james


def stalled_answer(slack: SlackHarness, user: str) -> dict:
    before = len(slack.fake.responses)
    slack.post(slack.command(user, "/stalled"))
    return wait_for(lambda: slack.fake.responses[before:])[0]


def test_a_manager_sees_two_sections_each_lead_linked_with_nudge_and_reassign(slack):
    maria, ts, james = quiet_and_untouched(slack)

    answer = stalled_answer(slack, PAT)

    assert answer["response_type"] == "ephemeral"
    texts = [b["text"]["text"] for b in answer["blocks"] if b["type"] == "section"]
    assert texts[0] == "*Stalled: 1 open lead(s) with no activity for over 3 days*"
    link = f"<https://slack.com/archives/{LEADS}/p{ts.replace('.', '')}|#{maria} Maria Gonzalez (Cars.com)>"
    assert texts[1] == f"{link} · Sam · last touch call Tue 10:00 (4 d ago) · quiet 4 d · 1 attempt(s)"
    assert texts[2].startswith("*Never contacted: 1 open lead(s) past the 15 min first-contact window")
    assert texts[3].endswith(f"#{james} James Carter (Cars.com)> · unclaimed · no touch yet · asked Tue 10:00 (4 d ago)"
                             " · 0 attempt(s)")
    rows = {b["block_id"]: b["elements"] for b in answer["blocks"] if b["type"] == "actions"}
    nudge, reassign = rows[f"row:{maria}"]
    assert (nudge["action_id"], nudge["value"], nudge["text"]["text"]) == ("report:nudge", str(maria), "Nudge")
    assert reassign["action_id"] == "lead:reassign"
    assert sorted(o["value"] for o in reassign["options"]) == sorted([f"{maria}|{ALEX}", f"{maria}|{PAT}"])
    assert [e["action_id"] for e in rows[f"row:{james}"]] == ["lead:reassign"]  # unclaimed: nobody to nudge
    assert rows["share"][0]["action_id"] == "share_report"
    # the text (notifications, and what Share posts) carries the same facts
    assert "#1 Maria Gonzalez (Cars.com) · Sam · last touch call" in answer["text"]


def test_nudge_sends_the_owner_a_direct_message_and_tells_the_manager(slack):
    maria, ts, _ = quiet_and_untouched(slack)
    nudge = next(e for b in stalled_answer(slack, PAT)["blocks"] if b["type"] == "actions"
                 for e in b["elements"] if e["action_id"] == "report:nudge")

    slack.post(slack.button(PAT, ts, nudge["action_id"], nudge["value"]))

    (dm,) = wait_for(lambda: direct_messages_to(slack, SAM))
    assert dm == ("Pat nudges you about Maria Gonzalez (lead #1): has had no activity for 4 d (last Tue 10:00, "
                  "1 attempt(s)). Move it forward or close it.")
    told = wait_for(lambda: slack.ephemeral_to(PAT))
    assert told[-1] == "Sam is nudged about Maria Gonzalez (lead #1) by direct message."


def test_a_rep_pressing_nudge_is_refused_and_nobody_is_messaged(slack):
    maria, ts, _ = quiet_and_untouched(slack)

    slack.post(slack.button(ALEX, ts, "report:nudge", str(maria)))

    told = wait_for(lambda: slack.ephemeral_to(ALEX))
    assert told[-1] == "Nudges are for managers. Ask your sales manager."
    assert direct_messages_to(slack, SAM) == []


def test_reassign_from_the_list_hands_the_lead_over_like_the_card_does(slack):
    maria, ts, james = quiet_and_untouched(slack)
    blocks = stalled_answer(slack, PAT)["blocks"]
    select_ = next(e for b in blocks if b.get("block_id") == f"row:{james}" for e in b["elements"])
    (to_alex,) = [o for o in select_["options"] if o["value"] == f"{james}|{ALEX}"]

    payload = slack.button(PAT, ts, "lead:reassign", "")
    payload["actions"] = [{"type": "static_select", "action_id": "lead:reassign", "block_id": f"row:{james}",
                           "selected_option": to_alex, "placeholder": {"type": "plain_text", "text": "…"},
                           "action_ts": "1732440000.000100"}]
    slack.post(payload)

    wait_for(lambda: direct_messages_to(slack, ALEX))
    assert direct_messages_to(slack, ALEX)[0].startswith("Pat handed you James Carter")
    with transaction(slack.core.engine) as session:
        row = session.get(Lead, james)
        assert session.get(Member, row.owner_id).chat_user_id == ALEX
