"""What the body of a request to /api/messages must be before the bot reads it, once the token has
checked out: a JSON object (415 for another Content-Type, 413 past `MAX_ACTIVITY_BYTES`, 400 when
it is not JSON) that the SDK's Activity model reads, with a type, a conversation id, a serviceUrl,
a sender and a recipient, and channelData (which the model leaves unread) shaped as Teams sends it.
Anything else is a 400 with a short reason and the field at fault, never a 500.

Before this, every body the model refused (`[1]`, `{}`, `"type": 5`, `"from": null`, a string
`channelData.tenant`) escaped as a 500, with a traceback quoting the body at ERROR.
"""

from __future__ import annotations

import json
import logging

from fastapi import Request
from microsoft_agents.activity import Activity
from pydantic import ValidationError

from adapters.http_errors import Refused, read_capped

MAX_ACTIVITY_BYTES = 1_000_000
"""An activity is a few KB (Teams caps a message near 28 KB); a member list or a card's data a few more."""
JSON = "application/json"
NOT_ACTIVITY = "the body is not an activity the Bot Framework sends"


class _NotTheModelsValidationErrors(logging.Filter):
    """The Activity model logs each body it cannot read at ERROR, with a traceback and the values it
    was given (a person's text); a refused body is already one line of ours, so drop that one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Validation error for Activity")


def quiet_the_models_validation_log() -> None:
    """Install the filter above on the SDK's Activity logger, once per process."""
    logger = logging.getLogger(Activity.__module__)
    if not any(isinstance(f, _NotTheModelsValidationErrors) for f in logger.filters):
        logger.addFilter(_NotTheModelsValidationErrors())


async def read_body(request: Request) -> bytes:
    """The raw body of a request that says it carries JSON, read up to the cap; else Refused (415, 413)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != JSON:
        raise Refused(415, f"Content-Type {media or '(none)'} is not {JSON}", "Content-Type")
    return await read_capped(request, MAX_ACTIVITY_BYTES)


def read_activity(body: bytes) -> Activity:
    """The body as an activity the bot can act on, or Refused(400)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deeply, a number of 4,300+ digits
        raise Refused(400, "the body is not JSON", "body") from None
    if not isinstance(data, dict):
        raise Refused(400, "the body is not an activity (a JSON object)", "body")
    try:
        activity = Activity.model_validate(data)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "body"
        raise Refused(400, NOT_ACTIVITY, where=where) from None
    except Exception:  # noqa: BLE001 - the model's own checks raise plain exceptions (a channel id it disputes)
        raise Refused(400, "the activity's fields do not agree with each other", "channelId") from None
    if not activity.type or activity.conversation is None or not activity.conversation.id:
        raise Refused(400, "an activity needs a type and a conversation id", "type, conversation.id")
    if not activity.service_url:
        raise Refused(400, "the activity has no serviceUrl", "serviceUrl")
    problem = _shape_problem(activity)
    if problem:
        raise Refused(400, *problem)
    return activity


def _shape_problem(activity: Activity) -> tuple[str, str] | None:
    """What the bot reads without the model's help, in the shape Teams sends it (or why not, and
    where): who sent it and to whom, and channelData's tenant, team and channel as objects with text ids."""
    for name, account in (("from", activity.from_property), ("recipient", activity.recipient)):
        if account is None or not account.id:
            return f"the activity has no {name}.id", f"{name}.id"
    data = activity.channel_data
    if data is None:
        return None
    if not isinstance(data, dict):
        return "channelData is not an object", "channelData"
    for part in ("tenant", "team", "channel"):
        value = data.get(part)
        if value is not None and not (isinstance(value, dict) and isinstance(value.get("id", ""), str)):
            return f"channelData.{part} is not an object with a text id", f"channelData.{part}"
    if not isinstance(data.get("eventType", ""), str):
        return "channelData.eventType is not text", "channelData.eventType"
    return None
