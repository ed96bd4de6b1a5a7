"""The bot's own JSON intake: the documented body is exactly the IncomingLead model."""

from __future__ import annotations

import json

from pydantic import ValidationError

from chatbot.intake.errors import LeadFormatError, TooLarge
from chatbot.intake.lead import IncomingLead
from chatbot.intake.validation import lead_error_from

MAX_BYTES = 1_000_000
"""Same cap as ADF: a lead is a few KB."""


def parse_json(data: bytes | str) -> IncomingLead:
    """One lead from a JSON object shaped like IncomingLead (unknown fields are refused).

    Errors name the field as a dotted path ("customer.phones.0.number"), or the line and
    column when the body is not JSON at all, so the sender can fix their integration.
    """
    if len(data) > MAX_BYTES:
        raise TooLarge(f"too large: the limit is {MAX_BYTES:,} bytes", where="body")
    document = load_json(data)
    try:
        return IncomingLead.model_validate(document)
    except ValidationError as exc:
        raise lead_error_from(exc) from None


def load_json(data: bytes | str) -> object:
    """json.loads, with its ways of failing on hostile input turned into our error (the intake's 400)."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise LeadFormatError(f"not valid JSON: {exc.msg}", where=f"line {exc.lineno}, column {exc.colno}") from None
    except UnicodeDecodeError:
        raise LeadFormatError("not valid JSON: the body is not UTF-8 text", where="body") from None
    except RecursionError:
        raise LeadFormatError("not valid JSON: nested too deeply", where="body") from None
    except ValueError:  # Python reads no integer of more than 4,300 digits (sys.get_int_max_str_digits)
        raise LeadFormatError("not valid JSON: a number is too long to read", where="body") from None
