"""`chatbot secrets`: the keys that encrypt the secrets kept in the database (SECRET_KEYS): each
Slack workspace's tokens and each signed intake key's signing secret.

    chatbot secrets new-key   print a new Fernet key (nothing else is done: set SECRET_KEYS to it)
    chatbot secrets rotate    re-encrypt every stored secret with SECRET_KEYS's first key

Rotating a key, with no downtime: make a new key; set SECRET_KEYS=NEW,OLD everywhere and restart
(the new key encrypts, both decrypt); run `chatbot secrets rotate`; set SECRET_KEYS=NEW and
restart. `chatbot doctor` says when no stored secret needs the old key any more.

Which columns hold chat tokens is each platform's to say (`ChatPlatform.sealed_columns`: Slack's
are adapters/slack/oauth.py's SEALED_COLUMNS), and the core's own are in chatbot/intake/apikeys.py;
the work is `chatbot.store.sealed.reseal`, in one transaction: all re-encrypted, or nothing.
"""

from __future__ import annotations

from chatbot.secret_keys import MAKE_ONE, SecretKeyError, SecretKeys


def token_columns() -> dict[str, tuple[str, ...]]:
    """Every column the product stores a secret in: chat tokens (Teams stores none), signing secrets."""
    from chatbot.intake import apikeys
    from entrypoints.platforms import PLATFORMS

    columns = {table: names for chat in PLATFORMS for table, names in chat.sealed_columns().items()}
    return {**columns, **apikeys.SEALED_COLUMNS}


def check(report, probe) -> None:
    """`chatbot doctor`'s line on the secrets in the database: none in plain text, every one
    decrypted by SECRET_KEYS. Shown where secrets are or will be stored (OAuth, or a key is set)."""
    from chatbot.store import sealed

    line = "secret keys"
    settings = probe.settings
    wanted = bool(settings.secret_keys) or any(chat.keeps_tokens(settings.of(chat)) for chat in settings.platforms)
    if not probe.reachable:
        if wanted:
            report.skip(line, "not checked: see the database line above")
        return
    try:
        keys = SecretKeys.parse(settings.secret_keys)
    except SecretKeyError:
        report.skip(line, "not checked: SECRET_KEYS cannot be read (see configuration)")
        return
    with probe.engine.connect() as connection:
        found = sealed.survey(connection, keys, token_columns())
    if not found.stored:
        if keys is not None:
            report.ok(line, f"{_keys_count(keys)} set; no secret is stored yet")
        return
    problems = []
    if found.plaintext:
        fix = "run `chatbot secrets rotate`" if keys else f"{MAKE_ONE}, set SECRET_KEYS and run `chatbot secrets rotate`"
        problems.append(f"{found.plaintext} stored secret(s) are in plain text (a database dump would hand "
                        f"them over): {fix}")
    if found.unreadable and keys is None:
        problems.append(f"{found.unreadable} stored secret(s) are encrypted and SECRET_KEYS is not set: set it to "
                        f"the key(s) that encrypted them")
    elif found.unreadable:
        problems.append(f"{found.unreadable} stored secret(s) cannot be decrypted with SECRET_KEYS: the key that "
                        f"encrypted them was dropped or changed; put it back (after the new one)")
    for problem in problems:
        report.bad(line, problem)
    if problems:
        return
    if found.older:
        report.ok(line, f"{found.stored} stored secret(s) decrypt; {found.older} still need an older key: run "
                         f"`chatbot secrets rotate` before dropping it from SECRET_KEYS")
    elif keys.count > 1:
        report.ok(line, f"all {found.stored} stored secret(s) are encrypted with the first key of SECRET_KEYS: "
                         f"the other {keys.count - 1} can be dropped")
    else:
        report.ok(line, f"all {found.stored} stored secret(s) are encrypted with SECRET_KEYS and decrypt")


def _keys_count(keys) -> str:
    return "1 key" if keys.count == 1 else f"{keys.count} keys"


def register(app) -> None:
    """Add `chatbot secrets ...` to the CLI (entrypoints/cli/)."""
    import typer

    secrets_app = typer.Typer(help="The keys that encrypt stored secrets: chat tokens, intake signing secrets.")
    app.add_typer(secrets_app, name="secrets")

    @secrets_app.command("new-key")
    def new_key() -> None:
        """Print a new Fernet key for SECRET_KEYS (put it first to rotate; keep it as secret as a password)."""
        from cryptography.fernet import Fernet

        typer.echo(Fernet.generate_key().decode())

    @secrets_app.command("rotate")
    def rotate(database: str = typer.Option(None, "--database-url", help="Overrides DATABASE_URL.")) -> None:
        """Re-encrypt every stored secret with SECRET_KEYS's first key; then the other keys can be dropped."""
        from chatbot.store import sealed
        from chatbot.store.db import make_engine
        from entrypoints.cli.common import fail as _fail
        from entrypoints.cli.common import settings as _settings

        settings = _settings()
        try:
            keys = SecretKeys.parse(settings.secret_keys)
        except SecretKeyError as error:
            _fail(str(error))
        if keys is None:
            _fail("SECRET_KEYS is not set: set it to NEW_KEY,OLD_KEY (the new key first) and run this again")
        engine = make_engine(database or settings.database_url)
        try:
            with engine.begin() as connection:
                rewritten = sealed.reseal(connection, keys, token_columns())
        except SecretKeyError as error:
            _fail(str(error))
        finally:
            engine.dispose()
        if keys.count > 1:
            typer.echo(f"Re-encrypted {rewritten} stored secret(s) with the first key of SECRET_KEYS: the other "
                       f"{keys.count - 1} key(s) can now be dropped from SECRET_KEYS (then restart).")
        else:
            typer.echo(f"Re-encrypted {rewritten} stored secret(s) with SECRET_KEYS's key.")
