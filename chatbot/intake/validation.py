"""Turning parsed fields into an IncomingLead, with pydantic's complaints in our error type."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chatbot.intake.errors import LeadFormatError
from chatbot.intake.lead import IncomingLead


def build_lead(fields: dict[str, Any], where: str | None = None) -> IncomingLead:
    """Validate ``fields`` into an IncomingLead; ``where`` prefixes the field path of any error."""
    try:
        return IncomingLead.model_validate(fields)
    except ValidationError as exc:
        raise lead_error_from(exc, where) from None


def lead_error_from(exc: ValidationError, where: str | None = None) -> LeadFormatError:
    """The first problem pydantic found, as "customer.phones.0.number: <plain message>".

    Only the first is spelled out (with a count of the rest): a sender fixes one thing at a
    time, and a one-line error is what fits in a log line or a chat message.
    """
    problems = exc.errors(include_url=False)
    first = problems[0]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] in ("model_type", "dict_type") and not first["loc"]:  # the body itself: [1, 2], "x", 7
        return LeadFormatError(f"the body is {_json_kind(first.get('input'))}, not a lead (a JSON object)",
                               where=where or "body")
    if len(problems) > 1:
        more = len(problems) - 1
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    path = ".".join(str(part) for part in first["loc"])
    location = " > ".join(part for part in (where, path) if part)
    return LeadFormatError(message, where=location or None)


def _json_kind(value) -> str:
    return {list: "a JSON array", str: "a JSON string", bool: "true or false", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), "not a JSON object")


def clip(text: str | None, limit: int) -> str | None:
    """Cut free text to a model limit, marking the cut: a long comment is no reason to lose a lead."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
