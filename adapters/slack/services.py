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
from chatbot import outbox, roster
from chatbot.app import Core
from chatbot.db import transaction
from chatbot.models import Member, Role

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

    def deliver(self, client: WebClient) -> outbox.Delivery:
        """Send what the use case queued (card updates, notices); failures stay queued."""
        return outbox.deliver_pending(self.core, SlackChat(client))
