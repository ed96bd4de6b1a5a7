"""Multi-workspace installs: Slack's OAuth v2 flow, installations kept in the project's database.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, `/slack/install` starts an install and
`/slack/oauth_redirect` finishes it: Bolt exchanges the code (oauth.v2.access) and stores the
bot token with slack_sdk's SQLAlchemy installation store, on the same engine as the core, so
every web process and the worker see it. Each request is then authorised with its
workspace's token, and the worker delivers each team's outbox with that team's token.

slack_sdk owns these tables (slack_installations, slack_bots, slack_oauth_states) and creates
them itself; Alembic leaves them alone (see `chatbot.core.include_in_migrations`).
"""

from __future__ import annotations

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from adapters.slack.settings import BOT_SCOPES, SlackSettings

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def installation_store(engine: Engine, client_id: str) -> SQLAlchemyInstallationStore:
    store = SQLAlchemyInstallationStore(client_id=client_id, engine=engine)
    store.create_tables()  # CREATE TABLE IF NOT EXISTS: safe on every start
    return store


def oauth_settings(engine: Engine, settings: SlackSettings, on_installed) -> OAuthSettings:
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
        installation_store=installation_store(engine, settings.slack_client_id), state_store=state_store,
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH, callback_options=CallbackOptions(success=success, failure=failure),
    )
