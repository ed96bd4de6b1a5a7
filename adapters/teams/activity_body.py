"""What /api/messages reads before the Agents SDK does, once the token has checked out: a JSON
object (415 for another Content-Type, 413 past `MAX_ACTIVITY_BYTES`, 400 when it is not JSON or
not an activity the SDK's own model reads, with `type` and `conversation.id`).

The SDK answers unreadable JSON itself, but an activity its model cannot read (`[1]`, `{}`,
`"type": 5`, `"from": null`) escaped as a 500, with a traceback quoting the body at ERROR. Here
each is a 400 in the web app's error body (adapters/http_errors.py) and one `refused` line.
The SDK's own line for such a body names the fields at fault, never their values (`QuoteNoValues`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response
from microsoft_agents.activity import Activity
from pydantic import ValidationError

from adapters.http_errors import error_response

log = logging.getLogger(__name__)
ROUTE = "/api/messages"
MAX_ACTIVITY_BYTES = 1_000_000
"""An activity is a few KB (Teams caps a message near 28 KB); a member list or a card's data a few more."""
JSON = "application/json"


class Unreadable(Exception):
    def __init__(self, status: int, reason: str, where: str | None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.where = status, reason, where


class QuoteNoValues(logging.Filter):
    """The SDK logs an activity its model refused with the pydantic error, which quotes the input
    (a message's text, a person's name): kept as the fields at fault and the exception's type."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ValidationError):
            fields = ", ".join(".".join(str(p) for p in e["loc"]) or "(the body)" for e in error.errors()[:5])
            record.msg, record.args = "Validation error for Activity (%s at %s)", (type(error).__name__, fields)
            record.exc_info, record.exc_text = None, None
        return True


logging.getLogger("microsoft_agents.activity.activity").addFilter(QuoteNoValues())


async def read_activity(request: Request) -> bytes:
    """The body of a request that carries an activity, else `Unreadable`."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != JSON:
        raise Unreadable(415, f"Content-Type {media or '(none)'} is not {JSON}", "Content-Type")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > MAX_ACTIVITY_BYTES:
        raise Unreadable(413, f"the body is larger than {MAX_ACTIVITY_BYTES} bytes", "body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_ACTIVITY_BYTES:
            raise Unreadable(413, f"the body is larger than {MAX_ACTIVITY_BYTES} bytes", "body")
        chunks.append(chunk)
    body = b"".join(chunks)
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deeply, a number of 4,300+ digits
        raise Unreadable(400, "the body is not JSON", "body") from None
    if not isinstance(document, dict):
        raise Unreadable(400, "the body is not an activity (a JSON object)", "body")
    try:
        activity = Activity.model_validate(document)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "body"
        raise Unreadable(400, "the body is not an activity the Bot Framework sends", where) from None
    if not activity.type or activity.conversation is None or not activity.conversation.id:
        raise Unreadable(400, "an activity needs a type and a conversation id", "type, conversation.id")
    return body


def readable_activities(handle: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """`handle` (the SDK's adapter) for requests whose body is an activity; a 4xx for the rest."""

    async def checked(request: Request) -> Response:
        try:
            body = await read_activity(request)
        except Unreadable as refused:
            log.info('refused route=%s status=%d reason="%s"', ROUTE, refused.status, refused.reason)
            return error_response(refused.status, refused.reason, refused.where)

        async def replay() -> dict:  # the SDK reads the body again: the same bytes
            return {"type": "http.request", "body": body, "more_body": False}

        return await handle(Request(request.scope, replay))

    return checked
