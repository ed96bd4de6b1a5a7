"""Modal submissions: the reason a lead was lost."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from adapters.slack.blocks import LOST_BLOCK, LOST_INPUT, LOST_MODAL
from chatbot.errors import FollowUpError
from chatbot.leads import tracker


def register(app: App, services) -> None:
    def lost_reason(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
        """Close the lead lost; a refusal shows under the reason field, the modal stays open."""
        reason = (view["state"]["values"][LOST_BLOCK][LOST_INPUT].get("value") or "").strip()
        team_id = services.team_id(context.team_id)
        user = body["user"]["id"]
        if not reason:
            ack(response_action="errors", errors={LOST_BLOCK: "Say why it was lost."})
            return
        services.ensure_member(team_id, user, client)
        try:
            result = tracker.close(services.core, team_id, int(view["private_metadata"]), user, won=False,
                                   reason=reason)
        except FollowUpError as error:
            ack(response_action="errors", errors={LOST_BLOCK: error.message[:150]})
            return
        ack()
        client.chat_postMessage(channel=user, text=result.message)
        services.deliver(client, team_id)

    app.view(LOST_MODAL)(lost_reason)
