"""The project's one web app: Slack (events, interactivity, commands, OAuth install), lead intake, health.

FastAPI serves it; Bolt's sync App handles Slack requests in Starlette's thread pool, so a
slow database never blocks the event loop and Bolt still acks within Slack's 3 seconds.
The composition root (entrypoints/cli.py) decides what is configured: it passes the chat
platforms to deliver through and, when Slack is configured, the Bolt app to serve.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from adapters.intake_api import intake_router
from chatbot.core import Core
from chatbot.messaging.platforms import Platforms
from chatbot.worker import Courier


def create_web_app(core: Core, platforms: Platforms | None = None, *, slack_app: App | None = None) -> FastAPI:
    """Build the web app: intake and health always; Slack's routes when `slack_app` is given.

    `platforms`: the chats a stored lead's card is delivered to at once (by the courier);
    empty or None, leads are stored and their messages wait in the outbox.
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

    @web.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            with core.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure is "not healthy"
            return JSONResponse({"ok": False, "database": type(exc).__name__}, status_code=503)
        return JSONResponse({"ok": True})

    if slack_app is not None:
        bolt = slack_app

        @web.post("/slack/events")
        async def slack_events(request: Request) -> Response:
            bolt_request = to_bolt_request(request, await request.body())
            return to_starlette_response(await run_in_threadpool(bolt.dispatch, bolt_request))

        if bolt.oauth_flow is not None:  # multi-workspace: install and OAuth redirect pages
            flow = bolt.oauth_flow

            @web.get(flow.install_path)
            async def slack_install(request: Request) -> Response:
                bolt_request = to_bolt_request(request, await request.body())
                return to_starlette_response(await run_in_threadpool(flow.handle_installation, bolt_request))

            @web.get(flow.redirect_uri_path)
            async def slack_oauth_redirect(request: Request) -> Response:
                bolt_request = to_bolt_request(request, await request.body())
                return to_starlette_response(await run_in_threadpool(flow.handle_callback, bolt_request))

    web.include_router(intake_router(core, on_stored=courier.wake if courier else None))
    web.state.core, web.state.slack_app, web.state.platforms = core, slack_app, platforms
    return web
