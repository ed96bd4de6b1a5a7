"""The project's one web app: Slack (events, interactivity, commands, OAuth install), lead intake,
health (`/healthz`, `/readyz`) and Prometheus metrics (`/metrics`, chatbot/ops/metrics.py).

FastAPI serves it; Bolt's sync App handles Slack requests in Starlette's thread pool, so a
slow database never blocks the event loop and Bolt still acks within Slack's 3 seconds.
The composition root (entrypoints/cli.py) decides what is configured: it passes the chat
platforms to deliver through and, when Slack is configured, the Bolt app to serve.

Slack's routes have a guard in front of Bolt, so nothing anyone sends gets a 5xx: the body is
read up to `MAX_SLACK_BODY` (413 beyond, without reading the rest), then the timestamp's
freshness and the signature are checked with Slack's algorithm on the raw bytes (401), and only
then is the body read as Slack's JSON or form (415 for another Content-Type, 400 when it is not
one). Each refusal is one `refused route=... status=... reason=...` log line; Socket Mode never
comes through here.

Every refusal of every route has one body, `{"error": <sentence>, "where": <header or part at
fault, or null>}` (adapters/http_errors.py), the framework's own 404 and 405 included.
`/metrics` asks for `Authorization: Bearer <METRICS_TOKEN>` when that is set (entrypoints/scrape.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import traceback
from contextlib import asynccontextmanager

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import Histogram
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from adapters.http_errors import Refused, error_response, read_capped
from adapters.intake_api import intake_router
from chatbot.core import Core
from chatbot.messaging.platforms import Platforms
from chatbot.ops import health
from chatbot.ops.metrics import registry_for
from chatbot.worker import Courier
from entrypoints.logs import kv
from entrypoints.scrape import metrics_route

log = logging.getLogger(__name__)

MAX_SLACK_BODY = 512 * 1024
"""Slack's largest requests (a view submission, a block action carrying its message) are tens of KB."""
MAX_SKEW_S = 5 * 60
"""Slack's rule: a request whose timestamp is more than five minutes from now is a replay."""


SLACK_TYPES = ("application/json", "application/x-www-form-urlencoded")
"""What Slack posts: events as JSON; commands, interactivity and options as a form."""


def refusal(route: str, status: int, reason: str, where: str | None = None) -> JSONResponse:
    """The answer to a request the app will not handle, and its one log line."""
    log.info("refused %s", kv(route=route, status=status, reason=reason))
    return error_response(status, reason, where)


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


UNMATCHED = "unmatched"
"""The route label of a request no route took (a 404): its raw path is never a label."""
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestTimer:
    """ASGI middleware: each HTTP request's latency into a histogram by method, route template
    (`/intake/leads`, never a raw path with ids in it) and status class."""

    def __init__(self, app, histogram: Histogram) -> None:
        self.app, self.histogram = app, histogram

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), [500]

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope.get("method", "GET") if scope.get("method") in METHODS else "other"
            self.histogram.labels(method, route, f"{status[0] // 100}xx").observe(time.perf_counter() - started)


FAULT = "the server failed on this request (logged by its kind); try again later"


class FaultBarrier:
    """ASGI middleware: a request the app failed on (a bug, the database gone) is a 500 in the
    documented body and one line naming the exception's type and where it was raised, with no
    traceback: an exception's text can quote what was sent (SQL parameters, a body). Starlette's
    own handler would log the whole traceback through the server. Malformed input never gets here:
    each parse point answers its 4xx itself."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = [False]

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                started[0] = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except ClientDisconnect:  # the sender hung up (its own timeout) before its body arrived: nobody
            # reads an answer, nothing was stored, and a flood of these must not flood the log
            log.debug("client_gone %s", kv(route=getattr(scope.get("route"), "path", None) or UNMATCHED,
                                            method=scope.get("method")))
        except Exception as exc:  # noqa: BLE001 - the one place a fault becomes a 500; logged by type
            frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            log.error("request_failed %s", kv(route=route, method=scope.get("method"), error=type(exc).__name__,
                                              at=f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else None))
            if not started[0]:
                await error_response(500, FAULT)(scope, receive, send)


def create_web_app(core: Core, platforms: Platforms | None = None, *, slack_app: App | None = None,
                   metrics_token: str | None = None) -> FastAPI:
    """Build the web app: intake and health always; Slack's routes when `slack_app` is given.

    `platforms`: the chats a stored lead's card is delivered to at once (by the courier);
    empty or None, leads are stored and their messages wait in the outbox. `metrics_token`:
    what `/metrics` asks for as a bearer token (None: it answers anyone).
    """
    platforms = platforms if platforms is not None else Platforms()
    # Lead intake: a stored lead wakes the courier, which posts its card at once.
    courier = Courier(core, platforms) if platforms else None

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if courier is not None:
            courier.start()
        yield
        if courier is not None:
            courier.stop()

    web = FastAPI(title="Lead follow-up", docs_url="/docs", redoc_url=None, lifespan=lifespan)
    # Why this deployment must not be called ready whatever the checks say (a development mode):
    # sentences the composition root adds (entrypoints/cli.py); /readyz fails while there is one.
    web.state.not_ready = []
    # /metrics: the database's figures at scrape time, this process's chat API errors and request latency.
    registry = registry_for(core)
    latency = Histogram("chatbot_http_request_duration_seconds", "HTTP request latency by route template",
                        ["method", "route", "status"], registry=registry)
    web.add_middleware(RequestTimer, histogram=latency)
    web.add_middleware(FaultBarrier)  # outside the timer: a fault is timed as a 5xx

    @web.exception_handler(HTTPException)
    async def framework_refusal(_: Request, exc: HTTPException) -> JSONResponse:
        """The framework's own 404 (no such route) and 405 (wrong method), in the documented shape."""
        return error_response(exc.status_code, str(exc.detail), None, getattr(exc, "headers", None))

    @web.get("/healthz", response_model=None)
    def healthz() -> Response:
        """This process can serve: the database answers. 503 with one plain line when it does not."""
        check = health.database(core)
        if not check.ok:
            return PlainTextResponse(f"database {check.detail}\n", status_code=503)
        return JSONResponse({"ok": True})

    @web.get("/readyz")
    def readyz() -> JSONResponse:
        """The bot works: database, schema at head, a worker beating, the outbox moving, no development
        mode. 503 names what failed."""
        report = health.as_json(health.readiness(core, web.state.not_ready))
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    scrape = metrics_route(registry, metrics_token)

    @web.get("/metrics", include_in_schema=False)
    def metrics(authorization: str | None = Header(None)) -> Response:
        """Prometheus text; with a token configured, only for `Authorization: Bearer <token>` (401 else)."""
        return scrape(authorization)

    if slack_app is not None:
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

    web.include_router(intake_router(core, on_stored=courier.wake if courier else None))
    web.state.core, web.state.slack_app, web.state.platforms = core, slack_app, platforms
    return web
