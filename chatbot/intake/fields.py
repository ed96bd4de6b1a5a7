"""IncomingLead -> the Lead columns it is stored as. One mapping for `tracker.ingest` and
`chatbot lead check`, so what the check prints is exactly what intake would store.

Whatever had to be guessed or dropped on the way is recorded in ``details["warnings"]`` (a
list of small dicts, see ``lead_warnings``; chatbot.messaging.views.card words them), so the card,
the API answer and the check all say it: a date that could not be read, a date in the future,
a phone or e-mail that is not one. The lead itself is always stored."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from chatbot.domain.clock import whole_seconds
from chatbot.domain.contact import normalise_email, normalise_phone
from chatbot.intake.lead import IncomingLead

FUTURE_TOLERANCE = timedelta(minutes=5)
"""A provider's clock this far ahead is clock drift, not a wrong date: capped without a word."""
GIVEN_LIMIT = 80
"""How much of an unreadable value a warning quotes."""


def lead_fields(incoming: IncomingLead, *, region: str, now: datetime) -> dict[str, Any]:
    """The stored fields: source, external_id, submitted_at, customer_name, phone (E.164),
    email, vehicle, comments, details. `now` is when the lead reached the bot: it stands in
    for a missing submission time and caps one in the future (a provider whose clock runs
    ahead must not push the first-contact deadline out)."""
    arrived = whole_seconds(now)
    submitted = whole_seconds(incoming.submitted_at) if incoming.submitted_at else arrived
    warnings = lead_warnings(incoming, region=region, now=arrived)
    submitted = min(submitted, arrived)
    vehicle = incoming.vehicle_of_interest()
    details = incoming.model_dump(mode="json")
    if warnings:
        details["warnings"] = warnings
    return {
        "source": incoming.source,
        "external_id": incoming.external_id or content_id(incoming),
        "submitted_at": submitted,
        "customer_name": incoming.customer.name,
        "phone": first_phone(incoming, region),
        "email": normalise_email(incoming.customer.email) if incoming.customer.email else None,
        "vehicle": vehicle.describe() if vehicle else None,
        "comments": incoming.comments,
        "details": details,
    }


def lead_warnings(incoming: IncomingLead, *, region: str, now: datetime) -> list[dict[str, str]]:
    """What intake guessed or dropped, in order: the date, then the phones, then the e-mail.

    ``{"kind": "date_unread", "given": "...", "timed_from": "arrival" | "e-mail"}``: the
    provider's date could not be read (the lead is timed from its arrival, or from the Date:
    of the e-mail that carried it); ``{"kind": "date_future", "given": "..."}``: more than
    FUTURE_TOLERANCE ahead of arrival (timed from arrival); ``{"kind": "phone_invalid",
    "given": "abc"}`` and ``{"kind": "email_invalid", "given": "..."}``: kept as given in the
    details, never used to call or write.
    """
    warnings: list[dict[str, str]] = []
    if incoming.unread_date is not None:
        warnings.append({"kind": "date_unread", "given": _quote(incoming.unread_date),
                         "timed_from": "arrival" if incoming.submitted_at is None else "e-mail"})
    elif incoming.submitted_at is not None and whole_seconds(incoming.submitted_at) > now + FUTURE_TOLERANCE:
        warnings.append({"kind": "date_future", "given": incoming.submitted_at.replace(microsecond=0).isoformat()})
    for phone in incoming.customer.phones:
        if normalise_phone(phone.number, region) is None:
            warnings.append({"kind": "phone_invalid", "given": phone.number})
    email = incoming.customer.email
    if email is not None and email.strip() and normalise_email(email) is None:
        warnings.append({"kind": "email_invalid", "given": email.strip()})
    return warnings


def _quote(text: str) -> str:
    return text if len(text) <= GIVEN_LIMIT else text[: GIVEN_LIMIT - 1] + "…"


def first_phone(incoming: IncomingLead, region: str) -> str | None:
    """The number a rep should dial: a cell first, then a voice line, then any."""
    order = {"cell": 0, "voice": 1, "unknown": 2, "pager": 3, "fax": 4}
    for phone in sorted(incoming.customer.phones, key=lambda p: order[p.type]):
        if phone.type != "fax" and (number := normalise_phone(phone.number, region)):
            return number
    return None


def content_id(incoming: IncomingLead) -> str:
    """A stable id for a lead its sender gave none: the same content is the same lead."""
    c = incoming.customer
    key = "|".join([
        incoming.source, incoming.submitted_at.isoformat() if incoming.submitted_at else "",
        c.name, c.email or "", ",".join(p.number for p in c.phones), incoming.comments or "",
    ])
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:32]
