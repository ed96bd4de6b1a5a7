"""Multi-workspace installs: Slack's OAuth v2 flow, installations kept in the project's database.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, `/slack/install` starts an install and
`/slack/oauth_redirect` finishes it: Bolt exchanges the code (oauth.v2.access) and stores the
bot token with slack_sdk's SQLAlchemy installation store, on the same engine as the core, so
every web process and the worker see it. Each request is then authorised with its
workspace's token, and the worker delivers each team's outbox with that team's token.

Tokens at rest are encrypted: `SealedInstallationStore` is slack_sdk's store with its token
columns (SEALED_COLUMNS) given a column type that encrypts with SECRET_KEYS on the way in and
decrypts on the way out; its queries, saves and deletes are slack_sdk's own. A database dump
holds Fernet tokens, never `xoxb-`/`xoxp-`.

slack_sdk owns these tables (slack_installations, slack_bots, slack_oauth_states) and creates
them itself; Alembic leaves them alone (see `chatbot.store.db.include_in_migrations`), except the
revision that encrypted the rows stored before (0011).
"""

from __future__ import annotations

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Text
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from adapters.slack.settings import BOT_SCOPES, SlackSettings
from chatbot.secret_keys import SecretKeys

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

SEALED_COLUMNS = {
    "slack_bots": ("bot_token", "bot_refresh_token"),
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token",
                            "incoming_webhook_url"),
}
"""Every column of slack_sdk's installation tables that holds a credential (a webhook URL is one)."""


class Sealed(TypeDecorator):
    """A text column whose values are stored encrypted with `keys` (TEXT: a Fernet token is longer)."""

    impl = Text
    cache_ok = True

    def __init__(self, keys: SecretKeys) -> None:
        super().__init__()
        self.keys = keys

    def process_bind_param(self, value, dialect):
        return None if value is None else self.keys.seal(value)

    def process_result_value(self, value, dialect):
        return None if value is None else self.keys.open(value)


class SealedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store, its tokens encrypted at rest with SECRET_KEYS."""

    def __init__(self, client_id: str, engine: Engine, keys: SecretKeys) -> None:
        super().__init__(client_id=client_id, engine=engine)
        for table in (self.bots, self.installations):
            for column in SEALED_COLUMNS[table.name]:
                table.c[column].type = Sealed(keys)  # before any statement is built on the table


def installation_store(engine: Engine, client_id: str, keys: SecretKeys) -> SealedInstallationStore:
    store = SealedInstallationStore(client_id=client_id, engine=engine, keys=keys)
    store.create_tables()  # CREATE TABLE IF NOT EXISTS: safe on every start
    return store


def oauth_settings(engine: Engine, settings: SlackSettings, keys: SecretKeys, on_installed) -> OAuthSettings:
    """Bolt's OAuth settings; `on_installed(slack_team_id)` runs after a workspace installs."""
    state_store = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    state_store.create_tables()

    def success(args: SuccessArgs):
        on_installed(args.installation.team_id)
        return args.default.success(args)

    def failure(args: FailureArgs):
        return args.default.failure(args)

    return OAuthSettings(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret, scopes=list(BOT_SCOPES),
        installation_store=installation_store(engine, settings.slack_client_id, keys), state_store=state_store,
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH, callback_options=CallbackOptions(success=success, failure=failure),
    )
