"""At most one effect per chat delivery: platforms retry events, a unique row says 'seen'.

Slack retries an Events API delivery it thinks failed (no 200 within 3 s), with the same
event_id. `first_delivery` inserts the id; the unique constraint makes the check atomic
across any number of web processes. Rows older than a day are pruned by the worker: Slack
stops retrying after about an hour.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from chatbot.store.db import transaction
from chatbot.store.models import ProcessedEvent

KEEP = timedelta(days=1)


def first_delivery(core, event_id: str) -> bool:
    """True the first time this delivery id is seen (and records it); False for a repeat."""
    try:
        with transaction(core.engine) as session:
            session.add(ProcessedEvent(event_id=event_id, received_at=core.clock.now()))
    except IntegrityError:
        return False
    return True


def forget_old_deliveries(core) -> int:
    cutoff = core.clock.now() - KEEP
    with transaction(core.engine) as session:
        return session.execute(delete(ProcessedEvent).where(col(ProcessedEvent.received_at) < cutoff)).rowcount
