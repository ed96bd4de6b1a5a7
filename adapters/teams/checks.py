"""What the Agents SDK does not check about a request to /api/messages, checked right after its
token validation and before the bot runs, so a refused request changes nothing and nothing is sent:

- the body is an activity (activity_body.py): else 415, 413 or 400 with a short reason, never a 500;
- the token vouches for where the replies go: its `serviceurl` claim equals the activity's
  serviceUrl (the SDK compares hosts only, and only with its host validator on), and a token
  that names its tenant (`tid`) names the activity's: else 401;
- a Bot Framework token was signed by a key the Bot Framework endorses for the activity's
  channel (its JWKS lists, per key, the channels it may sign for; the SDK ignores them): else
  401; and the channel is Teams (`msteams`): else 403. Entra's keys carry no endorsements;
- the serviceUrl names one of TEAMS_SERVICE_URL_HOSTS (the bot sends its own token there),
  over https (http only to a loopback host listed, a local test Connector): else 403;
- the tenant is one TEAMS_ALLOWED_TENANTS lets in (unset: any): else 403.
Anonymous development mode has no token: only the body, host and tenant checks apply.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

import jwt
from jwt import PyJWKClient
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core.authorization import ClaimsIdentity
from microsoft_agents.hosting.core.authorization._entra_issuers import (
    BOTFRAMEWORK_GOV_ISSUER,
    BOTFRAMEWORK_JWKS_URIS,
    BOTFRAMEWORK_PUBLIC_ISSUER,
)

from adapters.http_errors import Refused
from adapters.teams.activity_body import quiet_the_models_validation_log, read_activity
from adapters.teams.chat import host_allowed
from adapters.teams.services import tenant_of
from adapters.teams.settings import TeamsSettings

TEAMS_CHANNEL = "msteams"
BOT_FRAMEWORK_ISSUERS = (BOTFRAMEWORK_PUBLIC_ISSUER, BOTFRAMEWORK_GOV_ISSUER)


def channel_of(activity: Activity) -> str:
    """The activity's channel ('msteams'), without a sub-channel ('msteams:copilot' -> 'msteams')."""
    channel = getattr(activity.channel_id, "channel", None) or activity.channel_id or ""
    return str(channel).lower()


def same_url(a: str, b: str) -> bool:
    return a.rstrip("/").casefold() == b.rstrip("/").casefold()


class _EndorsingKeys(PyJWKClient):
    """PyJWT's key client (its cache, its refresh for an unknown key id) that also keeps each key's
    `endorsements`: the channels the Bot Framework lets that key sign for (PyJWK drops the field)."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.endorsements: dict[str, object] = {}
        self.lock = threading.Lock()

    def fetch_data(self):
        data = super().fetch_data()
        keys = data.get("keys") if isinstance(data.get("keys"), list) else []
        self.endorsements = {key["kid"]: key.get("endorsements") for key in keys
                             if isinstance(key, dict) and isinstance(key.get("kid"), str)}
        return data

    def channels(self, kid: str) -> frozenset[str]:
        with self.lock:
            self.get_signing_key(kid)  # from the cached set, or fetched (again, for a key id it lacks)
            found = self.endorsements.get(kid)
        return frozenset(c.lower() for c in found if isinstance(c, str)) if isinstance(found, list) else frozenset()


class Endorsements:
    """The channels each Bot Framework key is endorsed for, one key client per JWKS address for the
    process (as the SDK keeps its own): a key set is fetched once and kept 5 minutes."""

    _clients: dict[str, _EndorsingKeys] = {}
    _lock = threading.Lock()

    def channels(self, jwks_uri: str, kid: str) -> frozenset[str]:
        with self._lock:
            client = self._clients.get(jwks_uri)
            if client is None:
                client = self._clients[jwks_uri] = _EndorsingKeys(jwks_uri)
        return client.channels(kid)


@dataclass
class RequestChecks:
    settings: TeamsSettings
    endorsements: Endorsements

    def __post_init__(self) -> None:
        quiet_the_models_validation_log()

    async def admit(self, body: bytes, identity: ClaimsIdentity | None) -> Activity:
        """The activity, if the bot may act on it; else Refused (nothing has been read or written)."""
        activity = read_activity(body)
        claims = identity.claims if identity is not None else {}
        if claims or not self.settings.anonymous:
            await self._token_vouches(activity, identity)
        if not host_allowed(activity.service_url, self.settings.service_url_hosts):
            raise Refused(403, "the activity's serviceUrl is not on TEAMS_SERVICE_URL_HOSTS")
        allowed = self.settings.allowed_tenants
        tenant = tenant_of(activity)
        if allowed is not None and (not isinstance(tenant, str) or tenant.lower() not in allowed):
            raise Refused(403, "this tenant may not use the bot (TEAMS_ALLOWED_TENANTS)", detail=f"tenant={tenant!r:.60}")
        return activity

    async def _token_vouches(self, activity: Activity, identity: ClaimsIdentity | None) -> None:
        claims = identity.claims if identity is not None else {}
        claimed = claims.get("serviceurl")
        if not isinstance(claimed, str) or not same_url(claimed, activity.service_url):
            raise Refused(401, "the token was not issued for this activity's serviceUrl")
        token_tenant, named = claims.get("tid"), tenant_of(activity)
        if isinstance(token_tenant, str) and isinstance(named, str) and token_tenant.lower() != named.lower():
            raise Refused(401, "the token was issued in another tenant than the activity names")
        issuer = claims.get("iss")
        channel = channel_of(activity)
        if issuer in BOT_FRAMEWORK_ISSUERS:
            try:
                kid = jwt.get_unverified_header(identity.security_token or "").get("kid")
                endorsed = await asyncio.to_thread(self.endorsements.channels, BOTFRAMEWORK_JWKS_URIS[issuer], kid)
            except Exception as exc:  # noqa: BLE001 - keys that cannot be read endorse nothing
                raise Refused(401, "the token's key could not be checked", detail=type(exc).__name__) from None
            if not channel or channel not in endorsed:
                raise Refused(401, "the token's key is not endorsed for this channel")
        if channel != TEAMS_CHANNEL:
            raise Refused(403, "this bot serves Microsoft Teams only")
