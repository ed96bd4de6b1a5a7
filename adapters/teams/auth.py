"""The Agents SDK's authentication, configured from TeamsSettings.

In: every request to /api/messages carries a JWT that the SDK's own validator checks
(signature against the issuer's published keys, audience = our app id, expiry, tenant
binding, and its issuer allow-list, which the SDK leaves off unless asked: `VALIDATE_ISSUER`);
none or a forged one is answered 401 and nothing runs. What the SDK does not check is checked
next, in adapters/teams/checks.py. Out: the SDK's MSAL connection gets the bot's token for the
Bot Connector (client secret or certificate).
"""

from __future__ import annotations

from collections.abc import Callable

from microsoft_agents.hosting.core import AgentAuthConfiguration, ConnectionManager
from microsoft_agents.hosting.core.authorization import AccessTokenProviderBase, AnonymousTokenProvider
from microsoft_agents.hosting.core.authorization.auth_types import AuthTypes
from microsoft_agents.hosting.core.authorization.authentication_constants import AuthenticationConstants

from adapters.teams.settings import TeamsSettings

SERVICE_CONNECTION = "SERVICE_CONNECTION"
CONNECTOR_RESOURCE = "https://api.botframework.com"
CONNECTOR_SCOPES = ["https://api.botframework.com/.default"]
BOT_FRAMEWORK_ISSUER = AuthenticationConstants.AGENTS_SDK_TOKEN_ISSUER  # https://api.botframework.com
ProviderFactory = Callable[[AgentAuthConfiguration], AccessTokenProviderBase]


def trusted_issuers(settings: TeamsSettings) -> list[str]:
    """Who may sign a request to the bot: the Bot Framework (Teams' Bot Connector) and, for a
    single-tenant bot, Microsoft Entra for the bot's own tenant only (v1 and v2 issuers). The SDK
    adds Microsoft's own first-party service tenants (bound to the token's `tid`)."""
    issuers = [BOT_FRAMEWORK_ISSUER]
    if settings.teams_tenant_id:
        tenant = settings.teams_tenant_id
        issuers += [AuthenticationConstants.VALID_TOKEN_ISSUER_URL_TEMPLATE_V1.format(tenant),
                    AuthenticationConstants.VALID_TOKEN_ISSUER_URL_TEMPLATE_V2.format(tenant)]
    return issuers


def auth_configuration(settings: TeamsSettings) -> AgentAuthConfiguration:
    """Who we are to Microsoft's identity platform; anonymous only in the explicit development mode."""
    if settings.anonymous:
        return AgentAuthConfiguration(anonymous_allowed=True)
    certificate = bool(settings.teams_cert_pfx_file)
    return AgentAuthConfiguration(
        auth_type=AuthTypes.certificate if certificate else AuthTypes.client_secret,
        client_id=settings.teams_app_id,
        tenant_id=settings.teams_tenant_id or "botframework.com",
        client_secret=None if certificate else settings.teams_app_password,
        cert_pfx_file=settings.teams_cert_pfx_file,
        anonymous_allowed=False,
        issuers=trusted_issuers(settings),
        validate_issuer=True,
    )


def connection_manager(config: AgentAuthConfiguration, provider_factory: ProviderFactory | None = None
                       ) -> ConnectionManager:
    """The SDK's connection manager; MSAL gets the tokens unless told otherwise (tests: a local issuer)."""
    if provider_factory is None:
        from microsoft_agents.authentication.msal import MsalAuth

        provider_factory = MsalAuth
    return ConnectionManager(provider_factory=provider_factory,
                             connections_configurations={SERVICE_CONNECTION: config})


def token_source(connections: ConnectionManager, anonymous: bool) -> Callable[[], object]:
    """What the chat port calls for each Connector request: the bot's token (empty when anonymous)."""
    provider = AnonymousTokenProvider() if anonymous else connections.get_connection(SERVICE_CONNECTION)

    def token():
        return provider.get_access_token(CONNECTOR_RESOURCE, CONNECTOR_SCOPES)

    return token
