"""What the listeners share: the core, the settings, and the few steps every listener takes
(which core team this workspace is, who this Slack user is, deliver what the core queued)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from adapters.slack.chat import SlackChat
from adapters.slack.settings import SlackSettings
from chatbot.core import Core
from chatbot.messaging import outbox
from chatbot.messaging.outbox import Delivery
from chatbot.store.db import transaction
from chatbot.store.models import Member, Role, Team
from chatbot.team import roster

log = logging.getLogger(__name__)


@dataclass
class SlackServices:
    core: Core
    settings: SlackSettings

    def team_id(self, slack_team_id: str | None) -> int:
        """The core team for this Slack workspace, created with the settings the first time."""
        s = self.settings
        team = roster.ensure_team(self.core, name=s.team_name, platform="slack",
                                  platform_team_id=slack_team_id or "unknown", timezone=s.timezone,
                                  leads_channel=s.leads_channel, managers_channel=s.managers_channel)
        return team.id

    def member(self, team_id: int, user_id: str) -> Member | None:
        with transaction(self.core.engine) as session:
            return session.exec(
                select(Member).where(Member.team_id == team_id, Member.chat_user_id == user_id, Member.active)
            ).first()

    def ensure_member(self, team_id: int, user_id: str, client: WebClient) -> Member:
        """A Slack user who works a lead becomes a rep (workspace admins and owners: managers)."""
        known = self.member(team_id, user_id)
        if known is not None:
            return known
        name, role = user_id, Role.REP
        try:
            user = client.users_info(user=user_id)["user"]
            profile = user.get("profile") or {}
            name = profile.get("display_name") or user.get("real_name") or user.get("name") or user_id
            if user.get("is_admin") or user.get("is_owner"):
                role = Role.MANAGER
        except SlackApiError as exc:
            log.warning("users.info for %s failed (%s); adding them by id", user_id, exc.response.get("error"))
        return roster.add_member(self.core, team_id, name=name, chat_user_id=user_id, role=role)

    def deliver(self, client: WebClient, team_id: int | None = None) -> outbox.Delivery:
        """Send what the use case queued (card updates, notices) for this workspace; failures stay queued."""
        return outbox.deliver_pending(self.core, SlackChat(client), team_id=team_id)


def workspace_delivery(core: Core, settings: SlackSettings):
    """What the worker calls each tick to deliver the outbox: `core -> Delivery`.

    Single workspace: everything through the bot token. Multi-workspace: each Slack team's
    messages with the token its installation stored; a team without one waits.
    """
    from adapters.slack.chat import make_client

    if not settings.oauth:
        chat = SlackChat(make_client(settings.slack_bot_token, settings.api_url))
        return lambda core_: outbox.deliver_pending(core_, chat)
    from adapters.slack.oauth import installation_store

    store = installation_store(core.engine, settings.slack_client_id)

    def deliver(core_: Core) -> Delivery:
        with transaction(core_.engine) as session:
            teams = session.exec(select(Team.id, Team.platform_team_id).where(Team.platform == "slack")).all()
        sent = failed = waiting = 0
        for team_id, slack_team_id in teams:
            bot = store.find_bot(enterprise_id=None, team_id=slack_team_id)
            if bot is None:
                continue
            result = outbox.deliver_pending(core_, SlackChat(make_client(bot.bot_token, settings.api_url)),
                                            team_id=team_id)
            sent, failed, waiting = sent + result.sent, failed + result.failed, waiting + result.waiting
        return Delivery(sent, failed, waiting)

    return deliver
