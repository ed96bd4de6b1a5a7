"""Events API: a reaction on a lead card claims it; the Home tab shows my leads."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_bolt.listener.builtins import TokenRevocationListeners
from slack_sdk import WebClient

from adapters.slack.blocks import home_view
from adapters.slack.words import PHRASES, literal
from chatbot.commands import Caller, run_command
from chatbot.errors import FollowUpError
from chatbot.leads import tracker
from chatbot.messaging.deliveries import first_delivery

log = logging.getLogger(__name__)


def register(app: App, services) -> None:
    def once(listener):
        """Run `listener` once per Events API delivery: Slack's retries of it (same event_id) do nothing.

        The check runs inside the listener, after Bolt has acked, so it costs the ack nothing.
        """

        def run(body: dict, event: dict, context: BoltContext, client: WebClient) -> None:
            event_id = body.get("event_id")
            if event_id and not first_delivery(services.core, f"slack:{event_id}"):
                return
            listener(event, context, client)

        return run

    def reaction_added(event: dict, context: BoltContext, client: WebClient) -> None:
        """The first reaction on a lead card claims the lead; later reactors hear who has it."""
        item, user = event.get("item") or {}, event.get("user")
        if item.get("type") != "message" or not user or user == context.bot_user_id:
            return
        found = tracker.lead_for_message(services.core, item.get("channel"), item.get("ts"))
        if found is None:
            return  # not a lead card (another message, or a channel the bot does not post leads in)
        team_id = services.team_id(context.team_id)
        lead_team, lead_id = found
        if lead_team != team_id:
            return
        services.ensure_member(team_id, user, client)
        try:
            result = tracker.claim(services.core, team_id, lead_id, user, emoji=event.get("reaction"))
        except FollowUpError as error:
            client.chat_postEphemeral(channel=item["channel"], user=user, text=literal(error.message))
            return
        if result is not None:
            client.chat_postEphemeral(channel=item["channel"], user=user, text=literal(result.message))
        services.deliver(client, team_id)

    def reaction_removed(event: dict, context: BoltContext, client: WebClient) -> None:
        """Taking a reaction back does not release the lead (use a manager's reassign); acked only."""

    def app_home_opened(event: dict, context: BoltContext, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        team_id = services.team_id(context.team_id)
        services.ensure_member(team_id, event["user"], client)
        reply = run_command(services.core, Caller(team_id, event["user"]), "leads", PHRASES)
        client.views_publish(user_id=event["user"], view=home_view(reply))

    def uninstalled(event: dict, context: BoltContext, client: WebClient) -> None:
        """Forget a workspace's revoked tokens (multi-workspace installs keep them in the database).

        Its leads and their queued messages stay: they go out if the workspace installs again.
        """
        log.warning("Slack workspace %s: %s", context.team_id, event.get("type"))
        store = app.installation_store
        if store is None:
            return  # single workspace: the token lives in the environment, nothing stored to forget
        revocation = TokenRevocationListeners(store)
        if event.get("type") == "app_uninstalled":
            revocation.handle_app_uninstalled_events(context)
        else:
            revocation.handle_tokens_revoked_events(event, context)

    app.event("reaction_added")(once(reaction_added))
    app.event("reaction_removed")(once(reaction_removed))
    app.event("app_home_opened")(once(app_home_opened))
    app.event("app_uninstalled")(once(uninstalled))
    app.event("tokens_revoked")(once(uninstalled))
