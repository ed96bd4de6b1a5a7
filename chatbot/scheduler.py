"""The worker's loop: every 30 s, turn due deadlines into escalations and deliver the outbox.

Deadlines and messages are rows, so the loop holds no state: a restart picks up where the
last tick stopped. One `worker` process runs it; two are safe too (the sweep and the outbox
lock rows with SKIP LOCKED and escalations have unique keys), just wasteful.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

from chatbot.deliveries import forget_old_deliveries
from chatbot.outbox import Delivery, deliver_pending
from chatbot.ports import ChatPort
from chatbot.sweeper import sweep

log = logging.getLogger(__name__)
INTERVAL_S = 30
Deliver = Callable[[object], Delivery]  # core -> what it delivered (to one chat, or to each workspace)


def through(chat: ChatPort) -> Deliver:
    """Deliver every team's messages through one chat connection (a single workspace)."""
    return lambda core: deliver_pending(core, chat)


@dataclass(frozen=True)
class Tick:
    escalations: int
    delivery: Delivery
    forgotten: int


def tick(core, deliver: Deliver) -> Tick:
    """One pass: escalate what is due, send what is queued, prune old delivery ids."""
    fired = sweep(core)
    delivery = deliver(core)
    forgotten = forget_old_deliveries(core)
    if fired or delivery.sent or delivery.failed:
        log.info("tick: %d escalation(s), %s", len(fired), delivery)
    return Tick(len(fired), delivery, forgotten)


def build_scheduler(core, deliver: Deliver, interval_s: int = INTERVAL_S) -> BackgroundScheduler:
    """A scheduler with the tick job, not started. One run at a time; missed runs collapse into one."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(tick, "interval", seconds=interval_s, args=(core, deliver), id="sweep_and_deliver",
                      name="sweep deadlines and deliver the outbox", max_instances=1, coalesce=True)
    return scheduler
