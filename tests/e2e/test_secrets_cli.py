"""`chatbot secrets` and the key's checks, run as a person runs them: a new key, a rotation with
no downtime (NEW,OLD, rotate, NEW), `chatbot doctor` saying when the old key may go and when a
stored token cannot be decrypted, and one clear line (never a traceback) when the key is
missing where tokens are or will be stored."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from typer.testing import CliRunner

from adapters.slack.oauth import installation_store
from chatbot.core import bootstrap
from chatbot.secret_keys import SecretKeyError, SecretKeys
from entrypoints import config
from entrypoints.cli import app
from tests.e2e.test_doctor import line

runner = CliRunner()
OLD = "b2xkLWtleS1mb3ItdGhlLXJvdGF0aW9uLXRlc3RzISE="
NEW = "bmV3LWtleS1mb3ItdGhlLXJvdGF0aW9uLXRlc3RzISE="
STRANGER = "c3RyYW5nZXIta2V5LW5ldmVyLXVzZWQtYnktdXMhISE="
BOT_TOKEN = "xoxb-7777-8888-rotatedrotatedrotated"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Nothing of ours in the environment, no .env; returns the URL of an SQLite file there."""
    monkeypatch.chdir(tmp_path)
    for name in config.Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    return f"sqlite:///{tmp_path / 'secrets.db'}"


def chatbot(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output and not isinstance(result.exception, (KeyError, AttributeError))
    return result.exit_code, result.output.splitlines()


def installed(url: str, key: str):
    core = bootstrap(url)
    installation_store(core.engine, "1111.2222", SecretKeys.parse(key)).save(Installation(
        app_id="A0LEADAPP", team_id="T0DEALER1", bot_token=BOT_TOKEN, bot_id="B0LEADBOT", bot_user_id="U0LEADBOT",
        bot_scopes=["chat:write"], user_id="U0INSTALL1"))
    return core


def found_with(core, key: str) -> str:
    return installation_store(core.engine, "1111.2222", SecretKeys.parse(key)).find_bot(
        enterprise_id=None, team_id="T0DEALER1").bot_token


def test_new_key_prints_a_fernet_key_each_time_another():
    first, second = chatbot("secrets", "new-key"), chatbot("secrets", "new-key")

    assert first[0] == 0 and len(first[1]) == 1 and first[1] != second[1]
    Fernet(first[1][0])  # a key Fernet takes
    assert SecretKeys.parse(first[1][0]).count == 1


def test_rotating_the_key_new_first_then_rotate_then_the_old_key_dropped(env, monkeypatch):
    core = installed(env, OLD)
    monkeypatch.setenv("SECRET_KEYS", f"{NEW},{OLD}")

    code, lines = chatbot("doctor", "--database-url", env)
    assert line(lines, "secret keys") == (
        "✓ secret keys: 2 stored secret(s) decrypt; 2 still need an older key: run `chatbot secrets rotate` "
        "before dropping it from SECRET_KEYS")

    code, lines = chatbot("secrets", "rotate", "--database-url", env)
    assert (code, lines) == (0, ["Re-encrypted 2 stored secret(s) with the first key of SECRET_KEYS: the other 1 "
                                 "key(s) can now be dropped from SECRET_KEYS (then restart)."])
    code, lines = chatbot("doctor", "--database-url", env)
    assert line(lines, "secret keys") == ("✓ secret keys: all 2 stored secret(s) are encrypted with the first key "
                                          "of SECRET_KEYS: the other 1 can be dropped")

    monkeypatch.setenv("SECRET_KEYS", NEW)
    assert found_with(core, NEW) == BOT_TOKEN
    code, lines = chatbot("doctor", "--database-url", env)
    assert line(lines, "secret keys") == "✓ secret keys: all 2 stored secret(s) are encrypted with SECRET_KEYS and decrypt"
    assert NEW not in "\n".join(lines) and BOT_TOKEN not in "\n".join(lines)


def test_a_key_that_opens_nothing_stored_is_red_and_rotate_changes_nothing(env, monkeypatch):
    core = installed(env, OLD)
    monkeypatch.setenv("SECRET_KEYS", STRANGER)

    code, lines = chatbot("doctor", "--database-url", env)
    assert code == 1
    assert line(lines, "secret keys") == (
        "✗ secret keys: 2 stored secret(s) cannot be decrypted with SECRET_KEYS: the key that encrypted them was "
        "dropped or changed; put it back (after the new one)")

    code, lines = chatbot("secrets", "rotate", "--database-url", env)
    assert (code, lines) == (1, ["2 stored token(s) cannot be decrypted with SECRET_KEYS: the key that encrypted them "
                                 "is not among them (put it back, after the new one); nothing changed"])
    assert found_with(core, OLD) == BOT_TOKEN


def test_tokens_in_plain_text_are_red_until_rotate_encrypts_them(env, monkeypatch):
    core = bootstrap(env)
    plain = SQLAlchemyInstallationStore(client_id="1111.2222", engine=core.engine)  # as an old process would
    plain.create_tables()
    plain.save_bot(Installation(app_id="A0LEADAPP", team_id="T0DEALER1", bot_token=BOT_TOKEN, bot_id="B0LEADBOT",
                                bot_user_id="U0LEADBOT", bot_scopes=["chat:write"], user_id="U0INSTALL1").to_bot())
    monkeypatch.setenv("SECRET_KEYS", NEW)

    code, lines = chatbot("doctor", "--database-url", env)
    assert code == 1 and line(lines, "secret keys") == (
        "✗ secret keys: 1 stored secret(s) are in plain text (a database dump would hand them over): "
        "run `chatbot secrets rotate`")

    assert chatbot("secrets", "rotate", "--database-url", env)[0] == 0
    assert found_with(core, NEW) == BOT_TOKEN


def test_without_a_key_the_upgrade_and_an_oauth_start_are_one_line_each(env, monkeypatch):
    core = bootstrap(env)
    plain = SQLAlchemyInstallationStore(client_id="1111.2222", engine=core.engine)
    plain.create_tables()
    plain.save_bot(Installation(app_id="A0LEADAPP", team_id="T0DEALER1", bot_token=BOT_TOKEN, bot_id="B0LEADBOT",
                                bot_user_id="U0LEADBOT", bot_scopes=["chat:write"], user_id="U0INSTALL1").to_bot())
    with core.engine.begin() as connection:  # back to before the revision that encrypts them
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0011'")

    code, lines = chatbot("db", "upgrade", "--database-url", env)
    assert (code, lines) == (1, [
        "SECRET_KEYS is not set and the database holds 1 Slack token(s) in plain text: make one with `chatbot secrets "
        "new-key` (or python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'), set "
        "SECRET_KEYS to it and upgrade again (nothing changed)"])

    for name, value in (("SLACK_CLIENT_ID", "1111.2222"), ("SLACK_CLIENT_SECRET", "client-secret"),
                        ("SLACK_SIGNING_SECRET", "signing-secret")):
        monkeypatch.setenv(name, value)
    code, lines = chatbot("web", "--database-url", env)
    assert code == 1 and lines == [
        "SECRET_KEYS is not set: with SLACK_CLIENT_ID each workspace's token is kept in the database, encrypted with "
        "it; make one with `chatbot secrets new-key` (or python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'), set SECRET_KEYS to it and start again"]

    monkeypatch.setenv("SECRET_KEYS", "not-a-key")
    code, lines = chatbot("doctor", "--database-url", env)
    assert any(text.startswith("✗ configuration: SECRET_KEYS cannot be read: its key is not a Fernet key")
               for text in lines)
    assert line(lines, "secret keys") == "– secret keys: not checked: SECRET_KEYS cannot be read (see configuration)"
    assert "not-a-key" not in "\n".join(lines)


def test_a_token_no_key_opens_is_a_clear_error_not_a_wrong_token(env):
    core = installed(env, OLD)
    with pytest.raises(SecretKeyError, match=r"^a stored token cannot be decrypted with SECRET_KEYS: the key that "
                                             r"encrypted it is not among them"):
        found_with(core, STRANGER)
