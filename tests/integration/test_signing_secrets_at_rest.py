"""A signed intake key's signing secret must be read back to check X-Signature, so it cannot be a
hash like the key itself: it is kept encrypted with SECRET_KEYS, as the chat tokens are. A
database dump alone never lets anyone sign a request."""

from __future__ import annotations

import logging

import pytest
from alembic import command
from sqlalchemy import text
from typer.testing import CliRunner

from chatbot.core import Core, alembic_config, bootstrap, upgrade_database
from chatbot.intake import apikeys
from chatbot.secret_keys import SecretKeyError, SecretKeys
from chatbot.team import roster
from entrypoints.cli import app
from tests.conftest import SECRET_KEYS

OTHER_KEY = "YW5vdGhlci1rZXktdGhhdC1zZWFsZWQtbm90aGluZyE="
BODY = b'{"source": "crm", "external_id": "C-1"}'


def stored_secrets(core) -> list[str]:
    with core.engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT hmac_secret FROM apikey ORDER BY id"))]


def revision(core) -> str:
    with core.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_a_signed_keys_secret_is_stored_encrypted_and_still_checks_signatures(core, team):
    made = apikeys.create_key(core, team.id, "crm", signed=True)

    [stored] = stored_secrets(core)
    assert stored != made.hmac_secret and made.hmac_secret not in stored
    caller = apikeys.authenticate(core, made.key)
    assert apikeys.signature_ok(caller, BODY, apikeys.sign(made.hmac_secret, BODY))
    assert not apikeys.signature_ok(caller, BODY, apikeys.sign(stored, BODY))  # the stored text signs nothing


def test_a_signed_key_is_not_made_without_secret_keys_and_nothing_is_stored(tmp_path, clock):
    keyless = bootstrap(f"sqlite:///{tmp_path / 'keyless.db'}", clock)
    team = roster.ensure_team(keyless, name="Demo Motors", platform="api", platform_team_id="demo")

    with pytest.raises(apikeys.NoSecretKeys) as refused:
        apikeys.create_key(keyless, team.id, "crm", signed=True)

    assert refused.value.message == (
        "A signed key's secret is kept encrypted, and SECRET_KEYS is not set: make one with `chatbot secrets "
        "new-key` (or python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'), "
        "set SECRET_KEYS to it and make the key again.")
    assert stored_secrets(keyless) == []
    assert apikeys.create_key(keyless, team.id, "cars.com").hmac_secret is None  # unsigned keys need no key
    keyless.engine.dispose()


def test_a_signing_secret_no_key_opens_is_refused_with_one_line(core, team, caplog):
    made = apikeys.create_key(core, team.id, "crm", signed=True)
    other = Core(engine=core.engine, clock=core.clock, secret_keys=SecretKeys.parse(OTHER_KEY))

    with caplog.at_level(logging.INFO, logger="chatbot.intake.apikeys"):
        assert apikeys.authenticate(other, made.key) is None

    assert [r.getMessage() for r in caplog.records] == [
        f"intake key {made.prefix}: its signing secret cannot be opened with SECRET_KEYS; refused"]
    assert made.hmac_secret not in caplog.text


def test_the_upgrade_encrypts_signing_secrets_kept_before_and_refuses_without_a_key(core, team):
    made = apikeys.create_key(core, team.id, "crm")  # then given a secret as the code before 0013 kept it
    with core.engine.begin() as connection:
        connection.execute(text("UPDATE apikey SET hmac_secret = 'kept-in-plain-text-before-0013'"))
    command.downgrade(alembic_config(core.engine), "0012")

    with pytest.raises(SecretKeyError) as refused:
        upgrade_database(core.engine)
    assert str(refused.value) == (
        "SECRET_KEYS is not set and the database holds 1 intake signing secret(s) in plain text: make one with "
        "`chatbot secrets new-key` (or python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key()"
        ".decode())'), set SECRET_KEYS to it and upgrade again (nothing changed)")
    assert revision(core) == "0012" and stored_secrets(core) == ["kept-in-plain-text-before-0013"]

    assert upgrade_database(core.engine, SECRET_KEYS) == ["0013", "0014"]

    assert revision(core) == "0014" and "kept-in-plain-text" not in stored_secrets(core)[0]
    caller = apikeys.authenticate(core, made.key)
    assert apikeys.signature_ok(caller, BODY, apikeys.sign("kept-in-plain-text-before-0013", BODY))

    command.downgrade(alembic_config(core.engine, SECRET_KEYS), "0012")  # the code before 0013 reads plain text
    assert stored_secrets(core) == ["kept-in-plain-text-before-0013"]
    upgrade_database(core.engine, SECRET_KEYS)


def test_rotating_the_key_re_encrypts_signing_secrets_too(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'rotate.db'}"
    monkeypatch.setenv("SECRET_KEYS", OTHER_KEY)
    runner = CliRunner()
    assert runner.invoke(app, ["team", "create", "--name", "Demo Motors", "--database-url", url]).exit_code == 0
    created = runner.invoke(app, ["keys", "create", "--name", "crm", "--hmac", "--database-url", url])
    assert created.exit_code == 0, created.output
    key, secret = [line.strip() for line in created.output.splitlines() if line.startswith("  ")]

    monkeypatch.setenv("SECRET_KEYS", f"{SECRET_KEYS},{OTHER_KEY}")
    rotated = runner.invoke(app, ["secrets", "rotate", "--database-url", url])

    assert rotated.exit_code == 0, rotated.output
    assert rotated.output == ("Re-encrypted 1 stored secret(s) with the first key of SECRET_KEYS: the other 1 key(s) "
                              "can now be dropped from SECRET_KEYS (then restart).\n")
    new_only = bootstrap(url, secret_keys=SECRET_KEYS)
    assert apikeys.signature_ok(apikeys.authenticate(new_only, key), BODY, apikeys.sign(secret, BODY))
    new_only.engine.dispose()
