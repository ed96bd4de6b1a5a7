"""chat tokens encrypted at rest: the Slack installation tables' tokens sealed with SECRET_KEYS

slack_sdk creates and owns slack_bots and slack_installations (they exist only where a
workspace installed through /slack/install); from now on its store is wrapped so it encrypts
what it saves (adapters/slack/oauth.py). This revision encrypts the rows saved before, and on
PostgreSQL widens the token columns from VARCHAR(200) to TEXT (a Fernet token of a long
rotating token would not fit).

It needs the key: the composition root passes SECRET_KEYS in `config.attributes`. With tokens
stored in plain text and no key it refuses, in one sentence, and changes nothing (the upgrade
stops at 0011); with no token stored it needs no key. Downgrading decrypts them again (the
code before this revision reads plain text), and likewise needs the key.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import context, op

from chatbot.secret_keys import MAKE_ONE, SecretKeyError, SecretKeys
from chatbot.store import sealed

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# As adapters/slack/oauth.py names them on the day of this revision.
TOKEN_COLUMNS = {
    "slack_bots": ("bot_token", "bot_refresh_token"),
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token",
                            "incoming_webhook_url"),
}


def _keys() -> SecretKeys | None:
    return SecretKeys.parse(context.config.attributes.get("secret_keys"))


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    if bind.dialect.name == "postgresql":
        for table, columns in TOKEN_COLUMNS.items():
            if table in existing:
                for column in columns:
                    op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(200))
    keys = _keys()
    if keys is None:
        plaintext = sealed.survey(bind, None, TOKEN_COLUMNS).plaintext
        if plaintext:
            raise SecretKeyError(f"SECRET_KEYS is not set and the database holds {plaintext} Slack token(s) in plain "
                                 f"text: {MAKE_ONE}, set SECRET_KEYS to it and upgrade again (nothing changed)")
        return
    sealed.reseal(bind, keys, TOKEN_COLUMNS, plaintext_only=True)


def downgrade() -> None:
    bind = op.get_bind()
    keys = _keys()
    if keys is None:
        encrypted = sealed.survey(bind, None, TOKEN_COLUMNS).unreadable
        if encrypted:
            raise SecretKeyError(f"SECRET_KEYS is not set and the database holds {encrypted} encrypted Slack "
                                 f"token(s): set it to decrypt them (nothing changed)")
        return
    sealed.unseal(bind, keys, TOKEN_COLUMNS)
