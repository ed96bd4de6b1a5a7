"""intake signing secrets encrypted at rest: apikey.hmac_secret sealed with SECRET_KEYS

A signed intake key's secret must be read back to check a request's X-Signature, so it cannot be
kept as a hash like the key itself; from now on it is kept encrypted (chatbot/intake/apikeys.py),
as the chat tokens are since 0012. This revision encrypts the secrets saved before. With signed
keys stored in plain text and no key it refuses, in one sentence, and changes nothing (the
upgrade stops at 0012); with no signed key it needs no key. Downgrading decrypts them again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:00:00
"""

from alembic import context, op

from chatbot.secret_keys import MAKE_ONE, SecretKeyError, SecretKeys
from chatbot.store import sealed

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# As chatbot/intake/apikeys.py names them on the day of this revision.
SECRET_COLUMNS = {"apikey": ("hmac_secret",)}


def _keys() -> SecretKeys | None:
    return SecretKeys.parse(context.config.attributes.get("secret_keys"))


def upgrade() -> None:
    bind = op.get_bind()
    keys = _keys()
    if keys is None:
        plaintext = sealed.survey(bind, None, SECRET_COLUMNS).plaintext
        if plaintext:
            raise SecretKeyError(f"SECRET_KEYS is not set and the database holds {plaintext} intake signing "
                                 f"secret(s) in plain text: {MAKE_ONE}, set SECRET_KEYS to it and upgrade again "
                                 f"(nothing changed)")
        return
    sealed.reseal(bind, keys, SECRET_COLUMNS, plaintext_only=True)


def downgrade() -> None:
    bind = op.get_bind()
    keys = _keys()
    if keys is None:
        encrypted = sealed.survey(bind, None, SECRET_COLUMNS).unreadable
        if encrypted:
            raise SecretKeyError(f"SECRET_KEYS is not set and the database holds {encrypted} encrypted intake "
                                 f"signing secret(s): set it to decrypt them (nothing changed)")
        return
    sealed.unseal(bind, keys, SECRET_COLUMNS)
