"""Caps that hold under parallel requests, and whose work may make room at a cap.

A `Quota` counts slots per key (a client) and in total. A slot is taken when it is reserved, in the same
synchronous step as the check, before the caller awaits anything (building a session in a thread,
writing a room); it is given back when what it was for ends, or at once if building it fails (a `Slot`
is a context manager that releases itself on an exception). Checking a count and registering the thing
only after an await let parallel requests walk through a cap: 30 creations from one address left 30
sessions alive with a cap of 16.

Owner: the event loop (managers, the classroom and the API call it there), so no lock: nothing here
awaits, which is what makes a check and its reservation one step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sized
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Protocol, TypeVar

# Another client's session may make room only if nobody has watched or used it for this long (the age at
# which the manager pauses a run nobody watches): never a run someone is looking at or came back to.
EVICT_OTHERS_AFTER_S = 300.0

Blocked = Literal["key", "total"]


@dataclass(eq=False)
class Slot:
    """One unit counted against a Quota, from `reserve` until `release` (released once, however often
    it is called)."""

    quota: Quota
    key: str
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.quota._give_back(self.key)

    def __enter__(self) -> Slot:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:  # what the slot was reserved for failed (or was cancelled): give it back
            self.release()


class Quota:
    """Slots per key and in total, each bounded (None: unbounded)."""

    def __init__(self, total: int | None, per_key: int | None = None) -> None:
        self.total = total
        self.per_key = per_key
        self._counts: dict[str, int] = {}
        self._held = 0

    def count(self, key: str | None = None) -> int:
        """Slots held by `key` (all slots when None)."""
        return self._held if key is None else self._counts.get(key, 0)

    def blocked(self, key: str) -> Blocked | None:
        """Which cap one more slot for `key` would pass: its own ("key"), the total, or none."""
        if self.per_key is not None and self.count(key) >= self.per_key:
            return "key"
        if self.total is not None and self._held >= self.total:
            return "total"
        return None

    def reserve(self, key: str) -> Slot | None:
        """A slot for `key`, taken now; None when a cap is reached (see `blocked`)."""
        if self.blocked(key) is not None:
            return None
        return self.take(key)

    def take(self, key: str) -> Slot:
        """A slot for `key` whatever the caps (for what exists already, e.g. rooms loaded at start-up)."""
        self._counts[key] = self._counts.get(key, 0) + 1
        self._held += 1
        return Slot(self, key)

    def _give_back(self, key: str) -> None:
        left = self._counts.get(key, 0) - 1
        if left > 0:
            self._counts[key] = left
        else:
            self._counts.pop(key, None)
        self._held -= 1


class Evictable(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def subscribers(self) -> Sized: ...
    @property
    def last_active(self) -> float: ...


E = TypeVar("E", bound=Evictable)


def eviction_candidate(
    own: Iterable[E], others: Iterable[E], blocked: Blocked, now: float, others_after_s: float
) -> E | None:
    """Which session makes room for a client at a cap (None: none may).

    The client's own least recently active session that nobody watches, first. Only when the whole
    server is full (not the client's own share) may another client's session go, and then only one that
    nobody watches and nobody has used for `others_after_s`: no client can evict another's work."""
    idle = [s for s in own if not s.subscribers]
    if not idle and blocked == "total":
        idle = [s for s in others if not s.subscribers and now - s.last_active >= others_after_s]
    return min(idle, key=lambda s: s.last_active) if idle else None
