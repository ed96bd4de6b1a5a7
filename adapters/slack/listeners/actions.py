"""Buttons on the lead card (log a touch, won, lost) and on report answers (share)."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from adapters.slack.blocks import LOST_ACTION, SHARE_ACTION, TOUCH_ACTIONS, WON_ACTION, lost_modal, reply_message
from adapters.slack.words import PHRASES
from chatbot.commands import Caller, run_command
from chatbot.errors import FollowUpError
from chatbot.leads import tracker
from chatbot.store.models import LoggedVia


def register(app: App, services) -> None:
    def tell(client: WebClient, body: dict, user: str, text: str) -> None:
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text)

    def act(body: dict, context: BoltContext, client: WebClient, use_case) -> None:
        """Run a card button's use case as the presser; answer them privately, update the card."""
        team_id = services.team_id(context.team_id)
        user = body["user"]["id"]
        services.ensure_member(team_id, user, client)
        try:
            result = use_case(team_id, user)
        except FollowUpError as error:
            tell(client, body, user, error.message)
            return
        tell(client, body, user, result.message)
        services.deliver(client, team_id)

    def log_touch(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
        ack()
        act(body, context, client, lambda team_id, user: tracker.log_touch(
            services.core, team_id, int(action["value"]), user, TOUCH_ACTIONS[action["action_id"]],
            via=LoggedVia.BUTTON))

    def won(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
        ack()
        act(body, context, client, lambda team_id, user: tracker.close(
            services.core, team_id, int(action["value"]), user, won=True))

    def lost(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        """Lost needs a reason: open a modal; its submission closes the lead (see views.py)."""
        ack()
        card = ((body.get("message") or {}).get("blocks") or [{}])[0]
        name = ((card.get("text") or {}).get("text") or "").split(": ", 1)[-1] or f"lead #{action['value']}"
        client.views_open(trigger_id=body["trigger_id"], view=lost_modal(int(action["value"]), name))

    def share(ack: Ack, body: dict, action: dict, context: BoltContext, respond: Respond) -> None:
        """Post a report someone ran privately to the channel, recomputed now."""
        ack()
        team_id = services.team_id(context.team_id)
        user = body["user"]["id"]
        reply = run_command(services.core, Caller(team_id, user), action.get("value") or "", PHRASES)
        if reply.refused:
            respond(text=reply.text, response_type="ephemeral", replace_original=False)
            return
        shared = reply_message(reply)["text"]
        respond(text=f"<@{user}> shared {PHRASES.command(action['value'])}:\n{shared}",
                response_type="in_channel", replace_original=False)

    for action_id in TOUCH_ACTIONS:
        app.action(action_id)(log_touch)
    app.action(WON_ACTION)(won)
    app.action(LOST_ACTION)(lost)
    app.action(SHARE_ACTION)(share)
