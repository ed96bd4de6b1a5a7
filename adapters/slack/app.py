"""The Bolt app factory. Nothing here runs at import: `create_slack_app` builds one on demand.

Single workspace: the bot token (SLACK_BOT_TOKEN) authorises every call. Multi-workspace
(SLACK_CLIENT_ID/SECRET): OAuth installs, each request authorised with its workspace's token. Every listener is a
small function in adapters/slack/listeners/ that calls one core use case; this module only
wires them and logs listener errors. Retried events are ignored in the listeners (events.once).

Only tenants get through (`tenants_only`, before Bolt's authorization): a correctly signed
request from a workspace this deployment does not serve (`SlackServices.serves`) is answered
200 and dropped, with one log line (ids only). 200, not 4xx: Slack retries an event it sees
fail, and an app whose endpoint keeps failing gets its event subscriptions turned off, for the
workspaces it does serve too.
"""

from __future__ import annotations

import functools
import json
import logging

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient

from adapters.slack.chat import make_client
from adapters.slack.listeners import register
from adapters.slack.services import SlackServices
from adapters.slack.settings import SlackSettings
from chatbot.core import Core

log = logging.getLogger(__name__)


def create_slack_app(core: Core, settings: SlackSettings, client: WebClient | None = None) -> App:
    """A Bolt app bound to this core. `client` overrides the WebClient (tests point it at a fake)."""
    if not settings.slack_signing_secret and not settings.socket_mode:
        raise ValueError("SLACK_SIGNING_SECRET is required to receive Slack's requests over HTTP.")
    services = SlackServices(core, settings)
    if settings.oauth:
        from adapters.slack.oauth import oauth_settings  # only multi-workspace installs need its store

        client = client or make_client(None, settings.api_url)
        extra = {"oauth_settings": oauth_settings(core.engine, settings, settings.required_keys(),
                                                  on_installed=services.admit)}
    else:
        client = client or make_client(settings.slack_bot_token, settings.api_url)
        extra = {}
        # One workspace: the token's own, asked once. Its team exists from the start, so `chatbot keys
        # create --team` and lead intake work before anyone has touched the app in Slack.
        services.workspace = client.auth_test()["team_id"]
        services.admit(services.workspace)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        # Socket Mode requests come over Slack's authenticated WebSocket, unsigned.
        request_verification_enabled=bool(settings.slack_signing_secret),
        process_before_response=False,  # ack first; listeners finish in Bolt's thread pool
        before_authorize=tenants_only(services),
        **extra,
    )
    register(_Contained(app), services)

    @app.error
    def on_error(error: Exception, body: dict) -> None:
        log.exception("Slack listener failed kind=%s", json.dumps(body.get("type") or body.get("command")),
                      exc_info=error)

    return app


UNGATED = {"url_verification", "ssl_check"}  # Slack's own checks of the endpoint: no workspace in them
REVOCATIONS = {"app_uninstalled", "tokens_revoked"}  # they only make us forget a token: always heard


def tenants_only(services: SlackServices):
    """Bolt middleware, run before authorization: a workspace that is not a tenant goes no further."""

    def gate(body: dict, context: BoltContext, next) -> BoltResponse | None:
        kind = body.get("type") or ("command" if body.get("command") else None)
        event = (body.get("event") or {}).get("type") if isinstance(body.get("event"), dict) else None
        if kind in UNGATED or event in REVOCATIONS or services.serves(context.team_id):
            return next()
        log.warning("Slack request refused: workspace not served team=%s enterprise=%s app=%s kind=%s",
                    *(json.dumps(v) for v in (context.team_id, context.enterprise_id, body.get("api_app_id"),
                                              event or kind)))
        return BoltResponse(status=200, body="")

    return gate


class _Contained:
    """The app as `register` sees it: every listener it adds is wrapped by `contained`."""

    DECORATORS = ("event", "command", "action", "block_action", "view", "view_submission", "view_closed",
                  "shortcut", "options", "message")

    def __init__(self, app: App) -> None:
        self._app = app

    def __getattr__(self, name: str):
        attribute = getattr(self._app, name)
        if name not in self.DECORATORS:
            return attribute

        def adding(*args, **kwargs):
            decorator = attribute(*args, **kwargs)
            return lambda listener: decorator(contained(listener))

        return adding


def contained(listener):
    """A listener whose failure is logged and acked, never raised into Bolt.

    Bolt answers 500 when a listener raises, even after it acked (a race in its thread runner
    can return that 500 to Slack): listeners ack first, so a later failure is only logged.
    """

    @functools.wraps(listener)  # Bolt reads the wrapped function's parameters to pass them
    def run(**kwargs):
        try:
            return listener(**kwargs)
        except Exception:
            body = kwargs.get("body") or kwargs.get("command") or kwargs.get("event") or {}
            kind = (body.get("type") or body.get("command")) if isinstance(body, dict) else None
            log.exception("Slack listener failed listener=%s kind=%s", listener.__name__, json.dumps(kind))
            ack = kwargs.get("ack")
            if ack is not None and getattr(ack, "response", True) is None:
                ack()
            return None

    return run
