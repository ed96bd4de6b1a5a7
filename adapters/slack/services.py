"""What the listeners share: the core, the settings, and the few steps every listener takes
(which core team this workspace is, who this Slack user is, deliver what the core queued),
and `slack_chat_for`: how the platform registry reaches a Slack team.

Which workspaces are tenants (`SlackServices.serves`): with one bot token, only the workspace
that token belongs to (its team id from auth.test, learned once when the app starts); with
OAuth, each workspace whose install through /slack/install completed. A request from any other
workspace is refused before any listener runs (adapters/slack/app.py), so nothing is created
for it: no "Dealership (slack T0OTHER)".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack.chat import SlackChat
from adapters.slack.settings import SlackSettings
from chatbot.core import Core
from chatbot.inbound import (
    Delivery,
    Describe,
    LocalTraffic,
    Person,
    deliver_pending,
    ensure_team,
    person_seen,
    team_on_platform,
)
from chatbot.messaging.platforms import ChatFor, Platforms
from chatbot.secret_keys import SecretKeyError

log = logging.getLogger(__name__)
PLATFORM = "slack"  # Team.platform, and the name in delivery log lines and outage tracking


class NotServed(LookupError):
    """A Slack workspace this deployment does not serve (not the configured one, or never installed)."""


@dataclass
class SlackServices:
    core: Core
    settings: SlackSettings
    workspace: str | None = None
    """One bot token: the team id of the one workspace served (from auth.test). Unused under OAuth."""
    _teams: dict[str, int] = field(default_factory=dict, repr=False)
    """Slack team id -> core team id, for tenants already seen (a team row is never removed)."""
    traffic: LocalTraffic = field(default_factory=LocalTraffic, repr=False)
    """The pace and outages of what the listeners deliver (chatbot.messaging.traffic)."""

    def serves(self, slack_team_id: str | None) -> bool:
        """Whether this workspace is a tenant: the configured one, or (OAuth) one whose install completed."""
        if not slack_team_id:
            return False
        if not self.settings.oauth:
            return slack_team_id == self.workspace
        return self._known(slack_team_id) is not None

    def admit(self, slack_team_id: str) -> int:
        """The core team for a workspace that has just become a tenant (the configured one at start, an
        installed one at the end of its install), created with the settings the first time."""
        s = self.settings
        team = ensure_team(self.core, name=s.team_name, platform=PLATFORM,
                                  platform_team_id=slack_team_id, timezone=s.timezone,
                                  leads_channel=s.leads_channel, managers_channel=s.managers_channel)
        self._teams[slack_team_id] = team.id
        return team.id

    def team_id(self, slack_team_id: str | None) -> int:
        """The core team of a workspace this deployment serves; NotServed for any other (requests from
        those are refused before any listener runs: this is the second lock)."""
        if not self.serves(slack_team_id):
            raise NotServed(slack_team_id)
        known = self._known(slack_team_id)
        return known if known is not None else self.admit(slack_team_id)

    def _known(self, slack_team_id: str) -> int | None:
        if slack_team_id not in self._teams:
            team = team_on_platform(self.core, PLATFORM, slack_team_id)
            if team is None:
                return None
            self._teams[slack_team_id] = team.id
        return self._teams[slack_team_id]

    def ensure_member(self, team_id: int, user_id: str, client: WebClient):
        """Who this Slack user is on the team, added the first time they act (the rules are the
        core's: chatbot.inbound.people); Slack is asked about them only then (`describe`)."""
        return person_seen(self.core, team_id, Person(user_id), self.describer(user_id, client))

    def describer(self, user_id: str, client: WebClient) -> Describe:
        """How to ask Slack about a person the core has not seen: `describe(user_id, client)`."""
        return lambda: describe(user_id, client)

    def deliver(self, client: WebClient, team_id: int | None = None) -> Delivery:
        """Send what the use case queued (card updates, notices) for this workspace; failures stay queued."""
        return deliver_pending(self.core, SlackChat(client), team_id=team_id, platform=PLATFORM,
                               traffic=self.traffic)


def describe(user_id: str, client: WebClient) -> Person:
    """What Slack says of a user (users.info): their display name, the e-mail of their profile
    (with the users:read.email scope: it matches someone a manager added by e-mail), and whether
    they are a workspace admin or owner. Slack refusing: the id alone (they are added by it)."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as exc:
        log.warning("users.info for %s failed (%s); adding them by id", user_id, exc.response.get("error"))
        return Person(user_id)
    profile = user.get("profile") or {}
    return Person(user_id, name=profile.get("display_name") or user.get("real_name") or user.get("name") or user_id,
                  email=profile.get("email"), admin=bool(user.get("is_admin") or user.get("is_owner")))


def slack_chat_for(core: Core, settings: SlackSettings, client: WebClient | None = None) -> ChatFor:
    """How the platform registry reaches a Slack team: `team -> SlackChat`, or None.

    Single workspace: every Slack team through the bot token (or `client`). Multi-workspace
    (OAuth): each team with the token its installation stored (decrypted with SECRET_KEYS); a
    team without one (never installed, or uninstalled) or whose token no key opens gets None,
    and its messages wait in the outbox.
    """
    from adapters.slack.chat import make_client

    if not settings.oauth:
        chat = SlackChat(client or make_client(settings.slack_bot_token, settings.api_url))
        return lambda team: chat
    from adapters.slack.oauth import installation_store

    store = installation_store(core.engine, settings.slack_client_id, settings.required_keys())

    def chat_for(team) -> SlackChat | None:
        try:
            bot = store.find_bot(enterprise_id=None, team_id=team.platform_team_id)
        except SecretKeyError:  # a key dropped too early: this team waits, the others are delivered
            log.error("Slack token of team=%s cannot be decrypted with SECRET_KEYS: its messages wait "
                      "(`chatbot doctor`)", team.id)
            return None
        if bot is None:
            return None
        return SlackChat(make_client(bot.bot_token, settings.api_url))

    return chat_for


def slack_description(settings: SlackSettings) -> str:
    how = "every installed workspace (OAuth)" if settings.oauth else "one workspace (bot token)"
    return f"Slack, {how}{' over Socket Mode' if settings.socket_mode else ''}"


def register_slack(platforms: Platforms, core: Core, settings: SlackSettings,
                   client: WebClient | None = None) -> Platforms:
    """Add Slack to the registry when it is configured (a bot token, or OAuth client credentials)."""
    if settings.enabled:
        platforms.register(PLATFORM, slack_chat_for(core, settings, client), slack_description(settings))
    return platforms
