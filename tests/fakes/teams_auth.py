"""A local stand-in for Microsoft's token issuers, so the Agents SDK's real JWT validation runs.

`LocalIssuer` makes a test RSA key and serves, over real HTTP on 127.0.0.1, an OpenID
configuration (``/.well-known/openid-configuration``) and its JWKS (``/keys``), each key with
the `endorsements` the Bot Framework publishes (the channels it may sign for: ``msteams``).
It signs the tokens Teams would send (the Bot Connector's: iss = the Bot Framework's issuer,
aud = our app id, serviceurl, exp; any claim can be chosen: another issuer, a `tid`, another
serviceurl) and the tokens the bot would get from Microsoft Entra for calling the Connector.

How the SDK is pointed at it: the SDK validates a token by looking its issuer up in
`BOTFRAMEWORK_JWKS_URIS` (issuer -> JWKS URL) and fetching the keys with PyJWT's PyJWKClient.
`trust(monkeypatch)` points the Bot Framework's own issuer (https://api.botframework.com) at
this JWKS for one test, and `trust(monkeypatch, issuer=...)` any other issuer (a foreign
tenant's Entra issuer: its keys fetchable, so only the issuer allow-list can refuse it);
signature, audience, expiry, issuer and tenant checks are the SDK's own code, unchanged.

`LocalTokenProvider` stands in for MSAL (which insists on an https authority and Microsoft's
instance discovery): the bot's outgoing calls carry a token signed here, which the fake
Connector verifies with the same key.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from http.server import BaseHTTPRequestHandler

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_agents.hosting.core.authorization import AccessTokenProviderBase

from tests.fakes.local_server import LocalServer

APP_ID = "00000000-0000-4000-8000-00000000a11d"
CONNECTOR_AUDIENCE = "https://api.botframework.com"
BOT_FRAMEWORK = "https://api.botframework.com"  # the issuer of every token Teams' Bot Connector sends
TEAMS_ENDORSEMENTS = ["msteams"]


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()



class LocalIssuer(LocalServer):
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # Its own key id, and a JWKS address of its own (/keys/<kid>): the SDK keeps a key client
        # per JWKS address for the whole process, and a later issuer may get the port an earlier
        # one had; an address no earlier issuer had means no cached keys can stand in for its own.
        self.kid = f"test-key-{uuid.uuid4().hex[:12]}"
        self.published: dict[str, tuple[rsa.RSAPrivateKey, list[str] | None]] = {
            self.kid: (self.key, TEAMS_ENDORSEMENTS)}
        self.fetches = 0

    # -- serving ------------------------------------------------------------------------------

    def handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.issuer, "jwks_uri": issuer.jwks_uri,
                            "id_token_signing_alg_values_supported": ["RS256"]}
                elif self.path in ("/keys", f"/keys/{issuer.kid}"):
                    issuer.fetches += 1
                    body = issuer.jwks()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    @property
    def url(self) -> str:
        return f"{self.root}"

    @property
    def issuer(self) -> str:
        return BOT_FRAMEWORK

    @property
    def jwks_uri(self) -> str:
        return f"{self.url}/keys/{self.kid}"

    def jwks(self) -> dict:
        keys = []
        for kid, (key, endorsements) in self.published.items():
            numbers = key.public_key().public_numbers()
            keys.append({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": _b64(numbers.n),
                         "e": _b64(numbers.e), **({"endorsements": endorsements} if endorsements is not None else {})})
        return {"keys": keys}

    def publish(self, endorsements: list[str] | None) -> tuple[rsa.RSAPrivateKey, str]:
        """Another key in this issuer's JWKS, endorsed for `endorsements` (None: no such field), and
        its key id. Publish before the first request: the SDK refetches keys at most every 30 s."""
        key, kid = rsa.generate_private_key(public_exponent=65537, key_size=2048), f"more-{uuid.uuid4().hex[:12]}"
        self.published[kid] = (key, endorsements)
        return key, kid

    def trust(self, monkeypatch, issuer: str = BOT_FRAMEWORK) -> None:
        """Make the SDK fetch the keys of tokens claiming `issuer` from here (for one test)."""
        from microsoft_agents.hosting.core.authorization import _entra_issuers

        monkeypatch.setitem(_entra_issuers.BOTFRAMEWORK_JWKS_URIS, issuer, self.jwks_uri)

    # -- tokens -------------------------------------------------------------------------------

    def token(self, *, audience: str = APP_ID, service_url: str | None = None, expires_in: int = 3600,
              key=None, kid: str | None = None, **claims) -> str:
        """A token as the Bot Connector sends it with each activity (`claims` add or replace any, e.g. iss, tid)."""
        now = int(time.time())
        body = {"iss": self.issuer, "aud": audience, "iat": now - 5, "nbf": now - 5, "exp": now + expires_in,
                **({"serviceurl": service_url} if service_url else {}), **claims}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def verify(self, token: str, audience: str = CONNECTOR_AUDIENCE) -> dict:
        return jwt.decode(token, self.key.public_key(), algorithms=["RS256"], audience=audience)


class LocalTokenProvider(AccessTokenProviderBase):
    """The bot's credential, as MSAL would give it: a token for the Connector, signed by the issuer."""

    def __init__(self, issuer: LocalIssuer, configuration) -> None:
        self.issuer, self._configuration = issuer, configuration
        self.requests: list[tuple[str, list[str]]] = []

    @property
    def configuration(self):
        return self._configuration

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        self.requests.append((resource_url, list(scopes or [])))
        now = int(time.time())
        return jwt.encode({"iss": self.issuer.issuer, "aud": CONNECTOR_AUDIENCE, "appid": APP_ID, "iat": now,
                           "exp": now + 3600, "jti": uuid.uuid4().hex}, self.issuer.key, algorithm="RS256",
                          headers={"kid": self.issuer.kid})

    def get_token_credential(self):  # not used by the bot
        raise NotImplementedError

    async def acquire_token_on_behalf_of(self, scopes: list[str], user_assertion: str) -> str:
        raise NotImplementedError

    async def get_agentic_application_token(self, tenant_id: str, agent_app_instance_id: str):
        raise NotImplementedError

    async def get_agentic_instance_token(self, tenant_id: str, agent_app_instance_id: str):
        raise NotImplementedError

    async def get_agentic_user_token(self, tenant_id, agent_app_instance_id, agentic_user_id, scopes):
        raise NotImplementedError
