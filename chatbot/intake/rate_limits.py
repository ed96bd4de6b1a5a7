"""Each intake key's fair share: a token bucket per key, so one sender's flood is answered 429
with a Retry-After at once, and every other key's leads (and the chats' acks) still go through.

A key may make `per_minute` requests a minute on average (its own setting, `chatbot keys rate`,
else DEFAULT_PER_MINUTE) and up to a tenth of that (at least MIN_BURST) back to back: a provider
re-sending a morning's backlog gets through, a loop posting the same lead 300 times a second
does not. The buckets live in the web process that answers (with two web processes, each allows
its share): a limit on load, not an account of it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_PER_MINUTE = 600
"""10 a second on average: far above what any provider or CRM sends, far below a flood."""
MIN_BURST = 10


@dataclass
class _Bucket:
    tokens: float
    at: float


class KeyBuckets:
    """Take one request's token for a key, or learn how long until there is one."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._buckets: dict[int, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key_id: int, per_minute: int | None) -> int:
        """0 when the request may go ahead (its token taken); else the whole seconds to wait."""
        rate = (per_minute or DEFAULT_PER_MINUTE) / 60  # tokens a second
        burst = max(MIN_BURST, (per_minute or DEFAULT_PER_MINUTE) // 10)
        now = self._monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(key_id, _Bucket(float(burst), now))
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0
            return max(1, math.ceil((1 - bucket.tokens) / rate))
