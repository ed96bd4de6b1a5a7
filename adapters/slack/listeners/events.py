"""Events API: a reaction on a lead card claims it; the Home tab shows my leads."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_bolt.listener.builtins import TokenRevocationListeners
from slack_sdk import WebClient

from adapters.slack.blocks import home_view
from adapters.slack.words import PHRASES, literal
from chatbot.inbound import Caller, Person, first_delivery, reaction_on_message, run_command

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
        """A reaction on a message: the core decides (a lead card's first claims it; later reactors
        hear who has it); what it says goes to the reactor alone."""
        item, user = event.get("item") or {}, event.get("user")
        if item.get("type") != "message" or not user or user == context.bot_user_id:
            return
        team_id = services.team_id(context.team_id)
        told = reaction_on_message(services.core, team_id, item.get("channel"), item.get("ts"),
                                   event.get("reaction") or "", Person(user), services.describer(user, client))
        if told is not None:
            client.chat_postEphemeral(channel=item["channel"], user=user, text=literal(told.text))
        if told is not None and not told.refused:
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
