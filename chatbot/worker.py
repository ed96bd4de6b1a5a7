"""The worker's loop: every 30 s, turn due deadlines into escalations and deliver the outbox.

Delivery goes through the `Platforms` registry: each team's messages to its own chat; a team
whose chat is not configured here keeps them queued (counted as waiting).

Deadlines and messages are rows, so the loop holds no state: a restart picks up where the
last tick stopped. One `worker` process runs it; two are safe too (the sweep and the outbox
lock rows with SKIP LOCKED and escalations have unique keys), just wasteful.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

from chatbot.escalation.sweeper import sweep
from chatbot.messaging.outbox import Delivery
from chatbot.messaging.platforms import Platforms, deliver_all
from chatbot.messaging.ports import ChatPort
from chatbot.store.deliveries import forget_old_deliveries

log = logging.getLogger(__name__)
INTERVAL_S = 30


def through(chat: ChatPort) -> Platforms:
    """Every team's messages through one chat connection, whatever its platform (tests, benches)."""
    return Platforms.one_chat(chat)


@dataclass(frozen=True)
class Tick:
    escalations: int
    delivery: Delivery
    forgotten: int


def tick(core, platforms: Platforms) -> Tick:
    """One pass: escalate what is due, send what is queued through each team's chat, prune old delivery ids."""
    fired = sweep(core)
    delivery = deliver_all(core, platforms)
    forgotten = forget_old_deliveries(core)
    if fired or delivery.sent or delivery.failed:
        log.info("tick: %d escalation(s), %s", len(fired), delivery)
    return Tick(len(fired), delivery, forgotten)


def build_scheduler(core, platforms: Platforms, interval_s: int = INTERVAL_S) -> BackgroundScheduler:
    """A scheduler with the tick job, not started. One run at a time; missed runs collapse into one."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(tick, "interval", seconds=interval_s, args=(core, platforms), id="sweep_and_deliver",
                      name="sweep deadlines and deliver the outbox", max_instances=1, coalesce=True)
    return scheduler


class Courier:
    """Delivers the outbox the moment something is queued, from a thread of its own.

    The web app wakes it after each stored lead, so the card is posted within a second rather
    than on the worker's next tick; the tick stays the safety net for anything that failed.
    Wakes that arrive while it is delivering collapse into one more pass.
    """

    def __init__(self, core, platforms: Platforms) -> None:
        self.core, self.platforms = core, platforms
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-courier", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                deliver_all(self.core, self.platforms)
            except Exception:  # noqa: BLE001 - a failed pass must not end the courier; the tick retries
                log.exception("outbox delivery failed; the worker's next tick retries")
