"""The project's one web app: lead intake, health (`/healthz`, `/readyz`), Prometheus metrics
(`/metrics`, chatbot/ops/metrics.py) and the routes each configured chat platform mounts
(`ChatPlatform.mount`: Slack's events, commands and OAuth install in adapters/slack/web.py,
Teams' /api/messages in adapters/teams/web.py).

The composition root (entrypoints/cli/) decides what is configured: it passes the chat platforms
to deliver through and the platforms whose routes to serve (`serve_platforms`).

Every refusal of every route has one body, `{"error": <sentence>, "where": <header or part at
fault, or null>}` (adapters/http_errors.py), the framework's own 404 and 405 included.
`/metrics` asks for `Authorization: Bearer <METRICS_TOKEN>` when that is set (entrypoints/scrape.py).
"""

from __future__ import annotations

import logging
import time
import traceback
from contextlib import asynccontextmanager

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import Histogram
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from adapters.http_errors import error_response
from adapters.intake_api import intake_router
from chatbot.core import Core
from chatbot.messaging.platforms import Platforms
from chatbot.ops import health
from chatbot.ops.metrics import registry_for
from chatbot.worker import Courier
from entrypoints.logs import kv
from entrypoints.scrape import metrics_route

log = logging.getLogger(__name__)

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


def create_web_app(core: Core, platforms: Platforms | None = None, *, metrics_token: str | None = None) -> FastAPI:
    """Build the web app: intake, health and metrics; a chat platform mounts its own routes on it.

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
    # sentences the composition root adds (`serve_platforms`); /readyz fails while there is one.
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

    web.include_router(intake_router(core, on_stored=courier.wake if courier else None))
    web.state.core, web.state.platforms = core, platforms
    return web


def serve_platforms(web: FastAPI, core: Core, settings) -> FastAPI:
    """Mount the routes of each chat platform `settings` configure (entrypoints.config.Settings) on `web`,
    and keep /readyz red for any whose settings say it must not be called ready (a development mode)."""
    for chat in settings.chats():
        chat.mount(web, core, settings.of(chat))
        if chat.not_ready(settings.of(chat)):
            web.state.not_ready.append(chat.not_ready(settings.of(chat)))
    return web
