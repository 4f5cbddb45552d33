"""Fan-out: the clients of one session, control messages in order, frames latest-wins.

A frame is encoded once and the same bytes go to every subscriber; a subscriber holds at most one
frame, so a slow client skips frames and never slows training or other clients. This is the seam where
a broker across replicas (publish(topic, bytes) / subscribe(topic)) plugs in later.
Everything here runs on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field

CONTROL_QUEUE = 64


@dataclass(eq=False)  # identity semantics: each connection is its own subscriber
class Subscriber:
    """One connected client: control messages in order, the newest frame, and what it shows."""

    read_only: bool = False  # a watcher: it sees everything and may change nothing
    visible: bool = True  # the client's tab is visible (the page reports it with a `viewer` message)
    insights: bool = True  # the client shows the insight views (histograms, ROC)
    control: asyncio.Queue[str | bytes] = field(default_factory=lambda: asyncio.Queue(CONTROL_QUEUE))
    frame: bytes | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    dropped_control: int = 0  # control messages dropped because the client stopped reading

    def push_control(self, message: str | bytes) -> None:
        if self.control.full():  # a client that stopped reading loses the oldest, not the server
            self.control.get_nowait()
            self.dropped_control += 1
        self.control.put_nowait(message)
        self.wake.set()

    def push_frame(self, frame: bytes) -> None:
        self.frame = frame
        self.wake.set()

    def held_bytes(self) -> int:
        """Bytes this subscriber holds for its client (bounded: CONTROL_QUEUE messages + one frame)."""
        queued: int = sum(len(m) for m in self.control._queue)  # type: ignore[attr-defined,misc]
        return queued + (len(self.frame) if self.frame else 0)


class Fanout:
    """The subscribers of one session and the last frame, for late joiners."""

    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()
        self.last_frame: bytes | None = None

    def __len__(self) -> int:
        return len(self._subscribers)

    def __iter__(self) -> Iterator[Subscriber]:
        return iter(self._subscribers)

    def add(self, sub: Subscriber) -> None:
        self._subscribers.add(sub)

    def discard(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    def broadcast(self, message: str | bytes) -> None:
        for sub in self._subscribers:
            sub.push_control(message)

    def publish(self, frame: bytes) -> None:
        self.last_frame = frame
        for sub in self._subscribers:
            sub.push_frame(frame)

    @property
    def any_visible(self) -> bool:
        return any(sub.visible for sub in self._subscribers)

    @property
    def wants_detail(self) -> bool:
        """Whether a visible client shows the insight views (histograms, the ROC curve)."""
        return any(sub.visible and sub.insights for sub in self._subscribers)
