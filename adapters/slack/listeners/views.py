"""Modal submissions: what a card action asked for in words (a note, the reason a lead was lost)."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from adapters.slack.blocks import DETAIL_BLOCK, DETAIL_INPUT, card_action_for, clip, control_of, read_lead_value
from adapters.slack.listeners.actions import CARD_ACTIONS_PATTERN, repeated, run_card_action, tell

MAX_FIELD_ERROR = 150
UNREADABLE = "This form's lead could not be read. Close it and use the button on the lead's card again."


def register(app: App, services) -> None:
    def card_action_form(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
        """Run the card action with the words typed; a refusal shows under the field and the modal
        stays open, nothing changed. Done: the modal closes and the person is told privately.
        A copy of a submission already received only closes the modal (the ack here waits for
        the action anyway, so the check costs it one insert)."""
        if repeated(services, body):
            ack()
            return
        user = body["user"]["id"]
        action = card_action_for(view.get("callback_id"))
        read = read_lead_value(view.get("private_metadata"))
        if action is None or control_of(action) != "modal" or read is None:  # no form of ours asks that
            ack(response_action="errors", errors={DETAIL_BLOCK: UNREADABLE})
            return
        lead_id, channel = read
        field = ((view.get("state") or {}).get("values") or {}).get(DETAIL_BLOCK) or {}
        words = (field.get(DETAIL_INPUT) or {}).get("value")

        def refuse(text: str) -> None:
            ack(response_action="errors", errors={DETAIL_BLOCK: clip(text, MAX_FIELD_ERROR)})

        def answer(text: str) -> None:
            ack()
            tell(client, channel, user, text)

        run_card_action(services, client, context.team_id, user, action, lead_id, words,
                        answer=answer, refuse=refuse)

    app.view(CARD_ACTIONS_PATTERN)(card_action_form)
