"""Events API: a reaction on a lead card claims it; the Home tab shows my leads."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from adapters.slack.blocks import home_view
from adapters.slack.reports import my_leads_text
from chatbot import tracker
from chatbot.errors import FollowUpError

log = logging.getLogger(__name__)


def register(app: App, services) -> None:
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
            client.chat_postEphemeral(channel=item["channel"], user=user, text=error.message)
            return
        if result is not None:
            client.chat_postEphemeral(channel=item["channel"], user=user, text=result.message)
        services.deliver(client, team_id)

    def reaction_removed() -> None:
        """Taking a reaction back does not release the lead (use a manager's reassign); acked only."""

    def app_home_opened(event: dict, context: BoltContext, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        team_id = services.team_id(context.team_id)
        title, text = my_leads_text(services, team_id, event["user"])
        client.views_publish(user_id=event["user"], view=home_view(title, text))

    def uninstalled(event: dict, context: BoltContext) -> None:
        """Single-workspace install: nothing to delete; leads stay queued until a token works again."""
        log.warning("Slack workspace %s: %s", context.team_id, event.get("type"))

    app.event("reaction_added")(reaction_added)
    app.event("reaction_removed")(reaction_removed)
    app.event("app_home_opened")(app_home_opened)
    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(uninstalled)
