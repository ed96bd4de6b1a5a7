"""API keys for lead intake: create, list, revoke, and check what a request presents.

A key reads ``lf_<prefix>.<secret>``. The prefix is public (lists, logs); the database keeps
only the SHA-256 of the secret, so a leaked database does not leak working keys. A key made
with ``hmac=True`` also carries a signing secret: requests must send
``X-Signature: sha256=<hex HMAC-SHA256 of the raw body>``. That secret must be read back to
check a signature, so it is kept encrypted with SECRET_KEYS (`Core.secret_keys`), like the chat
tokens: a signed key cannot be made without a key to seal it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from chatbot.errors import FollowUpError
from chatbot.secret_keys import MAKE_ONE, SecretKeyError
from chatbot.store.db import transaction
from chatbot.store.models import ApiKey, Team

log = logging.getLogger(__name__)

KEY_START = "lf_"
SEALED_COLUMNS = {ApiKey.__tablename__: ("hmac_secret",)}
"""The columns of the core's own tables that hold a secret sealed with SECRET_KEYS."""


class UnknownKey(FollowUpError):
    pass


class BadRate(FollowUpError):
    pass


@dataclass(frozen=True)
class NewKey:
    """What the person creating a key sees, once: the key itself and its signing secret."""

    id: int
    team_id: int
    name: str
    prefix: str
    key: str
    hmac_secret: str | None


@dataclass(frozen=True)
class KeyInfo:
    id: int
    team_id: int
    team_name: str
    name: str
    prefix: str
    signed: bool
    created_at: datetime
    revoked_at: datetime | None
    rate_per_minute: int | None = None  # None: rate_limits.DEFAULT_PER_MINUTE


@dataclass(frozen=True)
class Caller:
    """Who a request came from, once its key checked out (no secrets in here)."""

    key_id: int
    team_id: int
    name: str
    prefix: str
    hmac_secret: str | None
    rate_per_minute: int | None = None  # None: rate_limits.DEFAULT_PER_MINUTE


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class NoSecretKeys(FollowUpError):
    pass


def create_key(core, team_id: int, name: str, *, signed: bool = False) -> NewKey:
    if signed and core.secret_keys is None:
        raise NoSecretKeys(f"A signed key's secret is kept encrypted, and SECRET_KEYS is not set: {MAKE_ONE}, set "
                           "SECRET_KEYS to it and make the key again.")
    prefix = KEY_START + secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    signing = secrets.token_urlsafe(32) if signed else None
    with transaction(core.engine) as session:
        if session.get(Team, team_id) is None:
            raise UnknownKey(f"There is no team #{team_id}.")
        row = ApiKey(team_id=team_id, name=name, prefix=prefix, secret_sha256=_digest(secret),
                     hmac_secret=core.secret_keys.seal(signing) if signing else None, created_at=core.clock.now())
        session.add(row)
        session.flush()
        return NewKey(row.id, team_id, name, prefix, f"{prefix}.{secret}", signing)


def list_keys(core, team_id: int | None = None) -> list[KeyInfo]:
    with transaction(core.engine) as session:
        query = select(ApiKey, Team.name).join(Team, Team.id == ApiKey.team_id).order_by(ApiKey.id)
        if team_id is not None:
            query = query.where(ApiKey.team_id == team_id)
        return [_info(k, team_name) for k, team_name in session.exec(query)]


def _info(key: ApiKey, team_name: str) -> KeyInfo:
    return KeyInfo(key.id, key.team_id, team_name, key.name, key.prefix, key.hmac_secret is not None,
                   key.created_at, key.revoked_at, key.rate_per_minute)


def _key_by_prefix(session, prefix: str) -> ApiKey:
    wanted = prefix.strip().split(".", 1)[0]  # a full key is accepted too: only its prefix is read
    key = session.exec(select(ApiKey).where(ApiKey.prefix == wanted)).first()
    if key is None:
        raise UnknownKey(f"No key starts with {wanted}. `chatbot keys list` shows them.")
    return key


def revoke_key(core, prefix: str) -> KeyInfo:
    """Revoke a key by its prefix."""
    with transaction(core.engine) as session:
        key = _key_by_prefix(session, prefix)
        key.revoked_at = key.revoked_at or core.clock.now()
        session.add(key)
        return _info(key, session.get(Team, key.team_id).name)


def set_rate(core, prefix: str, per_minute: int | None) -> KeyInfo:
    """Set how many requests a minute a key may make (None: back to the default). A web process
    reads it on the key's next request."""
    if per_minute is not None and not 1 <= per_minute <= 100_000:
        raise BadRate(f"A rate is 1 to 100,000 requests a minute, not {per_minute:,}.")
    with transaction(core.engine) as session:
        key = _key_by_prefix(session, prefix)
        key.rate_per_minute = per_minute
        session.add(key)
        return _info(key, session.get(Team, key.team_id).name)


def authenticate(core, presented: str | None) -> Caller | None:
    """The caller a presented key belongs to, or None (unknown, malformed or revoked)."""
    if not presented:
        return None
    prefix, dot, secret = presented.strip().partition(".")
    if not dot or not secret or not prefix.startswith(KEY_START) or len(prefix) > 40:
        return None
    keys = ApiKey.__table__.c  # every intake request asks: one Core SELECT, no ORM session
    with core.engine.connect() as connection:
        key = connection.execute(
            select(keys.id, keys.team_id, keys.name, keys.prefix, keys.hmac_secret, keys.secret_sha256,
                   keys.rate_per_minute)
            .where(keys.prefix == prefix, keys.revoked_at.is_(None))
        ).first()
    if key is None or not hmac.compare_digest(key.secret_sha256, _digest(secret)):
        return None
    signing = None
    if key.hmac_secret is not None:
        try:
            if core.secret_keys is None:
                raise SecretKeyError("SECRET_KEYS is not set")
            signing = core.secret_keys.open(key.hmac_secret)
        except SecretKeyError:
            log.error("intake key %s: its signing secret cannot be opened with SECRET_KEYS; refused", key.prefix)
            return None
    return Caller(key.id, key.team_id, key.name, key.prefix, signing, key.rate_per_minute)


def signature_ok(caller: Caller, body: bytes, header: str | None) -> bool:
    """True when the key needs no signature, or `header` is sha256=<hex HMAC of body>."""
    if caller.hmac_secret is None:
        return True
    if not header:
        return False
    scheme, _, given = header.strip().partition("=")
    if scheme.lower() != "sha256" or not given or not given.isascii():
        return False  # compare_digest takes ASCII text only: anything else is simply not the signature
    expected = hmac.new(caller.hmac_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def sign(secret: str, body: bytes) -> str:
    """The X-Signature header value a sender computes (used by tests, docs and benchmarks)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class RecentKeys:
    """Who each presented key turned out to be, remembered for `ttl_s` seconds (unknown and revoked
    keys too), at most `size` keys, the oldest forgotten first: a sender posting many requests a
    second costs one database lookup every few seconds, not one per request, so its 429s and 401s
    are answered without the database. A key revoked meanwhile stops working within `ttl_s`.
    Only a hash of each presented key is kept."""

    def __init__(self, core, ttl_s: float = 5.0, size: int = 1024,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.core, self.ttl_s, self.size, self._monotonic = core, ttl_s, size, monotonic
        self._seen: OrderedDict[str, tuple[float, Caller | None]] = OrderedDict()
        self._lock = threading.Lock()

    def recalled(self, presented: str | None) -> tuple[bool, Caller | None]:
        """(True, who) when this key was looked up less than `ttl_s` ago; (False, None) when it must be."""
        if not presented:
            return True, None
        with self._lock:
            seen = self._seen.get(_digest(presented))
        if seen is None or seen[0] <= self._monotonic():
            return False, None
        return True, seen[1]

    def authenticate(self, presented: str | None) -> Caller | None:
        """`authenticate`, remembered."""
        caller = authenticate(self.core, presented)
        if presented:
            with self._lock:
                self._seen[_digest(presented)] = (self._monotonic() + self.ttl_s, caller)
                self._seen.move_to_end(_digest(presented))
                while len(self._seen) > self.size:
                    self._seen.popitem(last=False)
        return caller

