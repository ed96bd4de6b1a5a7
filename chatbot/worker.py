"""The worker's loop: every 5 s, one `tick`, the worker's whole pass (escalations, lapses and
the morning summary; on-call handoffs; the weekly digest; the outbox; pruning); between ticks,
the Alarm sweeps the moment the earliest open lead's next step falls due (the indexed
`lead.due_at`), and the Courier delivers the moment something is queued or due. A step
is swept within a fraction of a second of falling due, and never later than the interval plus
a second (a lead changed by another process since the Alarm last looked waits at most that).

Delivery goes through the `Platforms` registry: each team's messages to its own chat; a team
whose chat is not configured here keeps them queued (counted as waiting).

Deadlines and messages are rows, so the loop holds no state a restart would lose (no job per
lead; the Alarm only asks the rows when the earliest falls due; the Courier's traffic is only
what it learned of the chats' pace and outages): a restart picks up where the last tick stopped.
One `worker` process runs it; two are safe too (the sweep and the outbox lock rows with SKIP
LOCKED and escalations have unique keys), just wasteful.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import col, func, select

from chatbot.escalation import handoffs, team_jobs
from chatbot.escalation.lookout import LOOK_EVERY_S, ReactionLookout
from chatbot.escalation.sweeper import sweep
from chatbot.messaging.bell import Bell
from chatbot.messaging.deliveries import forget_old_deliveries
from chatbot.messaging.outbox import Delivery, next_attempt
from chatbot.messaging.platforms import Platforms, deliver_all
from chatbot.messaging.ports import ChatPort
from chatbot.messaging.tidy import TIDY_EVERY_S, tidy_cards
from chatbot.messaging.traffic import LocalTraffic, Traffic
from chatbot.ops.heartbeat import beat
from chatbot.store.db import transaction
from chatbot.store.models import Lead, LeadStatus, Team

log = logging.getLogger(__name__)
INTERVAL_S = 5  # the sweep: an escalation is never later than this plus a second (deadlines are rows)
IDLE_S = 30.0  # the courier looks at least this often even when nothing woke it
BATCH = 200
POLL_S = 0.1  # the clock counts whole seconds: the Alarm watches a step's last second in tenths
_SWEEPING = threading.Lock()  # one sweep at a time in a process (the tick's, the Alarm's)


def through(chat: ChatPort) -> Platforms:
    """Every team's messages through one chat connection, whatever its platform (tests, benches)."""
    return Platforms.one_chat(chat)


@dataclass(frozen=True)
class Tick:
    escalations: int
    delivery: Delivery
    forgotten: int


def tick(core, platforms: Platforms, traffic: Traffic | None = None) -> Tick:
    """The worker's whole pass, what `chatbot worker` runs every 5 s and the console after each
    command: escalate what is due (lapses and each team's morning summary with it), plan the
    on-call handoffs and the weekly digests that have come due, send everything queued through
    each team's chat (`traffic`: the deliverer's pace and outages), prune old delivery ids.
    Everything scheduled becomes an outbox message in the same transaction as its row, so one
    delivery sends it all, in order. (The reaction lookout asks the chat and is rate-limited by
    it: a job of its own, every LOOK_EVERY_S, not part of the pass.)"""
    beat(core, "worker")  # the heartbeat /readyz and chatbot doctor read (chatbot/ops/heartbeat.py)
    with _SWEEPING:
        fired = sweep(core)
    handoffs.sweep_handoffs(core)  # the incoming on-call rep's notice
    team_jobs.sweep_team_jobs(core)  # the weekly digest
    delivery = deliver_all(core, platforms, traffic=traffic)
    forgotten = forget_old_deliveries(core)
    if fired or delivery.sent or delivery.failed:
        log.info("tick: %d escalation(s), %s", len(fired), delivery)
    return Tick(len(fired), delivery, forgotten)


def next_moment(core, team_id: int) -> datetime | None:
    """When the tick next has something to do for the team without anyone acting: a lead's next
    step, the next on-call shift's start, the next weekly digest (None: nothing is scheduled)."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        team = session.get(Team, team_id)
        due = session.exec(select(func.min(Lead.due_at)).where(
            Lead.team_id == team_id, Lead.status == LeadStatus.OPEN)).one()
        moments = [due, handoffs.next_handoff(session, team, now), team_jobs.next_digest(session, team, now)]
    return min((moment for moment in moments if moment is not None), default=None)


class WorkerScheduler(BackgroundScheduler):
    """The tick's scheduler, with a Courier and an Alarm alongside: started and shut down together."""

    def __init__(self, courier: Courier, alarm: Alarm, bell: Bell, **options) -> None:
        super().__init__(**options)
        self.courier, self.alarm, self.bell = courier, alarm, bell

    def start(self, *args, **kwargs) -> None:
        super().start(*args, **kwargs)
        self.courier.start()
        self.alarm.start()
        self.bell.start()

    def shutdown(self, *args, **kwargs) -> None:
        self.bell.stop()
        self.alarm.stop()
        self.courier.stop()
        super().shutdown(*args, **kwargs)


def build_scheduler(core, platforms: Platforms, interval_s: int = INTERVAL_S) -> BackgroundScheduler:
    """A scheduler with the tick job, not started. One run at a time; missed runs collapse into one.

    Starting it also starts a Courier: retries, the end of an outage and paced backlogs are
    delivered when they are due, not on the next tick; and an Alarm: a step is swept the moment
    it falls due, and its notices handed to the Courier at once; and, on PostgreSQL, a Bell: a
    message queued by any process (a lead stored by the web) wakes the Courier at once. A second job, the reaction
    lookout (chatbot/escalation/lookout.py), claims cards whose reaction's event never came; a
    third, the card tidy (chatbot/messaging/tidy.py), deletes the copies a late-answered post left.
    """
    courier = Courier(core, platforms)
    scheduler = WorkerScheduler(courier, Alarm(core, courier, interval_s), Bell(core.engine, courier.wake),
                                timezone="UTC")
    scheduler.add_job(tick, "interval", seconds=interval_s, args=(core, platforms, courier.traffic),
                      id="sweep_and_deliver",
                      name="the worker's pass: sweep, handoffs, digest, deliver", max_instances=1, coalesce=True)
    scheduler.add_job(look_for_lost_reactions, "interval", seconds=LOOK_EVERY_S,
                      args=(ReactionLookout(), core, platforms, courier), id="reaction_lookout",
                      name="claim unclaimed cards whose reaction never reached us", max_instances=1, coalesce=True)
    scheduler.add_job(tidy_card_copies, "interval", seconds=TIDY_EVERY_S, args=(core, platforms, courier),
                      id="card_tidy", name="delete the copies of a card a late-answered post left",
                      max_instances=1, coalesce=True)
    return scheduler


def tidy_card_copies(core, platforms: Platforms, courier: Courier) -> None:
    """The card tidy's pass; a lead that adopted a copy has its card update delivered at once."""
    if tidy_cards(core, platforms):
        courier.wake()


def look_for_lost_reactions(lookout: ReactionLookout, core, platforms: Platforms, courier: Courier) -> None:
    """The reaction lookout's pass; what it claims (card updates, the rep's note) goes out at once."""
    if lookout.look(core, platforms):
        courier.wake()


class Courier:
    """Delivers the outbox from a thread of its own: the moment something is queued, and again
    the moment the earliest waiting message is due (a retry, a probe of a chat that is down).

    The web app wakes it after each stored lead, so the card is posted within a second rather
    than on the worker's next tick. While a chat is down it probes it every few seconds (the
    outbox decides when); the first success makes the whole backlog due, and the courier drains
    it in order, paced at what the platform allows. The tick stays the safety net.
    Wakes that arrive while it is delivering collapse into one more pass. It owns its deliveries'
    `traffic` (pace per lane, known outages), which the worker's tick shares.
    """

    def __init__(self, core, platforms: Platforms) -> None:
        self.core, self.platforms = core, platforms
        self.traffic = LocalTraffic()
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
                delivery = deliver_all(self.core, self.platforms, BATCH, traffic=self.traffic)
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


def next_due(core, after: datetime | None = None) -> datetime | None:
    """When the earliest open lead's next step falls due (`after`: the earliest later than that);
    None: no open lead waits for one. Reads the indexed `lead.due_at`."""
    with transaction(core.engine) as session:
        query = select(func.min(Lead.due_at)).where(Lead.status == LeadStatus.OPEN)
        if after is not None:
            query = query.where(col(Lead.due_at) > after)
        return session.exec(query).one()


class Alarm:
    """Sweeps from a thread of its own the moment the earliest open lead's next step falls due,
    and at least every `interval_s`; what the sweep fires goes to the Courier at once.

    It keeps no job per lead, only the next time to look, read from the rows after each sweep;
    a lead whose `due_at` moved earlier in another process is seen within `interval_s`. Steps
    still due after a sweep that fired nothing (another worker holds the lead) wait for the
    next due time or the interval: it never spins on them.
    """

    def __init__(self, core, courier: Courier, interval_s: float = INTERVAL_S) -> None:
        self.core, self.courier, self.interval_s = core, courier, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sweep-alarm", daemon=True)

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                swept_at = self.core.clock.now()
                with _SWEEPING:
                    fired = sweep(self.core)
                if fired:
                    self.courier.wake()
                due = self._next(swept_at, progressed=bool(fired))
            except Exception:  # noqa: BLE001 - a failed sweep must not end the alarm; it tries again
                log.exception("sweep failed; the alarm tries again")
                due = None
            self._sleep_until(due)

    def _next(self, swept_at: datetime, progressed: bool) -> datetime | None:
        """The moment to sweep next: at once when the sweep did something and left steps due
        (more than one sweep's worth), else the earliest step due after the sweep looked."""
        earliest = next_due(self.core)
        if progressed and earliest is not None and earliest <= swept_at:
            return earliest
        return next_due(self.core, after=swept_at)

    def _sleep_until(self, due: datetime | None) -> None:
        """Until the core's clock reaches `due` (None: nothing is due), `interval_s` at most."""
        give_up = time.monotonic() + self.interval_s
        while not self._stop.is_set():
            left = give_up - time.monotonic()
            if left <= 0:
                return
            if due is not None:
                ahead = (due - self.core.clock.now()).total_seconds()
                if ahead <= 0:
                    return
                left = min(left, max(POLL_S, ahead - 1))  # whole seconds: the last one in tenths
            self._stop.wait(left)
