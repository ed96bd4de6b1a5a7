"""What a deliverer remembers between sends about the chats it sends to: how fast each lane may
take a new message (the platform's pace), and which chats are down since when.

The delivery loop (outbox.py) asks a `Traffic` before each new message and tells it each
outage's start and end; whoever delivers owns one (the worker's Courier and tick share theirs,
the web app's listeners keep their own, the console its own) and hands it to every pass.
`LocalTraffic` keeps it in this process's memory; a deliverer that passes none gets a fresh one
for that pass only (pacing holds within the pass, an outage is forgotten with it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chatbot.messaging.ports import Pace


@dataclass
class Outage:
    """A chat known to be down: since when, and how many sends failed meanwhile."""

    since: datetime
    failures: int = 0


class Traffic(Protocol):
    def wait(self, lane: tuple, pace: Pace) -> float:
        """Take the lane's turn for one new message, sleeping until there is one; the seconds slept."""

    def went_down(self, chat: tuple, now: datetime) -> bool:
        """A send to `chat` (platform, team) failed because the chat is down; True when this starts an outage."""

    def came_back(self, chat: tuple) -> Outage | None:
        """A send to `chat` went through: the outage it ends, if one was known."""


class LocalTraffic:
    """Token buckets per lane (at most `pace.burst` at once, then `pace.per_second`) and the known
    outages, in memory, safe across threads. Real (monotonic) time, not the core's clock: it
    paces calls to a real service."""

    def __init__(self, monotonic=time.monotonic, sleep=time.sleep) -> None:
        self._monotonic, self._sleep = monotonic, sleep
        self._lock = threading.Lock()
        self._buckets: dict[tuple, tuple[float, float]] = {}
        self._outages: dict[tuple, Outage] = {}

    def wait(self, lane: tuple, pace: Pace) -> float:
        with self._lock:
            now = self._monotonic()
            tokens, then = self._buckets.get(lane, (float(pace.burst), now))
            tokens = min(float(pace.burst), tokens + (now - then) * pace.per_second) - 1
            self._buckets[lane] = (tokens, now)
        delay = -tokens / pace.per_second if tokens < 0 else 0.0
        if delay > 0:
            self._sleep(delay)
        return delay

    def went_down(self, chat: tuple, now: datetime) -> bool:
        with self._lock:
            outage = self._outages.get(chat)
            started = outage is None
            if started:
                outage = self._outages[chat] = Outage(since=now)
            outage.failures += 1
        return started

    def came_back(self, chat: tuple) -> Outage | None:
        with self._lock:
            return self._outages.pop(chat, None)
