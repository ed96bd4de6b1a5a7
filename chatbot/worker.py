"""The worker's loop: every 5 s, turn due deadlines into escalations and deliver the outbox;
between ticks, the Courier delivers the moment something is queued or due.

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

from chatbot.escalation.handoffs import sweep_handoffs
from chatbot.escalation.sweeper import sweep
from chatbot.escalation.team_jobs import sweep_team_jobs
from chatbot.messaging.deliveries import forget_old_deliveries
from chatbot.messaging.outbox import Delivery, next_attempt
from chatbot.messaging.platforms import Platforms, deliver_all
from chatbot.messaging.ports import ChatPort

log = logging.getLogger(__name__)
INTERVAL_S = 5  # the sweep: an escalation is never later than this plus a second (deadlines are rows)
IDLE_S = 30.0  # the courier looks at least this often even when nothing woke it
BATCH = 200


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
    sweep_team_jobs(core, platforms)  # the weekly digest: stored rows, sent once (escalation/team_jobs.py)
    forgotten = forget_old_deliveries(core)
    sweep_handoffs(core, platforms)  # the incoming on-call rep's notice (escalation/handoffs.py)
    if fired or delivery.sent or delivery.failed:
        log.info("tick: %d escalation(s), %s", len(fired), delivery)
    return Tick(len(fired), delivery, forgotten)


class WorkerScheduler(BackgroundScheduler):
    """The tick's scheduler, with a Courier alongside: started and shut down together."""

    def __init__(self, courier: Courier, **options) -> None:
        super().__init__(**options)
        self.courier = courier

    def start(self, *args, **kwargs) -> None:
        super().start(*args, **kwargs)
        self.courier.start()

    def shutdown(self, *args, **kwargs) -> None:
        self.courier.stop()
        super().shutdown(*args, **kwargs)


def build_scheduler(core, platforms: Platforms, interval_s: int = INTERVAL_S) -> BackgroundScheduler:
    """A scheduler with the tick job, not started. One run at a time; missed runs collapse into one.

    Starting it also starts a Courier: retries, the end of an outage and paced backlogs are
    delivered when they are due, not on the next tick.
    """
    scheduler = WorkerScheduler(Courier(core, platforms), timezone="UTC")
    scheduler.add_job(tick, "interval", seconds=interval_s, args=(core, platforms), id="sweep_and_deliver",
                      name="sweep deadlines and deliver the outbox", max_instances=1, coalesce=True)
    return scheduler


class Courier:
    """Delivers the outbox from a thread of its own: the moment something is queued, and again
    the moment the earliest waiting message is due (a retry, a probe of a chat that is down).

    The web app wakes it after each stored lead, so the card is posted within a second rather
    than on the worker's next tick. While a chat is down it probes it every few seconds (the
    outbox decides when); the first success makes the whole backlog due, and the courier drains
    it in order, paced at what the platform allows. The tick stays the safety net.
    Wakes that arrive while it is delivering collapse into one more pass.
    """

    def __init__(self, core, platforms: Platforms) -> None:
        self.core, self.platforms = core, platforms
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-courier", daemon=True)

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        timeout: float | None = None
        while True:
            self._wake.wait(timeout)
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                delivery = deliver_all(self.core, self.platforms, BATCH)
                timeout = 0.0 if delivery.sent >= BATCH else self._until_next(bool(delivery.sent or delivery.failed))
            except Exception:  # noqa: BLE001 - a failed pass must not end the courier; it tries again
                log.exception("outbox delivery failed; the courier tries again")
                timeout = IDLE_S

    def _until_next(self, progressed: bool) -> float | None:
        """Seconds until the next pass: at once when the last one did something and more is due
        (its clock may have moved on), else when the earliest waiting message falls due
        (IDLE_S at most; None: nothing waits, sleep until woken)."""
        now = self.core.clock.now()
        earliest = next_attempt(self.core)
        if earliest is None:
            return None
        if earliest <= now and progressed:
            return 0.0
        later = next_attempt(self.core, after=now)
        return IDLE_S if later is None else min(IDLE_S, max(0.05, (later - now).total_seconds()))
