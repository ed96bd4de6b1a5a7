"""SECRET_KEYS: the keys that encrypt the chat tokens kept in the database.

A Slack bot token in a database dump is a working key to that workspace; encrypted, the dump
alone is not. SECRET_KEYS holds one or more Fernet keys, comma-separated (cryptography's
MultiFernet): the first encrypts, every one decrypts. A key is rotated by putting the new one
first, re-encrypting what is stored with it, then dropping the old one.

Pure: no database, no environment. The composition root reads the variable and hands the text
to `SecretKeys.parse`; the Slack installation store and the migrations call the same methods.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

MAKE_ONE = ("make one with `chatbot secrets new-key` (or python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')")
_FERNET_VERSION = 0x80
_SMALLEST_TOKEN = 1 + 8 + 16 + 16 + 32  # version, time, IV, one AES block, HMAC


class SecretKeyError(ValueError):
    """SECRET_KEYS is missing, malformed, or does not open what is stored: one sentence, no secret in it."""


@dataclass(frozen=True, eq=False)
class SecretKeys:
    """The keys from SECRET_KEYS: `seal` encrypts with the first, `open` decrypts with any."""

    _keys: tuple[Fernet, ...]

    @classmethod
    def parse(cls, text: str | None) -> SecretKeys | None:
        """The keys in SECRET_KEYS's text; None when it is unset or blank; SecretKeyError when a key is not one."""
        parts = [part.strip() for part in (text or "").split(",")]
        if not any(parts):
            return None
        keys = []
        for n, part in enumerate(parts, start=1):
            try:
                keys.append(Fernet(part))
            except (ValueError, binascii.Error):
                which = f"key {n} of {len(parts)}" if len(parts) > 1 else "its key"
                raise SecretKeyError(f"SECRET_KEYS cannot be read: {which} is not a Fernet key (44 characters of "
                                     f"url-safe base64); {MAKE_ONE}") from None
        return cls(tuple(keys))

    @property
    def count(self) -> int:
        return len(self._keys)

    def seal(self, plaintext: str) -> str:
        """`plaintext` encrypted with the first key (a Fernet token: different each time)."""
        return self._keys[0].encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        """What `seal` encrypted, with whichever key did it; SecretKeyError when none of the keys did."""
        try:
            return MultiFernet(list(self._keys)).decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretKeyError("a stored token cannot be decrypted with SECRET_KEYS: the key that encrypted it is "
                                 "not among them (put it back, after the new one)") from None

    def reseal(self, stored: str) -> str:
        """A stored value encrypted with the first key: plain text sealed, another key's token re-sealed."""
        return self.seal(self.open(stored) if looks_sealed(stored) else stored)

    def sealed_with_first(self, sealed: str) -> bool:
        try:
            self._keys[0].decrypt(sealed.encode())
            return True
        except InvalidToken:
            return False


def looks_sealed(value: str) -> bool:
    """Whether `value` has the shape of a Fernet token (what `seal` makes), whatever key made it.

    Chat tokens in plain text (`xoxb-...`, `xoxe-...`) never have it: their first byte decodes
    to no Fernet version.
    """
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return False
    return len(raw) >= _SMALLEST_TOKEN and raw[0] == _FERNET_VERSION and (len(raw) - 57) % 16 == 0
