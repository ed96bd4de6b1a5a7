"""Issue 10's "Take it" in Slack: an escalation notice a colleague or manager sees carries a
button (action_id ``lead:take``, value the lead id) that hands the lead to whoever tapped it,
through the card actions' one listener path; the owner's own reminder has none."""

from __future__ import annotations

from datetime import timedelta

from chatbot.escalation.sweeper import sweep
from chatbot.leads import tracker
from chatbot.store.models import LeadStatus
from tests.slack.harness import ALEX, LEADS, SAM, SlackHarness, wait_for
from tests.slack.test_card_actions import claimed_by_sam, direct_messages_to, lead, owner_of


def take_buttons(message: dict) -> list[dict]:
    return [e for b in message.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]
            if e["action_id"] == "lead:take"]


def escalated(slack: SlackHarness) -> tuple[int, str, list[dict]]:
    """Sam's lead, never called: the ladder tells Sam, then on-call or the managers. Returns the
    lead, its card's ts and every notice posted (thread, direct and channel)."""
    lead_id, ts = claimed_by_sam(slack)
    for _ in range(4):
        slack.core.clock.advance(timedelta(minutes=10))
        sweep(slack.core)
    slack.deliver()
    notices = [m for channel, messages in slack.fake.messages.items() for m in messages
               if m.get("thread_ts") == ts or (channel != LEADS and m["ts"] != ts)]
    return lead_id, ts, notices


def press_on(slack: SlackHarness, user: str, message: dict, ts: str, value: str | None = None):
    (button,) = take_buttons(message)
    payload = slack.button(user, ts, "lead:take", value if value is not None else button["value"])
    payload["message"] = message
    return slack.post(payload)


def test_only_notices_for_colleagues_and_managers_carry_take_it(slack):
    lead_id, _, notices = escalated(slack)

    offered = [m for m in notices if take_buttons(m)]
    assert offered, "no escalation notice offered Take it"
    assert all(take_buttons(m)[0]["value"] == str(lead_id) for m in offered)
    assert all(not m["text"].startswith("Managers") or take_buttons(m) for m in notices)
    owners_own = [m for m in notices if m["text"].startswith((f"<@{SAM}> Heads-up", f"<@{SAM}> Maria", "Heads-up"))]
    assert owners_own and not any(take_buttons(m) for m in owners_own)


def test_a_colleague_takes_an_escalated_lead_from_the_notice_and_sam_is_told(slack):
    lead_id, ts, notices = escalated(slack)
    notice = next(m for m in notices if take_buttons(m))
    submitted = lead(slack, lead_id).submitted_at

    press_on(slack, ALEX, notice, ts)

    wait_for(lambda: owner_of(slack, lead_id) == ALEX)
    said = wait_for(lambda: slack.ephemeral_to(ALEX))
    assert said[-1] == "Maria Gonzalez is yours now; Sam was told."
    told = wait_for(lambda: [t for t in direct_messages_to(slack, SAM) if "took over" in t])
    assert told == [f"Alex took over Maria Gonzalez (lead #{lead_id}) after it was escalated; it is theirs now."]
    assert lead(slack, lead_id).submitted_at == submitted
    wait_for(lambda: f"*Owner:* <@{ALEX}>" in slack.card_text(ts))
    assert not [e for b in slack.card(ts)["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "lead:take"]  # never on the card itself


def test_a_take_on_a_closed_lead_is_refused_privately(slack):
    lead_id, ts, notices = escalated(slack)
    notice = next(m for m in notices if take_buttons(m))
    tracker.close(slack.core, slack.team_id, lead_id, SAM, won=True)

    press_on(slack, ALEX, notice, ts)

    said = wait_for(lambda: slack.ephemeral_to(ALEX))
    assert said[-1] == f"Lead #{lead_id} (Maria Gonzalez) is closed won; nothing to do."
    slack.settle()
    assert (lead(slack, lead_id).status, owner_of(slack, lead_id)) == (LeadStatus.WON, SAM)
