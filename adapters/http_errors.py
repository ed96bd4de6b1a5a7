"""The one error body every route of the web app answers a refused request with (docs/INTAKE.md):

    {"error": "<what is wrong, in a sentence>", "where": "<the header, field path, or line and column; or null>"}

Intake, the Slack guard, Teams' body check and the framework's own 404/405 all use it, so a
sender's integration reads one shape whatever it got wrong.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse


def error_response(status: int, error: str, where: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "where": where}, status_code=status, headers=headers)
