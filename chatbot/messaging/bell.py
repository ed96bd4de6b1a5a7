"""The outbox bell: on PostgreSQL, every message queued rings it (NOTIFY, sent when the queuing
transaction commits), and a worker in another process that listens is woken at once instead of
on its next poll. SQLite has no such channel (and one file serves one host): there the web
process's own Courier delivers what it stored, and the worker's tick is the safety net.

Ringing is a mapper event on OutboxMessage (chatbot/messaging/queue.py), so every way of queuing
(a card, a notice, a handoff, a digest) rings without knowing of it. Listening is a thread with a connection of its own that
waits on the channel and calls `wake` for each ring (rings that arrive together wake once: the
Courier collapses wakes). A lost connection is opened again after a pause; meanwhile the tick
and the Courier's own timers still deliver.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
CHANNEL = "chatbot_outbox"
RECONNECT_S = 5.0


class Bell:
    """Calls `wake` whenever a message is queued by any process on this PostgreSQL database."""

    def __init__(self, engine, wake: Callable[[], None]) -> None:
        self.engine, self.wake = engine, wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-bell", daemon=True)

    @property
    def listens(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def start(self) -> None:
        if self.listens and not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # noqa: BLE001 - the database restarting must not end the bell
                log.warning("outbox_bell_lost error=%s; listening again in %.0f s", type(exc).__name__, RECONNECT_S)
                self._stop.wait(RECONNECT_S)

    def _listen(self) -> None:
        with self.engine.connect() as connection:
            driver = connection.connection.driver_connection  # psycopg's own connection
            driver.autocommit = True
            driver.execute(f"LISTEN {CHANNEL}")
            self.wake()  # what was queued while nobody listened
            while not self._stop.is_set():
                for _ in driver.notifies(timeout=1.0, stop_after=1):
                    self.wake()
