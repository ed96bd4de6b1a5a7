"""The door every route shares: the one error body a refused request gets (docs/INTAKE.md),

    {"error": "<what is wrong, in a sentence>", "where": "<the header, field path, or line and column; or null>"}

`Refused`, the exception a check raises to give it, and `read_capped`, the one way a route
reads a body. Intake, the Slack guard, Teams' checks and the framework's own 404/405 all use
them, so a sender's integration reads one shape whatever it got wrong.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse


class Refused(Exception):
    """A request a route will not handle: its status, the sentence the sender reads (field names at
    most, never a value it sent), the header or field at fault, and `detail` for the log line only."""

    def __init__(self, status: int, error: str, where: str | None = None, *, detail: str = "",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.where, self.detail, self.headers = status, error, where, detail, headers


async def read_capped(request: Request, cap: int) -> bytes:
    """The body, refused (413) as soon as it is declared or found longer than `cap`: never read whole
    first. A Content-Length that is not ASCII digits declares nothing; the read itself is capped."""
    too_big = Refused(413, f"the body is larger than the limit of {cap:,} bytes", "body")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def error_response(status: int, error: str, where: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "where": where}, status_code=status, headers=headers)
