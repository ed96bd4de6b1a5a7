"""Every setting the bot reads, in one place: from the environment or a `.env` file.

`Settings` lists each variable with what it means; the README's table of variables is checked
against it (tests/unit/test_config.py), and `chatbot doctor` reports what is wrong with it.
The adapters keep their own settings classes (`SlackSettings`, `TeamsSettings`): `slack()` and
`teams()` build them from the values read here, and a test proves their names agree.

Read when a command starts (`load()`), never at import. A variable set in the environment wins
over the same name in `.env`; names are case-insensitive.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from adapters.slack.settings import SlackSettings
    from adapters.teams.settings import TeamsSettings

ENV_FILE = ".env"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

SECRETS = frozenset({"slack_bot_token", "slack_signing_secret", "slack_app_token", "slack_client_secret",
                     "teams_app_password", "metrics_token", "secret_keys"})
"""Values never printed (doctor, logs): tokens, signing and client secrets, the keys that encrypt stored tokens;
DATABASE_URL's password too."""


class Settings(BaseSettings):
    """The bot's configuration. Each field is one variable (its name in capitals); `description`
    is its meaning, as the README's table shows it."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore")

    # ------------------------------------------------------------------ the process
    database_url: str | None = Field(
        None, description="The database: `postgres://user:pass@host:5432/db` or `postgresql://...` as hosts give it "
        "(query parameters such as `?sslmode=require` are kept), or any SQLAlchemy URL")
    port: int = Field(3000, description="The port `chatbot web` (and `chatbot run` with Slack or Teams) listens on")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR: how much the logs say")
    metrics_token: str | None = Field(
        None, description="A bearer token `/metrics` requires (`Authorization: Bearer ...`, Prometheus's "
        "`authorization` setting), on the web app and `chatbot worker --metrics-port`. Unset: `/metrics` answers "
        "anyone who can reach the port, so keep that port private")
    secret_keys: str | None = Field(
        None, description="Fernet keys, comma-separated, that encrypt the secrets kept in the database (chat tokens, "
        "intake signing secrets): the first encrypts, every one decrypts. Required with SLACK_CLIENT_ID (each "
        "workspace's token is stored) and for signed intake keys (`chatbot keys create --hmac`). Make one "
        "with `chatbot secrets new-key`; to rotate: put the new key first, run `chatbot secrets rotate`, then drop "
        "the old one")

    # ------------------------------------------------------------------ Slack (adapters/slack/settings.py)
    slack_bot_token: str | None = Field(
        None, description="Slack: the Bot User OAuth Token (`xoxb-...`) of a single-workspace install. "
        "Unset (and no SLACK_CLIENT_ID): no Slack")
    slack_signing_secret: str | None = Field(
        None, description="Slack: the app's Signing Secret; requests to `/slack/events` are checked with it")
    slack_app_token: str | None = Field(
        None, description="Slack: an App-Level Token (`xapp-...`, `connections:write`) for Socket Mode: "
        "no public URL needed")
    slack_client_id: str | None = Field(
        None, description="Slack: the app's Client ID, for many workspaces installed through `/slack/install`")
    slack_client_secret: str | None = Field(None, description="Slack: the app's Client Secret (with SLACK_CLIENT_ID)")
    slack_api_url: str | None = Field(
        None, description="Slack: another Web API base URL (tests point it at a fake)")
    leads_channel: str = Field("leads", description="Slack: a new workspace's channel for new leads (a channel id)")
    managers_channel: str | None = Field(
        None, description="Slack: a new workspace's managers' channel. Unset: managers' notices go to the leads channel")
    team_name: str = Field("Dealership", description="Slack: a new workspace's team name")
    timezone: str = Field("America/Chicago", description="Slack: a new workspace's time zone (IANA name)")

    # ------------------------------------------------------------------ Teams (adapters/teams/settings.py)
    teams_app_id: str | None = Field(
        None, description="Teams: the bot's Microsoft Entra app id (the Azure Bot's Microsoft App ID). "
        "Unset: no Teams")
    teams_app_password: str | None = Field(None, description="Teams: the app's client secret")
    teams_cert_pfx_file: str | None = Field(
        None, description="Teams: a certificate (.pfx file) instead of TEAMS_APP_PASSWORD")
    teams_tenant_id: str | None = Field(
        None, description="Teams: the app's home tenant (single-tenant bots). Unset: multi-tenant")
    teams_allowed_tenants: str | None = Field(
        None, description="Teams: the Microsoft tenant ids (comma-separated) whose Teams may use the bot; others "
        "are refused (403). Unset: any tenant that installs it")
    teams_service_url_hosts: str = Field(
        "smba.trafficmanager.net", description="Teams: the hosts (comma-separated, each with its subdomains) an "
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

    # ------------------------------------------------------------------ what the adapters get

    def slack(self) -> SlackSettings:
        """The Slack adapter's settings, from these values (not read again from the environment)."""
        from adapters.slack.settings import SlackSettings

        return SlackSettings(**self._values_for(SlackSettings))

    def teams(self) -> TeamsSettings:
        """The Teams adapter's settings, from these values."""
        from adapters.teams.settings import TeamsSettings

        return TeamsSettings(**self._values_for(TeamsSettings))

    def _values_for(self, settings_class) -> dict:
        return {name: getattr(self, name) for name in settings_class.model_fields}

    @property
    def log_level_number(self) -> int:
        """LOG_LEVEL as a logging level (INFO when it names none: `chatbot doctor` says so)."""
        level = logging.getLevelName(self.log_level.strip().upper())
        return level if isinstance(level, int) else logging.INFO

    def secrets(self) -> tuple[str, ...]:
        """The secret values set, to keep out of anything printed (each of SECRET_KEYS's keys on its own, and
        DATABASE_URL's password, too)."""
        values = [getattr(self, name) for name in sorted(SECRETS)] + sorted(database_passwords(self.database_url))
        keys = [k.strip() for k in (self.secret_keys or "").split(",") if k.strip()]
        return tuple(v for v in values + keys if v)


def database_passwords(url: str | None) -> tuple[str, ...]:
    """The password in `postgresql://user:password@host/db` as written and as decoded (`%40` is `@`)."""
    from urllib.parse import unquote, urlsplit

    try:
        written = urlsplit(url or "").password
    except ValueError:
        return ()
    return tuple({written, unquote(written)}) if written else ()


def load() -> Settings:
    """The settings now: the environment, then `.env` in the working directory."""
    return Settings()


def variables() -> list[tuple[str, str, str]]:
    """(NAME, meaning, default) for every variable, in the class's order."""
    return [(name.upper(), field.description or "", _shown(name, field.default))
            for name, field in Settings.model_fields.items()]


SHOWN_DEFAULTS = {"database_url": "`sqlite:///chatbot.db` (a file in the working directory)",
                  "slack_api_url": "`https://slack.com/api/`"}


def _shown(name: str, default: object) -> str:
    if name in SHOWN_DEFAULTS:
        return SHOWN_DEFAULTS[name]
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return str(default).lower()
    return f"`{default}`"


def readme_table() -> str:
    """The README's table of variables (`python -m entrypoints.config` prints it; a test keeps them equal)."""
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    rows += [f"| `{name}` | {meaning} | {default} |" for name, meaning, default in variables()]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(readme_table(), end="")
