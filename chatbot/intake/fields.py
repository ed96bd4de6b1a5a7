"""IncomingLead -> the Lead columns it is stored as. One mapping for `tracker.ingest` and
`chatbot lead check`, so what the check prints is exactly what intake would store."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from chatbot.domain.clock import whole_seconds
from chatbot.domain.contact import normalise_email, normalise_phone
from chatbot.intake.lead import IncomingLead


def lead_fields(incoming: IncomingLead, *, region: str, now: datetime) -> dict[str, Any]:
    """The stored fields: source, external_id, submitted_at, customer_name, phone (E.164),
    email, vehicle, comments, details. `now` is when the lead reached the bot: it stands in
    for a missing submission time and caps one in the future (a provider whose clock runs
    ahead must not push the first-contact deadline out)."""
    submitted = whole_seconds(incoming.submitted_at) if incoming.submitted_at else whole_seconds(now)
    submitted = min(submitted, whole_seconds(now))
    vehicle = incoming.vehicle_of_interest()
    return {
        "source": incoming.source,
        "external_id": incoming.external_id or content_id(incoming),
        "submitted_at": submitted,
        "customer_name": incoming.customer.name,
        "phone": first_phone(incoming, region),
        "email": normalise_email(incoming.customer.email) if incoming.customer.email else None,
        "vehicle": vehicle.describe() if vehicle else None,
        "comments": incoming.comments,
        "details": incoming.model_dump(mode="json"),
    }


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
