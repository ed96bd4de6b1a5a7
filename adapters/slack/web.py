"""Slack's routes on the project's one web app: `/slack/events` and, for installs through OAuth,
`/slack/install` and its redirect, each behind a guard in front of Bolt.

Bolt's sync App handles Slack requests in Starlette's thread pool, so a slow database never
blocks the event loop and Bolt still acks within Slack's 3 seconds. The guard means nothing
anyone sends gets a 5xx: the body is read up to `MAX_SLACK_BODY` (413 beyond, without reading
the rest), then the timestamp's freshness and the signature are checked with Slack's algorithm
on the raw bytes (401), and only then is the body read as Slack's JSON or form (415 for another
Content-Type, 400 when it is not one). Each refusal is one `refused route=... status=...
reason=...` log line, in the documented error body (adapters/http_errors.py); Socket Mode never
comes through here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool

from adapters.http_errors import Refused, error_response, read_capped

log = logging.getLogger(__name__)

MAX_SLACK_BODY = 512 * 1024
"""Slack's largest requests (a view submission, a block action carrying its message) are tens of KB."""
MAX_SKEW_S = 5 * 60
"""Slack's rule: a request whose timestamp is more than five minutes from now is a replay."""


SLACK_TYPES = ("application/json", "application/x-www-form-urlencoded")
"""What Slack posts: events as JSON; commands, interactivity and options as a form."""


class SlackSignature:
    """Slack's request signature (docs.slack.dev/authentication/verifying-requests-from-slack),
    checked before anything reads the body: headers well formed, timestamp fresh, signature equal."""

    def __init__(self, secret: str | None, now=time.time) -> None:
        self.verifier = SignatureVerifier(secret) if secret and secret.strip() else None
        self.secret, self.now = secret, now

    def check(self, headers, body: bytes) -> None:
        if self.verifier is None:
            raise Refused(401, "this app takes no signed requests over HTTP (no signing secret is set)",
                          "X-Slack-Signature")
        timestamp = headers.get("x-slack-request-timestamp")
        signature = headers.get("x-slack-signature")
        if not timestamp or not signature:
            raise Refused(401, "X-Slack-Signature and X-Slack-Request-Timestamp are required",
                          "X-Slack-Request-Timestamp" if signature else "X-Slack-Signature")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise Refused(401, "X-Slack-Request-Timestamp is not a Unix time", "X-Slack-Request-Timestamp")
        if abs(self.now() - int(timestamp)) > MAX_SKEW_S:
            raise Refused(401, "X-Slack-Request-Timestamp is more than 5 minutes from now", "X-Slack-Request-Timestamp")
        if not signature.isascii():
            raise Refused(401, "X-Slack-Signature does not match", "X-Slack-Signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # Slack signs the raw bytes; SignatureVerifier takes text. Same formula, on the bytes:
            base = b"v0:" + timestamp.encode() + b":" + body
            valid = hmac.compare_digest("v0=" + hmac.new(self.secret.encode(), base, hashlib.sha256).hexdigest(),
                                        signature)
        else:
            valid = self.verifier.is_valid(text, timestamp, signature)
        if not valid:
            raise Refused(401, "X-Slack-Signature does not match", "X-Slack-Signature")


def slack_request(request: Request, body: bytes) -> BoltRequest:
    """A verified body read as Slack sends it: a JSON object, a form, or a form whose `payload` is one."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in SLACK_TYPES:
        raise Refused(415, f"Content-Type {media or '(none)'} is not Slack's: {' or '.join(SLACK_TYPES)}",
                      "Content-Type")
    try:
        bolt_request = to_bolt_request(request, body)
        readable = isinstance(bolt_request.body, dict)
    except Exception:  # noqa: BLE001 - Bolt's reader raises whatever json/str raise: all mean "unreadable"
        readable = False
    if not readable:
        raise Refused(400, "the body is not Slack's JSON or form", "body")
    if not slack_shaped(bolt_request.body):
        raise Refused(400, "the body is not shaped like a Slack payload", "body")
    return bolt_request


# What Bolt reads of a payload before any listener runs, with the JSON types Slack's payloads
# have (api.slack.com: Events API, interactivity, slash commands). Bolt indexes these without
# checking, so a signed body with, say, `"event": null` would crash it (500); here it is a 400.
_TEXT = (str, type(None))
_TEXT_FIELDS = ("type", "command", "callback_id", "trigger_id", "response_url", "action_id", "team_id",
                "enterprise_id", "user_id", "channel_id", "token", "api_app_id", "event_id", "thread_ts",
                "function_execution_id", "context_team_id", "context_enterprise_id", "bot_access_token")
_OBJECT_FIELDS = ("view", "container", "message", "previous_message", "function_data", "workflow_step",
                  "assistant_thread", "item")
_TEXT_OR_OBJECT = ("team", "enterprise", "user", "channel")


def _shaped(obj: dict) -> bool:
    return (all(isinstance(obj.get(k), _TEXT) for k in _TEXT_FIELDS)
            and all(isinstance(obj.get(k, {}), dict) for k in _OBJECT_FIELDS)
            and all(isinstance(obj.get(k), (str, dict, type(None))) for k in _TEXT_OR_OBJECT)
            and all(_shaped(obj[k]) for k in _OBJECT_FIELDS if k in obj)
            and all(isinstance(obj[k], dict) and _shaped(obj[k]) for k in ("team", "user", "channel")
                    if isinstance(obj.get(k), dict)))


def slack_shaped(body: dict) -> bool:
    """Does the payload have the types Slack sends where Bolt looks? (Values are the listeners' business.)"""
    event = body.get("event", {})
    lists_of_objects = all(isinstance(body.get(k, []), list) and all(isinstance(x, dict) for x in body.get(k, []))
                           for k in ("authorizations", "actions"))
    return (_shaped(body) and lists_of_objects and isinstance(body.get("response_urls", []), list)
            and isinstance(event, dict) and ("event" not in body or isinstance(event.get("type"), str))
            and _shaped(event)
            and all(_shaped(x) for k in ("authorizations", "actions") for x in body.get(k, []))
            and _needs(body))


def _needs(body: dict) -> bool:
    """What each kind of payload always carries (Bolt's matchers index it)."""
    kind = body.get("type")
    if kind in ("view_submission", "view_closed"):
        return isinstance(body.get("view"), dict) and isinstance(body["view"].get("type"), str)
    if kind == "block_actions":
        return bool(body.get("actions")) and all(isinstance(a.get("action_id"), str) for a in body["actions"])
    if kind == "block_suggestion":
        return isinstance(body.get("action_id"), str)
    if kind in ("shortcut", "message_action"):
        return isinstance(body.get("callback_id"), str)
    if kind == "event_callback":
        return isinstance(body.get("event"), dict)
    return True


def refusal(route: str, status: int, reason: str, where: str | None = None) -> JSONResponse:
    """The answer to a request the app will not handle, and its one log line."""
    log.info("refused route=%s status=%d reason=%s", _logfmt(route), status, _logfmt(reason))
    return error_response(status, reason, where)


def _logfmt(value: str) -> str:
    """A value as a logfmt field writes it (entrypoints/logs.py's `kv`): bare, or quoted with \\ and \" escaped."""
    if value and not any(c.isspace() or c in '="\\' for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def mount_slack(web: FastAPI, slack_app: App) -> FastAPI:
    """Serve `slack_app` (a Bolt App) on `web`: events, commands and interactivity at /slack/events,
    and the install pages when it installs through OAuth. Returns `web`."""
    bolt = slack_app
    # Bolt keeps the secret it was made with; the guard checks with the same one, first.
    signed = SlackSignature(getattr(bolt, "_signing_secret", None))

    @web.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        try:
            body = await read_capped(request, MAX_SLACK_BODY)
            signed.check(request.headers, body)
            bolt_request = slack_request(request, body)
        except Refused as refused:
            return refusal(request.url.path, refused.status, refused.error, refused.where)
        return to_starlette_response(await run_in_threadpool(bolt.dispatch, bolt_request))

    if bolt.oauth_flow is not None:  # multi-workspace: install and OAuth redirect pages
        flow = bolt.oauth_flow

        async def oauth_page(request: Request, handle) -> Response:
            try:
                await read_capped(request, MAX_SLACK_BODY)  # a GET's body means nothing: capped, then left out
            except Refused as refused:
                return refusal(request.url.path, refused.status, refused.error, refused.where)
            return to_starlette_response(await run_in_threadpool(handle, to_bolt_request(request, b"")))

        @web.get(flow.install_path)
        async def slack_install(request: Request) -> Response:
            return await oauth_page(request, flow.handle_installation)

        @web.get(flow.redirect_uri_path)
        async def slack_oauth_redirect(request: Request) -> Response:
            return await oauth_page(request, flow.handle_callback)
    web.state.slack_app = slack_app
    return web
