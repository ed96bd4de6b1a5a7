"""The lead card's actions in Slack, as specifications: every action of the core's one list
(chatbot.leads.actions.CARD_ACTIONS) is on an open card and runs through one listener path, and
whatever Slack sends that cannot be read is answered with one private line.

Through the real web app and Bolt app with signed requests built from the recorded
block_actions / view_submission payloads, on SQLite and PostgreSQL (the `core` fixture).

The scheme another test can drive: action_id ``lead:<act>``; a button's value ``"<lead id>"``;
a select option's value ``"<lead id>|<detail>"`` (a call outcome, a Slack user id); a modal's
callback_id ``lead:<act>``, private_metadata ``"<lead id>|<channel id>"``, its input block
``detail`` / action ``detail_input``.
"""

from __future__ import annotations

from sqlmodel import select

from adapters.slack.listeners import registered
from chatbot.leads import tracker
from chatbot.leads.actions import CALL_OUTCOMES, CARD_ACTIONS
from chatbot.store.db import transaction
from chatbot.store.models import Lead, LeadStatus, Member, Touch
from chatbot.team import roster
from tests.helpers import incoming
from tests.slack.harness import ALEX, LEADS, PAT, SAM, SlackHarness, wait_for

ALL_ACTION_IDS = [f"lead:{action.act}" for action in CARD_ACTIONS]


# --- helpers: what Slack sends when a person uses the card ------------------------------------


def posted_lead(slack: SlackHarness, **kwargs) -> tuple[int, str]:
    lead_id = tracker.ingest(slack.core, slack.team_id, incoming(**kwargs)).lead_id
    assert slack.deliver().sent == 1
    return lead_id, slack.fake.calls_to("chat.postMessage")[-1].response["ts"]


def join(slack: SlackHarness, *users: str) -> None:
    for user in users:
        slack.services.ensure_member(slack.team_id, user, slack.client)


def claimed_by_sam(slack: SlackHarness) -> tuple[int, str]:
    """A lead Sam claimed by reaction, with Alex and Pat (a manager) on the team."""
    join(slack, SAM, ALEX, PAT)
    lead_id, ts = posted_lead(slack)
    slack.post(slack.reaction(SAM, ts))
    wait_for(lambda: updates(slack) == 1)
    return lead_id, ts


def elements(slack: SlackHarness, ts: str) -> list[dict]:
    return [e for b in slack.card(ts)["blocks"] if b["type"] == "actions" for e in b["elements"]]


def control(slack: SlackHarness, ts: str, action_id: str) -> dict:
    (found,) = [e for e in elements(slack, ts) if e["action_id"] == action_id]
    return found


def press(slack: SlackHarness, user: str, ts: str, action_id: str, value: str | None = None):
    """A button on the card, with the value the card gave it unless `value` forges one."""
    payload = slack.button(user, ts, action_id, value if value is not None else control(slack, ts, action_id)["value"])
    payload["message"] = slack.card(ts)  # Slack sends the message the button is on
    return slack.post(payload)


def pick(slack: SlackHarness, user: str, ts: str, action_id: str, label: str):
    """An option of a select on the card, chosen by its text, as Slack sends a static_select."""
    select_ = control(slack, ts, action_id)
    (option,) = [o for o in select_["options"] if o["text"]["text"] == label]
    return choose(slack, user, ts, action_id, option)


def choose(slack: SlackHarness, user: str, ts: str, action_id: str, option: dict):
    payload = slack.button(user, ts, action_id, "")
    payload["actions"] = [{"type": "static_select", "action_id": action_id, "block_id": "lead_actions",
                           "selected_option": option, "placeholder": {"type": "plain_text", "text": "…"},
                           "action_ts": "1732440000.000100"}]
    payload["message"] = slack.card(ts)
    return slack.post(payload)


def submit(slack: SlackHarness, user: str, modal: dict, text: str):
    values = {"detail": {"detail_input": {"type": "plain_text_input", "value": text}}}
    return slack.post(slack.view_submission(user, modal, values))


def updates(slack: SlackHarness) -> int:
    return len(slack.fake.calls_to("chat.update"))


def lead(slack: SlackHarness, lead_id: int) -> Lead:
    with transaction(slack.core.engine) as session:
        return session.get(Lead, lead_id)


def owner_of(slack: SlackHarness, lead_id: int) -> str | None:
    with transaction(slack.core.engine) as session:
        row = session.get(Lead, lead_id)
        return session.get(Member, row.owner_id).chat_user_id if row.owner_id else None


def touches(slack: SlackHarness, lead_id: int) -> list[tuple[str, str | None, str]]:
    with transaction(slack.core.engine) as session:
        rows = session.exec(select(Touch).where(Touch.lead_id == lead_id).order_by(Touch.id)).all()
        return [(t.kind, t.outcome, t.logged_via) for t in rows]


def direct_messages_to(slack: SlackHarness, user: str) -> list[str]:
    return [m["text"] for m in slack.fake.messages.get("D" + user[1:], [])]


# --- what the card offers ------------------------------------------------------------------------


def test_the_card_offers_every_core_action_and_none_once_closed(slack):
    lead_id, ts = claimed_by_sam(slack)

    offered = elements(slack, ts)
    # the core's list, in its order; claimed, so no Claim
    assert [e["action_id"] for e in offered] == [a for a in ALL_ACTION_IDS if a != "lead:claim"]
    call = control(slack, ts, "lead:call")
    assert call["type"] == "static_select"
    assert [(o["text"]["text"], o["value"]) for o in call["options"]] == [
        (outcome, f"{lead_id}|{outcome}") for outcome in CALL_OUTCOMES]
    reassign = control(slack, ts, "lead:reassign")
    assert reassign["type"] == "static_select"
    assert sorted(o["value"] for o in reassign["options"]) == sorted([f"{lead_id}|{ALEX}", f"{lead_id}|{PAT}"])
    buttons = [e for e in offered if e["type"] == "button"]
    assert {b["value"] for b in buttons} == {str(lead_id)}
    assert control(slack, ts, "lead:release")["confirm"]["confirm"]["text"] == "Release"

    press(slack, SAM, ts, "lead:won")

    wait_for(lambda: updates(slack) == 2)
    assert elements(slack, ts) == []
    assert "Closed won" in slack.card_text(ts)


def test_what_the_app_listens_for_covers_every_card_action():
    (pattern,) = [name for name in registered()["action"] if hasattr(name, "match")]
    assert all(pattern.match(action_id) for action_id in ALL_ACTION_IDS)
    assert not pattern.match("share_report")
    (view_pattern,) = registered()["view"]
    assert view_pattern.match("lead:note") and view_pattern.match("lead:lost")


# --- the actions -----------------------------------------------------------------------------------


def test_a_rep_hands_a_lead_on_from_the_card_and_the_new_owner_is_told(slack):
    lead_id, ts = claimed_by_sam(slack)

    pick(slack, SAM, ts, "lead:reassign", "Alex")

    wait_for(lambda: direct_messages_to(slack, ALEX))
    assert owner_of(slack, lead_id) == ALEX
    (told,) = direct_messages_to(slack, ALEX)
    assert told.startswith(f"Sam handed you Maria Gonzalez (lead #{lead_id}).")
    assert slack.ephemeral_to(SAM)[-1] == "Maria Gonzalez is now Alex's."
    assert f"*Owner:* <@{ALEX}>" in slack.card_text(ts)
    reassign = control(slack, ts, "lead:reassign")  # the new card offers it on to the others
    assert sorted(o["value"] for o in reassign["options"]) == sorted([f"{lead_id}|{SAM}", f"{lead_id}|{PAT}"])


def test_a_manager_moves_a_reps_lead_to_another_rep(slack):
    lead_id, ts = claimed_by_sam(slack)

    pick(slack, PAT, ts, "lead:reassign", "Alex")

    wait_for(lambda: direct_messages_to(slack, ALEX))
    assert owner_of(slack, lead_id) == ALEX
    assert direct_messages_to(slack, ALEX)[0].startswith("Pat handed you Maria Gonzalez")


def test_a_rep_logs_a_call_with_the_outcome_voicemail(slack):
    lead_id, ts = claimed_by_sam(slack)

    pick(slack, SAM, ts, "lead:call", "voicemail")

    wait_for(lambda: updates(slack) == 2)
    assert touches(slack, lead_id) == [("call", "voicemail", "button")]
    assert lead(slack, lead_id).attempts == 1
    assert slack.ephemeral_to(SAM)[-1].startswith("Call (voicemail) logged for Maria Gonzalez.")
    assert "1 attempt" in slack.card_text(ts)


def test_text_email_and_appointment_buttons_log_their_touch(slack):
    lead_id, ts = claimed_by_sam(slack)

    for n, action_id in enumerate(("lead:text", "lead:email", "lead:appointment"), start=2):
        press(slack, SAM, ts, action_id)
        wait_for(lambda n=n: updates(slack) == n)

    assert [kind for kind, _, _ in touches(slack, lead_id)] == ["text", "email", "appointment"]
    assert lead(slack, lead_id).attempts == 3


def test_a_note_from_the_modal_is_logged_and_is_not_an_attempt(slack):
    lead_id, ts = claimed_by_sam(slack)

    press(slack, ALEX, ts, "lead:note")  # anyone on the team may add a note to any open lead
    (modal,) = wait_for(lambda: slack.fake.opened_views)
    assert (modal["callback_id"], modal["private_metadata"]) == ("lead:note", f"{lead_id}|{LEADS}")
    assert "Maria Gonzalez" in str(modal["blocks"])

    empty = submit(slack, ALEX, modal, "   ")
    too_long = submit(slack, ALEX, modal, "x" * 600)
    assert empty.json() == {"response_action": "errors",
                            "errors": {"detail": "A note needs text, e.g. customer's wife called back."}}
    assert too_long.json() == {"response_action": "errors",
                               "errors": {"detail": "Keep it under 500 characters (that was 600)."}}
    assert touches(slack, lead_id) == []

    done = submit(slack, ALEX, modal, "Wife called back,\nwants a trade-in quote")

    assert done.status_code == 200 and done.text == ""  # the modal closes
    wait_for(lambda: updates(slack) == 2)
    assert touches(slack, lead_id) == [("note", "Wife called back, wants a trade-in quote", "button")]
    noted = lead(slack, lead_id)
    assert noted.attempts == 0 and noted.first_contact_at is None  # a note is not a contact attempt
    assert owner_of(slack, lead_id) == SAM  # and does not take the lead
    assert slack.ephemeral_to(ALEX)[-1].startswith("Note logged for Maria Gonzalez.")


def test_release_puts_the_lead_back_unclaimed(slack):
    lead_id, ts = claimed_by_sam(slack)

    press(slack, SAM, ts, "lead:release")

    wait_for(lambda: updates(slack) == 2)
    assert owner_of(slack, lead_id) is None and lead(slack, lead_id).claimed_at is None
    assert slack.ephemeral_to(SAM)[-1] == "Maria Gonzalez is back in the channel for anyone to claim."
    assert "*Unclaimed.*" in slack.card_text(ts)
    offered = [e["action_id"] for e in elements(slack, ts)]
    assert offered[0] == "lead:claim" and "lead:release" not in offered  # Claim again; nothing left to release
    press(slack, ALEX, ts, "lead:claim")  # and the next press claims it
    (said,) = wait_for(lambda: slack.ephemeral_to(ALEX))
    assert said.startswith("Maria Gonzalez is yours (claimed ") and owner_of(slack, lead_id) == ALEX


def test_lost_from_the_modal_closes_the_lead_with_its_reason(slack):
    lead_id, ts = claimed_by_sam(slack)

    press(slack, SAM, ts, "lead:lost")
    (modal,) = wait_for(lambda: slack.fake.opened_views)
    done = submit(slack, SAM, modal, "bought elsewhere")

    assert done.text == ""
    wait_for(lambda: updates(slack) == 2)
    closed = lead(slack, lead_id)
    assert (closed.status, closed.close_reason) == (LeadStatus.LOST, "bought elsewhere")
    assert slack.ephemeral_to(SAM)[-1].startswith("Maria Gonzalez closed lost after only 0 attempt(s)")
    assert elements(slack, ts) == []


# --- refusals: said privately, nothing changes ------------------------------------------------------


def test_another_reps_won_is_refused_privately_and_changes_nothing(slack):
    lead_id, ts = claimed_by_sam(slack)

    press(slack, ALEX, ts, "lead:won")
    press(slack, ALEX, ts, "lead:release")
    pick(slack, ALEX, ts, "lead:reassign", "Alex")

    said = wait_for(lambda: slack.ephemeral_to(ALEX) if len(slack.ephemeral_to(ALEX)) == 3 else None)
    assert sorted(said) == sorted([
        "Sam owns Maria Gonzalez; only they or a manager can close it.",
        "Sam owns Maria Gonzalez; only they or a manager can release it.",
        "Sam owns Maria Gonzalez; only they or a manager can hand it on.",
    ])
    slack.settle()
    assert (lead(slack, lead_id).status, owner_of(slack, lead_id)) == (LeadStatus.OPEN, SAM)
    assert updates(slack) == 1  # only the claim touched the card
    assert slack.fake.ephemeral[-1]["channel"] == LEADS


def test_lost_on_another_reps_lead_is_refused_before_the_form_opens(slack):
    lead_id, ts = claimed_by_sam(slack)

    press(slack, ALEX, ts, "lead:lost")

    (said,) = wait_for(lambda: slack.ephemeral_to(ALEX))
    assert said == "Sam owns Maria Gonzalez; only they or a manager can close it."
    slack.settle()
    assert slack.fake.opened_views == []
    assert lead(slack, lead_id).status == LeadStatus.OPEN


def test_an_action_on_a_closed_lead_is_refused_privately(slack):
    lead_id, ts = claimed_by_sam(slack)
    old_card = slack.card(ts)  # a client still showing the open card
    tracker.close(slack.core, slack.team_id, lead_id, SAM, won=True)

    payload = slack.button(SAM, ts, "lead:text", str(lead_id)) | {"message": old_card}
    slack.post(payload)

    (said,) = wait_for(lambda: slack.ephemeral_to(SAM)[1:])
    assert said == f"Lead #{lead_id} (Maria Gonzalez) is closed won; nothing to do."
    assert touches(slack, lead_id) == []


def test_a_forged_button_value_is_answered_with_one_line(slack):
    lead_id, ts = claimed_by_sam(slack)
    other_team = roster.ensure_team(slack.core, name="Other Motors", platform="slack", platform_team_id="T0OTHER01",
                                    timezone="America/Chicago", leads_channel="C0OTHER01")
    theirs = tracker.ingest(slack.core, other_team.id, incoming(name="Not Yours")).lead_id
    unreadable = "That button's lead could not be read, so nothing was done. Use the buttons on the lead's card."
    forged = [
        (lambda: press(slack, SAM, ts, "lead:text", "abc"), unreadable),
        (lambda: press(slack, SAM, ts, "lead:text", ""), unreadable),
        (lambda: press(slack, SAM, ts, "lead:won", "99999999999999999999"), unreadable),  # no database id
        (lambda: press(slack, SAM, ts, "lead:won", "-3"), unreadable),
        (lambda: press(slack, SAM, ts, "lead:text", f"{lead_id}|voicemail"), unreadable),  # a button has no detail
        (lambda: press(slack, SAM, ts, "lead:frobnicate", str(lead_id)), unreadable),  # not a card action
        (lambda: choose(slack, SAM, ts, "lead:call", {"text": {"type": "plain_text", "text": "x"},
                                                      "value": f"{lead_id}|exploded"}), unreadable),
        (lambda: choose(slack, SAM, ts, "lead:reassign", {"text": {"type": "plain_text", "text": "x"},
                                                          "value": f"{lead_id}|"}), unreadable),
        (lambda: press(slack, SAM, ts, "lead:won", str(theirs)), f"There is no lead #{theirs} on this team."),
        (lambda: choose(slack, SAM, ts, "lead:reassign", {"text": {"type": "plain_text", "text": "x"},
                                                          "value": f"{lead_id}|U0NOBODY1"}),
         "U0NOBODY1 is not a rep on this team yet. A manager can add them with chatbot member add."),
    ]

    for n, (send, expected) in enumerate(forged, start=2):  # Sam was told once, when he claimed
        assert send().status_code == 200
        said = wait_for(lambda n=n: slack.ephemeral_to(SAM) if len(slack.ephemeral_to(SAM)) == n else None)
        assert said[-1] == expected

    slack.settle()
    assert len(slack.ephemeral_to(SAM)) == len(forged) + 1  # exactly one line each
    assert updates(slack) == 1 and touches(slack, lead_id) == []
    assert (lead(slack, lead_id).status, owner_of(slack, lead_id)) == (LeadStatus.OPEN, SAM)
    assert lead(slack, theirs).status == LeadStatus.OPEN


def test_a_forged_modal_is_answered_under_its_field(slack):
    lead_id, ts = claimed_by_sam(slack)
    press(slack, SAM, ts, "lead:note")
    (modal,) = wait_for(lambda: slack.fake.opened_views)

    forged_lead = submit(slack, SAM, modal | {"private_metadata": "lead seven"}, "a note")
    forged_action = submit(slack, SAM, modal | {"callback_id": "lead:claim"}, "a note")

    for response in (forged_lead, forged_action):
        assert response.json() == {"response_action": "errors", "errors": {
            "detail": "This form's lead could not be read. Close it and use the button on the lead's card again."}}
    assert touches(slack, lead_id) == []


# --- cards posted before this version ----------------------------------------------------------------


def test_a_button_on_a_card_posted_before_this_version_still_works(slack):
    lead_id, ts = claimed_by_sam(slack)

    slack.post(slack.button(SAM, ts, "touch_email", str(lead_id)))  # the old E-mail button's action_id

    wait_for(lambda: updates(slack) == 2)
    assert touches(slack, lead_id) == [("email", None, "button")]
    assert "lead:email" in [e["action_id"] for e in elements(slack, ts)]  # the updated card has the new ones
