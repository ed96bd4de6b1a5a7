"""Who may read `/metrics`: with METRICS_TOKEN set, only a scraper sending `Authorization: Bearer
<token>` (Prometheus's `authorization: {credentials: ...}` scrape setting); without it, anyone who
can reach the port, so that port must then stay private (a firewall, the platform's private
network). The web app's `/metrics` and the worker's `--metrics-port` server check the same way.

The figures are the whole deployment's (every dealership summed; chatbot/ops/metrics.py names no
team), but lead counts are still the dealerships' business: set the token on any deployment
whose port the internet can reach.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, make_server

from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.exposition import ThreadingWSGIServer, make_wsgi_app

from adapters.http_errors import error_response

REFUSED = "send 'Authorization: Bearer <METRICS_TOKEN>' to read the metrics"


def authorized(header: str | None, token: str | None) -> bool:
    """No token configured: yes. Else: `header` is `Bearer <token>`, compared in constant time
    (as bytes, so a header that is not ASCII is simply not equal)."""
    if not token:
        return True
    scheme, _, given = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8"))


def metrics_route(registry: CollectorRegistry, token: str | None) -> Callable:
    """The web app's GET /metrics."""

    def metrics(authorization: str | None) -> Response:
        if not authorized(authorization, token):
            return error_response(401, REFUSED, "Authorization", {"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # one line per scrape would drown the worker's own lines
        pass


def serve_metrics(port: int, registry: CollectorRegistry, token: str | None, addr: str = "0.0.0.0"):
    """The worker's metrics server (prometheus_client's, behind the same bearer check), in a daemon thread."""
    exposition = make_wsgi_app(registry)

    def app(environ: dict, start_response) -> Iterable[bytes]:
        if not authorized(environ.get("HTTP_AUTHORIZATION"), token):
            start_response("401 Unauthorized", [("Content-Type", "application/json"),
                                                ("WWW-Authenticate", "Bearer")])
            return [error_response(401, REFUSED, "Authorization").body]
        return exposition(environ, start_response)

    server = make_server(addr, port, app, ThreadingWSGIServer, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
