"""SECRET_KEYS: the first key encrypts, every key decrypts; a malformed key is one sentence that
never repeats the key; the log masker and `chatbot doctor` know every secret setting."""

from __future__ import annotations

import io
import logging

import pytest

from chatbot.secret_keys import SecretKeyError, SecretKeys, looks_sealed
from entrypoints import config
from entrypoints.logs import configure

FIRST = "Zmlyc3Qta2V5LWZvci10aGUtdW5pdC10ZXN0cy0zMiE="
SECOND = "c2Vjb25kLWtleS1mb3ItdGhlLXVuaXQtdGVzdHMtMzI="
TOKEN = "xoxb-1111-2222-fakefakefakefakefake"


def test_unset_or_blank_is_no_key():
    assert SecretKeys.parse(None) is None and SecretKeys.parse("") is None and SecretKeys.parse(" , ") is None


def test_the_first_key_encrypts_and_every_key_decrypts():
    old, both = SecretKeys.parse(SECOND), SecretKeys.parse(f" {FIRST} , {SECOND} ")
    sealed_by_old = old.seal(TOKEN)

    assert both.count == 2 and both.open(sealed_by_old) == TOKEN
    assert not both.sealed_with_first(sealed_by_old)
    resealed = both.reseal(sealed_by_old)
    assert both.sealed_with_first(resealed) and SecretKeys.parse(FIRST).open(resealed) == TOKEN
    assert both.reseal(TOKEN) != TOKEN and both.open(both.reseal(TOKEN)) == TOKEN  # plain text gets sealed
    assert both.seal(TOKEN) != both.seal(TOKEN)  # a new IV each time: equal tokens do not look equal stored


def test_a_token_sealed_with_a_dropped_key_is_refused_in_one_sentence():
    with pytest.raises(SecretKeyError) as refused:
        SecretKeys.parse(FIRST).open(SecretKeys.parse(SECOND).seal(TOKEN))
    assert str(refused.value) == ("a stored token cannot be decrypted with SECRET_KEYS: the key that encrypted it is "
                                  "not among them (put it back, after the new one)")


@pytest.mark.parametrize("text, which", [("not-a-key", "its key"), (f"{FIRST},short", "key 2 of 2"),
                                         (FIRST[:-4] + "!!!=", "its key")])
def test_a_malformed_key_is_named_by_position_never_shown(text, which):
    with pytest.raises(SecretKeyError) as refused:
        SecretKeys.parse(text)
    message = str(refused.value)
    assert message.startswith(f"SECRET_KEYS cannot be read: {which} is not a Fernet key (44 characters of url-safe "
                              f"base64); make one with `chatbot secrets new-key`")
    assert "short" not in message and "not-a-key" not in message and FIRST not in message


def test_only_fernet_tokens_look_sealed():
    keys = SecretKeys.parse(FIRST)
    assert looks_sealed(keys.seal(TOKEN)) and looks_sealed(keys.seal(""))
    for plain in (TOKEN, "xoxp-3333-4444-installinguserfakefake", "xoxe.xoxb-1-" + "R" * 180,
                  "https://hooks.slack.com/services/T0/B0/abc", "", "gAAAAA", "é"):
        assert not looks_sealed(plain)


def test_the_masker_knows_the_teams_password_and_each_secret_key(monkeypatch):
    assert {"teams_app_password", "secret_keys"} <= config.SECRETS
    settings = config.Settings(_env_file=None, teams_app_password="teams-pass-xyz", secret_keys=f"{FIRST},{SECOND}")
    assert {"teams-pass-xyz", FIRST, SECOND} <= set(settings.secrets())

    out = io.StringIO()
    configure(level=logging.INFO, stream=out, secrets=settings.secrets())
    logging.getLogger("chatbot.test").warning("key=%s password=%s both=%s", SECOND, "teams-pass-xyz",
                                              f"{FIRST},{SECOND}")
    written = out.getvalue()
    assert "teams-pass-xyz" not in written and FIRST not in written and SECOND not in written
    assert written.count("(redacted)") == 3  # the whole SECRET_KEYS value is one
