"""Token buckets per client address: how often one client may create sessions or send messages.

Owned by the event loop (the routes call it there), so no lock. Pure apart from the clock, which is
passed in for tests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_TRACKED_CLIENTS = 10_000  # past this, buckets that have refilled completely are forgotten


@dataclass
class TokenBucket:
    """`burst` tokens at most, refilled at `rate_per_s`; each allowed event takes one."""

    rate_per_s: float
    burst: int
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate_per_s)
        self.updated = now

    def take(self, now: float) -> bool:
        self.refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def retry_after_s(self) -> float:
        """Seconds until the next token (0 when one is there)."""
        return max(0.0, (1.0 - self.tokens) / self.rate_per_s)


class RateLimiter:
    """One token bucket per key (a client address)."""

    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def allow(self, key: str) -> bool:
        """Take a token for `key`; False when its bucket is empty (the event should be refused)."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED_CLIENTS:
                self._forget_full(now)
            bucket = self._buckets[key] = TokenBucket(self.rate_per_s, self.burst, float(self.burst), now)
        return bucket.take(now)

    def retry_after_s(self, key: str) -> float:
        bucket = self._buckets.get(key)
        return bucket.retry_after_s() if bucket else 0.0

    def _forget_full(self, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            bucket.refill(now)
            if bucket.tokens >= bucket.burst:
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass(frozen=True)
class CreationLimit:
    """How often one client address may create something of a kind, and that limit in words."""

    rate_per_s: float
    burst: int
    words: str

    def refusal(self, wait_s: float) -> tuple[str, float]:
        """The refusal of one creation too many: (message, seconds to wait)."""
        return f"{self.words}; try again in {math.ceil(wait_s)} s", wait_s


def message_limit(settings: Any) -> CreationLimit:
    """The websocket messages per client address (one process's bucket, api/deps.py; a cluster's, shared
    in Redis): a message past it is dropped with these words (the connection stays open)."""
    s = settings
    return CreationLimit(
        s.ws_messages_per_second,
        s.ws_message_burst,
        f"too many messages: the limit is {s.ws_messages_per_second:g} per second (bursts of "
        f"{s.ws_message_burst}) per address; this message was dropped, the connection stays open",
    )


def creation_limits(settings: Any) -> dict[str, CreationLimit]:
    """The server's limits per client address of new sessions (every lab's, sweeps, opened runs), rooms
    and joins (ServerSettings): one process's buckets (api/deps.py), a cluster's shared ones (Redis)."""
    s = settings
    return {
        "session": CreationLimit(
            s.session_creations_per_minute / 60.0,
            s.session_creation_burst,
            f"too many new sessions from this address: the limit is {s.session_creations_per_minute:g} "
            f"per minute (bursts of {s.session_creation_burst})",
        ),
        "room": CreationLimit(
            s.room_creations_per_minute / 60.0,
            s.room_creation_burst,
            f"too many new rooms from this address: the limit is {s.room_creations_per_minute:g} per minute "
            f"(bursts of {s.room_creation_burst}, NNPLAY_ROOM_CREATIONS_PER_MINUTE)",
        ),
        "join": CreationLimit(
            s.room_joins_per_minute / 60.0,
            s.room_join_burst,
            f"too many joins from this address: the limit is {s.room_joins_per_minute:g} per minute "
            f"(bursts of {s.room_join_burst}, NNPLAY_ROOM_JOINS_PER_MINUTE)",
        ),
    }
