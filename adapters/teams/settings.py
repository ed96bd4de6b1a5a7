"""What the Teams app needs from the environment. Read when the app is made, never at import."""

from __future__ import annotations

import logging

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.platform import SECRET

log = logging.getLogger(__name__)
PUBLIC_CLOUD_HOSTS = "smba.trafficmanager.net"  # where Teams' Bot Connector lives (an activity's serviceUrl)


class TeamsSettings(BaseSettings):
    """Environment variables (case-insensitive; a .env file works too).

    TEAMS_APP_ID: the bot's Microsoft Entra app id (the Azure Bot's "Microsoft App ID").
    TEAMS_APP_PASSWORD (a client secret) or TEAMS_CERT_PFX_FILE (a certificate): its credential.
    TEAMS_TENANT_ID: the app's home tenant (single-tenant bots); unset: multi-tenant ("common").
    TEAMS_ALLOWED_TENANTS: the Microsoft tenants (ids, comma-separated) whose Teams may talk to
    the bot; unset: any tenant that installs it.
    TEAMS_SERVICE_URL_HOSTS: the hosts (comma-separated; each also covers its subdomains) an
    activity's serviceUrl may name, i.e. where the bot will send its token and replies.
    TEAMS_ALLOW_ANONYMOUS=true: development only (the Agents Playground): requests without a
    token are accepted and nothing is sent with one. Refused beside TEAMS_APP_ID; a warning is
    logged at start and /readyz stays red.
    TEAMS_LEADS_CHANNEL: the channel id for new leads; unset: the channel the app is installed in.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    teams_app_id: str | None = Field(
        None, description="Teams: the bot's Microsoft Entra app id (the Azure Bot's Microsoft App ID). "
        "Unset: no Teams")
    teams_app_password: str | None = Field(None, description="Teams: the app's client secret",
                                           json_schema_extra=SECRET)
    teams_cert_pfx_file: str | None = Field(
        None, description="Teams: a certificate (.pfx file) instead of TEAMS_APP_PASSWORD")
    teams_tenant_id: str | None = Field(
        None, description="Teams: the app's home tenant (single-tenant bots). Unset: multi-tenant")
    teams_allowed_tenants: str | None = Field(
        None, description="Teams: the Microsoft tenant ids (comma-separated) whose Teams may use the bot; others "
        "are refused (403). Unset: any tenant that installs it")
    teams_service_url_hosts: str = Field(
        PUBLIC_CLOUD_HOSTS, description="Teams: the hosts (comma-separated, each with its subdomains) an "
        "activity's serviceUrl may name, where the bot sends its token; add your cloud's Teams host for GCC, "
        "GCC High or DoD")
    teams_allow_anonymous: bool = Field(
        False, description="Teams: `true` accepts requests without a token: development only (Agents Playground); "
        "refused beside TEAMS_APP_ID, and /readyz stays red")
    teams_leads_channel: str | None = Field(
        None, description="Teams: the first rooftop's channel id for new leads (one team's channel: later "
        "rooftops never get it). Unset: the channel picked when the app is added to the team")
    teams_managers_channel: str | None = Field(
        None, description="Teams: the first rooftop's managers' channel id (later rooftops never get it)")
    teams_team_name: str = Field("Dealership", description="Teams: a new rooftop's name; a second one is called "
                                 "'NAME (its Teams team's name)'")
    teams_timezone: str = Field("America/Chicago", description="Teams: a new team's time zone (IANA name)")

    @property
    def enabled(self) -> bool:
        """Is there enough to serve Teams (an app id, or the explicit development mode)?"""
        return bool(self.teams_app_id) or self.teams_allow_anonymous

    @property
    def anonymous(self) -> bool:
        return self.teams_allow_anonymous and not self.teams_app_id

    @property
    def allowed_tenants(self) -> frozenset[str] | None:
        """The tenant ids that may talk to the bot (lower case); None: any."""
        tenants = frozenset(_items(self.teams_allowed_tenants))
        return tenants or None

    @property
    def service_url_hosts(self) -> tuple[str, ...]:
        return tuple(_items(self.teams_service_url_hosts))

    def problem(self) -> str | None:
        """Why these settings must not serve Teams at all (one line), or None."""
        if self.teams_allow_anonymous and self.teams_app_id:
            return ("TEAMS_ALLOW_ANONYMOUS=true is refused beside TEAMS_APP_ID: anonymous mode is for the Agents "
                    "Playground without an app; unset TEAMS_ALLOW_ANONYMOUS")
        if self.teams_allowed_tenants is not None and not self.allowed_tenants:
            return "TEAMS_ALLOWED_TENANTS is set but names no tenant: unset it (any tenant) or list tenant ids"
        if not self.service_url_hosts:
            return "TEAMS_SERVICE_URL_HOSTS names no host: unset it for Microsoft's public cloud"
        return None

    def not_ready(self) -> str | None:
        """Why a deployment with these settings must not be called ready, or None."""
        if self.anonymous:
            return "Teams runs in anonymous development mode (TEAMS_ALLOW_ANONYMOUS): anyone may post to /api/messages"
        return None

    def warn_if_anonymous(self) -> None:
        if self.teams_allow_anonymous:
            log.warning("TEAMS_ALLOW_ANONYMOUS is set: /api/messages accepts requests without a token. "
                        "Development only (Agents Playground); never in production.")


def _items(value: str | None) -> list[str]:
    return [item.strip().lower() for item in (value or "").split(",") if item.strip()]
