"""What the Teams handlers share: the core, the settings, and the steps every handler takes
(which rooftop an activity speaks for, who this Teams user is, remember where to post, deliver
what the core queued), and `register_teams`: how the platform registry reaches a rooftop.

Each Teams *team* is its own rooftop (core team), with its own roster, settings and channel,
so a dealer group (one Microsoft tenant, one team per rooftop) gets one rooftop per team. Its
platform id is '<tenant id>/<team id>' (`channelData.team.id`, which is also the id of the
team's General channel), so one tenant's team can never speak for another tenant's rooftop.
A personal chat (1:1 with the bot) belongs to no team: it serves the rooftops its person is a
member of, and never makes a rooftop or a manager. A rooftop made before rooftops were per team
(keyed by the tenant alone) is taken over by the team its channel belongs to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.teams.chat import TeamsChat, base_conversation
from adapters.teams.settings import TeamsSettings
from chatbot import inbound
from chatbot.core import Core
from chatbot.inbound import LocalTraffic, Person
from chatbot.messaging.platforms import ChatFor, Platforms
from chatbot.messaging.ports import ChatUnavailable

log = logging.getLogger(__name__)
PLATFORM = "teams"


@dataclass
class TeamsServices:
    core: Core
    settings: TeamsSettings
    token: Callable[[], object]
    sleep: Callable[[float], None] | None = None
    chats: dict[int, TeamsChat] = field(default_factory=dict)
    traffic: LocalTraffic = field(default_factory=LocalTraffic, repr=False)
    """The pace and outages of what these services deliver (chatbot.messaging.traffic)."""

    # -- which rooftop ------------------------------------------------------------------------

    def rooftop_id(self, tenant_id: str | None, teams_team_id: str) -> int | None:
        """The rooftop of this tenant's Teams team, if the bot has met it (nothing is created)."""
        found = inbound.find_team(self.core, PLATFORM, rooftop_key(tenant_id, teams_team_id))
        return found.id if found is not None else None

    def rooftop(self, activity, *, create: bool = True) -> int | None:
        """The rooftop of the Teams team this activity came from, made the first time (`create`);
        None for an activity from outside a team (a personal chat)."""
        team_id, team_name = team_of(activity)
        if not team_id:
            return None
        tenant = tenant_of(activity)
        known = self.rooftop_id(tenant, team_id)
        if known is not None or not create:
            return known
        taken = self._take_over_tenant_rooftop(tenant, team_id, activity)
        if taken is not None:
            return taken
        s = self.settings
        first = not any(t.platform == PLATFORM for t in inbound.all_teams(self.core))
        # the configured channels are one team's: only a deployment's first rooftop starts with them
        team = inbound.ensure_team(self.core, name=s.teams_team_name, also=team_name, platform=PLATFORM,
                                  platform_team_id=rooftop_key(tenant, team_id), timezone=s.teams_timezone,
                                  leads_channel=s.teams_leads_channel if first else None,
                                  managers_channel=s.teams_managers_channel if first else None)
        return team.id

    def _take_over_tenant_rooftop(self, tenant: str | None, team_id: str, activity) -> int | None:
        """A rooftop from before rooftops were per team (keyed by the tenant alone) becomes this
        team's when its leads channel, or a channel it has heard from, is this team's."""
        legacy = inbound.find_team(self.core, PLATFORM, tenant or "unknown")
        if legacy is None:
            return None
        ours = {team_id, *channels_of(activity)}
        heard = any(inbound.recall(self.core, legacy.id, inbound.channel_address(c)) for c in ours)
        if legacy.leads_channel not in ours and not heard:
            return None
        moved = inbound.rekey_team(self.core, PLATFORM, legacy.platform_team_id, rooftop_key(tenant, team_id))
        if moved is not None:
            log.info("Teams: rooftop %s now belongs to its team (it was keyed by the tenant alone)", moved.id)
        return moved.id if moved is not None else self.rooftop_id(tenant, team_id)

    def rooftops_of(self, activity, *, ask_teams: bool = False) -> list:
        """The rooftops (of this tenant) the activity's person is a member of: what their personal
        chat serves. On none yet and `ask_teams`: the rooftops whose Teams team they are in, as
        Teams says (they are put on those as reps)."""
        if activity.from_property is None:
            return []
        prefix = rooftop_key(tenant_of(activity), "")
        known = inbound.teams_of_member(self.core, PLATFORM, activity.from_property.id, within=prefix)
        if known or not ask_teams:
            return known
        return self._join_from_teams(activity, prefix)

    def _join_from_teams(self, activity, prefix: str) -> list:
        user = activity.from_property
        joined = []
        for team in inbound.all_teams(self.core):
            if (team.platform != PLATFORM or not team.platform_team_id.startswith(prefix)
                    or team.chat_lost_at is not None or not self.installed(team.id)):
                continue
            try:
                in_team = user.id in self.chat(team.id).team_member_ids(team.platform_team_id[len(prefix):])
            except ChatUnavailable as exc:  # Teams would not say: they can still act in the team's channel
                log.info("Teams: could not read rooftop %s's team members (%s)", team.id, exc.error)
                continue
            if in_team and inbound.person_seen(self.core, team.id, Person(user.id, user.name)).active:
                joined.append(team)
        if joined:
            self.remember(None, activity)  # their personal chat, under the rooftops they joined
        return joined

    def personal_rooftop(self, activity, lead_id: int) -> int | None:
        """A button pressed in a personal chat: the lead's rooftop, when the person is on it."""
        team_id = inbound.team_of_lead(self.core, lead_id)
        return team_id if team_id in {r.id for r in self.rooftops_of(activity)} else None

    # -- who ----------------------------------------------------------------------------------

    def ensure_member(self, team_id: int, user_id: str, name: str | None):
        """Who this Teams user is on the rooftop, added the first time they act in its team (as a
        rep: the rules are the core's, chatbot.inbound.people; the installer's: app_installed)."""
        return inbound.person_seen(self.core, team_id, Person(user_id, name))

    # -- where --------------------------------------------------------------------------------

    def remember(self, team_id: int | None, activity) -> None:
        """Keep where this activity came from, so the bot can post there later (survives restarts):
        a team's service URL and channel under its rooftop; a personal chat under each rooftop its
        person is a member of."""
        if not activity.service_url:
            return
        conversation = activity.conversation
        personal = conversation is not None and conversation.conversation_type == "personal"
        if team_id is not None:
            bot = activity.recipient
            inbound.remember(self.core, team_id, inbound.SERVICE, {
                "service_url": activity.service_url, "tenant_id": tenant_of(activity),
                "bot_id": bot.id if bot else None, "bot_name": bot.name if bot else None})
            if conversation is not None and conversation.id and conversation.conversation_type == "channel":
                channel = base_conversation(conversation.id)
                inbound.remember(self.core, team_id, inbound.channel_address(channel),
                                       {"conversation_id": channel, "service_url": activity.service_url})
        elif personal and conversation.id and activity.from_property is not None:
            for rooftop in self.rooftops_of(activity):
                inbound.remember(self.core, rooftop.id, inbound.user_address(activity.from_property.id),
                                       {"conversation_id": conversation.id, "service_url": activity.service_url})

    def forget_personal_chat(self, activity) -> None:
        """The person removed the app from their personal chat: it can no longer reach them."""
        if activity.from_property is None:
            return
        for rooftop in self.rooftops_of(activity):
            inbound.forget(self.core, rooftop.id, inbound.user_address(activity.from_property.id))

    # -- removed and back ---------------------------------------------------------------------

    def removed(self, team_id: int) -> bool:
        """Teams says the app was removed from the rooftop's team: park it, tell its managers."""
        return inbound.app_removed(self.core, self.chat(team_id), team_id, REMOVED, PLATFORM)

    def back(self, team_id: int) -> bool:
        """An activity from the rooftop's team: the app is there. A parked rooftop resumes."""
        return inbound.app_present(self.core, team_id, PLATFORM)

    def chat(self, team_id: int) -> TeamsChat:
        if team_id not in self.chats:
            def name_of(user_id: str, team_id=team_id) -> str | None:
                member = inbound.member_with_chat_id(self.core, team_id, user_id)
                return member.name if member else None

            extra = {"sleep": self.sleep} if self.sleep else {}
            self.chats[team_id] = TeamsChat(self.core, team_id, self.token, name_of=name_of,
                                            hosts=self.settings.service_url_hosts, **extra)
        return self.chats[team_id]

    def installed(self, team_id: int) -> bool:
        """Has the app been installed for this team (is a service URL known to post through)?"""
        return inbound.recall(self.core, team_id, inbound.SERVICE) is not None

    def deliver(self, team_id: int) -> inbound.Delivery:
        """Send what the use case queued (card updates, notices) for this team; failures stay queued.
        Before the app is installed nothing can be sent: the messages wait, untried."""
        if not self.installed(team_id):
            return inbound.Delivery(0, 0, 0)
        return inbound.deliver_pending(self.core, self.chat(team_id), team_id=team_id, platform=PLATFORM,
                                       traffic=self.traffic)


REMOVED = "the app was removed from the team in Teams"


def rooftop_key(tenant_id: str | None, teams_team_id: str) -> str:
    """A rooftop's platform id: its tenant and its Teams team, '<tenant>/<team>'."""
    return f"{tenant_id or 'unknown'}/{teams_team_id}"


def team_of(activity) -> tuple[str | None, str | None]:
    """The Teams team an activity came from (`channelData.team`: id and name), (None, None) outside one."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = data.get("team") if isinstance(data.get("team"), dict) else {}
    team_id, name = team.get("id"), team.get("name")
    return (team_id if isinstance(team_id, str) and team_id else None,
            name if isinstance(name, str) and name.strip() else None)


def picked_channel(activity) -> str | None:
    """The channel the installer picked when adding the app to a team: `channelData.settings.
    selectedChannel`, else the install's conversation (which is that channel)."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    settings = data.get("settings") if isinstance(data.get("settings"), dict) else {}
    selected = settings.get("selectedChannel") if isinstance(settings.get("selectedChannel"), dict) else {}
    if isinstance(selected.get("id"), str) and selected["id"]:
        return selected["id"]
    conversation = activity.conversation
    if conversation is not None and conversation.id and conversation.conversation_type == "channel":
        return base_conversation(conversation.id)
    return team_of(activity)[0]


def channels_of(activity) -> set[str]:
    """The channels an activity names (its conversation's, `channelData.channel`, the picked one)."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = data.get("channel") if isinstance(data.get("channel"), dict) else {}
    found = {picked_channel(activity), channel.get("id") if isinstance(channel.get("id"), str) else None}
    return {c for c in found if c}


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
