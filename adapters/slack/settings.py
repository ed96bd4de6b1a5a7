"""What the Slack app needs from the environment. Read when the app is made, never at import."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.platform import SECRET
from chatbot.secret_keys import MAKE_ONE, SecretKeyError, SecretKeys

# The bot scopes the app asks for at install time: manifest.json's, checked by a test.
# users:read.email: users.info includes profile.email only with it, and a rep a manager added
# by e-mail (`chatbot member add --email`) is recognised by it the first time they use Slack.
BOT_SCOPES = ("channels:history", "chat:write", "commands", "files:write", "groups:history", "im:write",
              "reactions:read", "users:read", "users:read.email")


class SlackSettings(BaseSettings):
    """Environment variables (names as below, case-insensitive; a .env file works too).

    SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET: a single-workspace install over HTTP.
    SLACK_APP_TOKEN (xapp-...): Socket Mode, no public URL needed.
    SLACK_CLIENT_ID + SLACK_CLIENT_SECRET (+ SLACK_SIGNING_SECRET): multi-workspace installs via
    OAuth (/slack/install); each workspace's bot token is then kept in the database, encrypted
    with SECRET_KEYS (comma-separated Fernet keys: the first encrypts, all decrypt).
    SLACK_API_URL: point slack_sdk at another Web API (tests use a local fake).
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    slack_bot_token: str | None = Field(
        None, description="Slack: the Bot User OAuth Token (`xoxb-...`) of a single-workspace install. "
        "Unset (and no SLACK_CLIENT_ID): no Slack", json_schema_extra=SECRET)
    slack_signing_secret: str | None = Field(
        None, description="Slack: the app's Signing Secret; requests to `/slack/events` are checked with it",
        json_schema_extra=SECRET)
    slack_app_token: str | None = Field(
        None, description="Slack: an App-Level Token (`xapp-...`, `connections:write`) for Socket Mode: "
        "no public URL needed", json_schema_extra=SECRET)
    slack_client_id: str | None = Field(
        None, description="Slack: the app's Client ID, for many workspaces installed through `/slack/install`")
    slack_client_secret: str | None = Field(None, description="Slack: the app's Client Secret (with SLACK_CLIENT_ID)",
                                            json_schema_extra=SECRET)
    slack_api_url: str | None = Field(
        None, description="Slack: another Web API base URL (tests point it at a fake)")
    leads_channel: str = Field("leads", description="Slack: a new workspace's channel for new leads (a channel id)")
    managers_channel: str | None = Field(
        None, description="Slack: a new workspace's managers' channel. Unset: managers' notices go to the leads channel")
    team_name: str = Field("Dealership", description="Slack: a new workspace's team name")
    timezone: str = Field("America/Chicago", description="Slack: a new workspace's time zone (IANA name)")
    secret_keys: str | None = Field(
        None, description="The Fernet keys that encrypt each workspace's stored token (the process's SECRET_KEYS)",
        json_schema_extra=SECRET)

    @property
    def enabled(self) -> bool:
        """Is there enough to run the Slack app (rather than the console)?"""
        return bool(self.slack_bot_token or self.slack_client_id)

    @property
    def oauth(self) -> bool:
        """Multi-workspace: installs go through OAuth and tokens live in the database."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    def token_problem(self) -> str | None:
        """One sentence when a token is of the wrong kind (checked at start-up, before any call to Slack)."""
        if self.slack_bot_token and not self.slack_bot_token.startswith("xoxb-"):
            return ("SLACK_BOT_TOKEN should be the Bot User OAuth Token, which starts with xoxb- "
                    "(api.slack.com/apps → your app → OAuth & Permissions).")
        if self.slack_app_token and not self.slack_app_token.startswith("xapp-"):
            return ("SLACK_APP_TOKEN should be an App-Level Token, which starts with xapp- (api.slack.com/apps → "
                    "your app → Basic Information → App-Level Tokens, with the connections:write scope).")
        return None

    def keys(self) -> SecretKeys | None:
        """SECRET_KEYS, read (SecretKeyError when a key is malformed; None when unset)."""
        return SecretKeys.parse(self.secret_keys)

    def required_keys(self) -> SecretKeys:
        """SECRET_KEYS where tokens are stored (OAuth): SecretKeyError, in one sentence, when unset or malformed."""
        problem = self.keys_problem()
        keys = None if problem else self.keys()
        if keys is None:
            raise SecretKeyError(problem or f"SECRET_KEYS is not set; {MAKE_ONE}")
        return keys

    def keys_problem(self) -> str | None:
        """One sentence when SECRET_KEYS cannot be read, or is missing where tokens are stored (OAuth installs)."""
        try:
            keys = self.keys()
        except SecretKeyError as error:
            return str(error)
        if keys is None and self.oauth:
            return (f"SECRET_KEYS is not set: with SLACK_CLIENT_ID each workspace's token is kept in the database, "
                    f"encrypted with it; {MAKE_ONE}, set SECRET_KEYS to it and start again")
        return None

    @property
    def api_url(self) -> str:
        return self.slack_api_url or "https://slack.com/api/"
