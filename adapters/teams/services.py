"""What the Teams handlers share: the core, the settings, and the steps every handler takes
(which core team this tenant is, who this Teams user is, remember where to post, deliver what
the core queued), and `register_teams`: how the platform registry reaches a Teams team."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.teams.chat import TeamsChat, base_conversation
from adapters.teams.settings import TeamsSettings
from chatbot.core import Core
from chatbot.domain.vocabulary import Role
from chatbot.messaging import conversations, outbox
from chatbot.messaging.platforms import ChatFor, Platforms
from chatbot.team import roster

log = logging.getLogger(__name__)
PLATFORM = "teams"


@dataclass
class TeamsServices:
    core: Core
    settings: TeamsSettings
    token: Callable[[], object]
    sleep: Callable[[float], None] | None = None
    chats: dict[int, TeamsChat] = field(default_factory=dict)

    def team_id(self, tenant_id: str | None) -> int:
        """The core team for this tenant, created with the settings the first time."""
        s = self.settings
        team = roster.ensure_team(self.core, name=s.teams_team_name, platform=PLATFORM,
                                  platform_team_id=tenant_id or "unknown", timezone=s.teams_timezone,
                                  leads_channel=s.teams_leads_channel, managers_channel=s.teams_managers_channel)
        return team.id

    def ensure_member(self, team_id: int, user_id: str, name: str | None, *, installer: bool = False):
        """Who this Teams user is on the team, added (as a rep) the first time they act. The person
        who installs the app in a team with no manager yet becomes its first manager."""
        known = roster.member_with_chat_id(self.core, team_id, user_id)
        if known is not None:
            return known
        role = Role.REP
        if installer and not any(m.role in (Role.MANAGER, Role.ADMIN) for m in roster.members(self.core, team_id)):
            role = Role.MANAGER
        return roster.member_from_chat(self.core, team_id, chat_user_id=user_id, name=name or user_id, role=role)

    def remember(self, team_id: int, activity) -> None:
        """Keep where this activity came from, so the bot can post there later (survives restarts)."""
        if not activity.service_url:
            return
        bot = activity.recipient
        tenant = tenant_of(activity)
        conversations.remember(self.core, team_id, conversations.SERVICE, {
            "service_url": activity.service_url, "tenant_id": tenant,
            "bot_id": bot.id if bot else None, "bot_name": bot.name if bot else None})
        conversation = activity.conversation
        if conversation is None or not conversation.id:
            return
        kind = conversation.conversation_type
        if kind == "personal" and activity.from_property is not None:
            conversations.remember(self.core, team_id, conversations.user_address(activity.from_property.id),
                                   {"conversation_id": conversation.id, "service_url": activity.service_url})
        elif kind == "channel":
            channel = base_conversation(conversation.id)
            conversations.remember(self.core, team_id, conversations.channel_address(channel),
                                   {"conversation_id": channel, "service_url": activity.service_url})

    def chat(self, team_id: int) -> TeamsChat:
        if team_id not in self.chats:
            def name_of(user_id: str, team_id=team_id) -> str | None:
                member = roster.member_with_chat_id(self.core, team_id, user_id)
                return member.name if member else None

            extra = {"sleep": self.sleep} if self.sleep else {}
            self.chats[team_id] = TeamsChat(self.core, team_id, self.token, name_of=name_of,
                                            hosts=self.settings.service_url_hosts, **extra)
        return self.chats[team_id]

    def installed(self, team_id: int) -> bool:
        """Has the app been installed for this team (is a service URL known to post through)?"""
        return conversations.recall(self.core, team_id, conversations.SERVICE) is not None

    def deliver(self, team_id: int) -> outbox.Delivery:
        """Send what the use case queued (card updates, notices) for this team; failures stay queued.
        Before the app is installed nothing can be sent: the messages wait, untried."""
        if not self.installed(team_id):
            return outbox.Delivery(0, 0, 0)
        return outbox.deliver_pending(self.core, self.chat(team_id), team_id=team_id, platform=PLATFORM)


def tenant_of(activity) -> str | None:
    conversation = activity.conversation
    if conversation is not None and conversation.tenant_id:
        return conversation.tenant_id
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    return (data.get("tenant") or {}).get("id")


def teams_chat_for(services: TeamsServices) -> ChatFor:
    """How the platform registry reaches a Teams team: its TeamsChat (None for another platform's)."""
    def chat_for(team) -> TeamsChat | None:
        if team.platform != PLATFORM or not services.installed(team.id):
            return None  # another platform's team, or not installed yet: its messages wait
        return services.chat(team.id)

    return chat_for


def register_teams(platforms: Platforms, services: TeamsServices | None) -> Platforms:
    """Add Teams to the registry when it is configured."""
    if services is not None and services.settings.enabled:
        how = "anonymous development mode" if services.settings.anonymous else "app " + _short(
            services.settings.teams_app_id)
        platforms.register(PLATFORM, teams_chat_for(services), f"Microsoft Teams ({how})")
    return platforms


def _short(app_id: str | None) -> str:
    return f"{app_id[:8]}…" if app_id else "?"
