"""/api/messages on the project's one web app: the Agents SDK's CloudAdapter behind its JWT check
(issuer allow-list on) and our checks of what the SDK leaves unchecked (adapters/teams/checks.py)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from microsoft_agents.hosting.core import AgentAuthConfiguration, ConnectionManager, MessageFactory, TurnContext
from microsoft_agents.hosting.fastapi import CloudAdapter
from microsoft_agents.hosting.fastapi.jwt_authorization_middleware import jwt_authorization_decorator

from adapters.http_errors import Refused, error_response
from adapters.teams.activity_body import read_body
from adapters.teams.auth import ProviderFactory, auth_configuration, connection_manager, token_source
from adapters.teams.bot import SORRY, LeadBot
from adapters.teams.checks import Endorsements, RequestChecks
from adapters.teams.services import TeamsServices
from adapters.teams.settings import TeamsSettings
from chatbot.core import Core

log = logging.getLogger(__name__)
ROUTE = "/api/messages"
NOT_SIGNED_IN = "Invalid token or authentication failed."


class TeamsApp:
    """The bot, its adapter and its services, made once per process."""

    def __init__(self, core: Core, settings: TeamsSettings, *, provider_factory: ProviderFactory | None = None,
                 sleep=None) -> None:
        problem = settings.problem()
        if problem:
            raise ValueError(problem)
        self.settings = settings
        self.checks = RequestChecks(settings, Endorsements())
        self.configuration: AgentAuthConfiguration = auth_configuration(settings)
        self.connections: ConnectionManager = connection_manager(self.configuration, provider_factory)
        self.services = TeamsServices(core, settings, token_source(self.connections, settings.anonymous), sleep)
        self.adapter = CloudAdapter(connection_manager=self.connections)
        self.adapter.on_turn_error = self._on_turn_error
        self.bot = LeadBot(self.services)

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        """Logged by type (no activity text, names or tokens); the person reads one plain sentence."""
        log.error("Teams turn failed: %s", type(error).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
        try:
            if context.activity.type == "message":
                await context.send_activity(MessageFactory.text(SORRY))
        except Exception as exc:  # noqa: BLE001 - nothing more to do
            log.error("Teams: could not say sorry (%s)", type(exc).__name__)


def guarded(handle, checks: RequestChecks):
    """The SDK's JWT check, then our checks (checks.py), in front of `handle`. A token its validator
    cannot even read (no `kid` in the header, an `alg: none` token: a KeyError from deep inside) is
    refused 401 like any other bad token, with one log line, instead of escaping as a 500 with a
    traceback; a request our checks refuse gets their status and reason, with one log line."""
    @jwt_authorization_decorator
    async def checked(request: Request):
        request.state.token_checked = True
        try:
            body = await read_body(request)
            await checks.admit(body, getattr(request.state, "claims_identity", None))
        except Refused as refused:
            log.warning('refused route=%s status=%d reason="%s"%s', ROUTE, refused.status, refused.error,
                        f" {refused.detail}" if refused.detail else "")
            return error_response(refused.status, refused.error, refused.where)

        async def replay() -> dict:  # the SDK reads the body again: the same bytes
            return {"type": "http.request", "body": body, "more_body": False}

        return await handle(Request(request.scope, replay))

    async def messages(request: Request):
        try:
            response = await checked(request)
        except Exception as exc:
            if getattr(request.state, "token_checked", False):
                raise  # the token was good: what failed is the turn, not the check
            log.warning("Teams: a token failed validation (%s); refused", type(exc).__name__)
            return error_response(401, NOT_SIGNED_IN, "Authorization")
        if not getattr(request.state, "token_checked", False):  # the SDK refused the token, in its own words
            return error_response(response.status_code, NOT_SIGNED_IN, "Authorization")
        return response

    return messages


def mount_teams(web: FastAPI, teams: TeamsApp) -> None:
    """Serve Teams at /api/messages: every request's token is checked by the SDK, and the request by
    our checks, before the bot runs."""
    teams.settings.warn_if_anonymous()
    web.state.agent_configuration = teams.configuration

    web.add_api_route(ROUTE, guarded(lambda request: teams.adapter.process(request, teams.bot), teams.checks),
                      methods=["POST"], include_in_schema=False)
    web.state.teams = teams
