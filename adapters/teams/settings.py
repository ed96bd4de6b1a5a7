"""What the Teams app needs from the environment. Read when the app is made, never at import."""

from __future__ import annotations

import logging

from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


class TeamsSettings(BaseSettings):
    """Environment variables (case-insensitive; a .env file works too).

    TEAMS_APP_ID: the bot's Microsoft Entra app id (the Azure Bot's "Microsoft App ID").
    TEAMS_APP_PASSWORD (a client secret) or TEAMS_CERT_PFX_FILE (a certificate): its credential.
    TEAMS_TENANT_ID: the app's home tenant (single-tenant bots); unset: multi-tenant ("common").
    TEAMS_ALLOW_ANONYMOUS=true: development only (the Agents Playground): requests without a
    token are accepted and nothing is sent with one. A warning is logged at start.
    TEAMS_LEADS_CHANNEL: the channel id for new leads; unset: the channel the app is installed in.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    teams_app_id: str | None = None
    teams_app_password: str | None = None
    teams_cert_pfx_file: str | None = None
    teams_tenant_id: str | None = None
    teams_allow_anonymous: bool = False
    teams_leads_channel: str | None = None
    teams_managers_channel: str | None = None
    teams_team_name: str = "Dealership"
    teams_timezone: str = "America/Chicago"

    @property
    def enabled(self) -> bool:
        """Is there enough to serve Teams (an app id, or the explicit development mode)?"""
        return bool(self.teams_app_id) or self.teams_allow_anonymous

    @property
    def anonymous(self) -> bool:
        return self.teams_allow_anonymous and not self.teams_app_id

    def warn_if_anonymous(self) -> None:
        if self.teams_allow_anonymous:
            log.warning("TEAMS_ALLOW_ANONYMOUS is set: /api/messages accepts requests without a token. "
                        "Development only (Agents Playground); never in production.")
