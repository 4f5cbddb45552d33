"""Fan-out: the clients of one session, control messages in order, frames latest-wins.

A frame is encoded once and the same bytes go to every subscriber; a subscriber holds at most one
frame, so a slow client skips frames and never slows training or other clients. Watchers (read-only
subscribers: a class following its teacher's run) are paced together: the newest frame goes to all of
them at once, at most `watch_fps()` times a second, which falls as the class grows so that the sends
stay within WATCH_SENDS_PER_S (one timer and one wake-up per watcher per watched frame, not per frame).
This is the seam where a broker across replicas (publish(topic, bytes) / subscribe(topic)) plugs in
later. Everything here runs on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field

CONTROL_QUEUE = 64
WATCH_FPS = 20  # a watcher sees the run move; more would cost a whole class's CPU (bench/viewers.py)
MIN_WATCH_FPS = 12  # ... and never fewer than this, however large the class
# Frames a second sent to one session's watchers together: 300 watchers get 12 frames/s each (measured on
# 2 cores at 20 each: the run slowed to 0.42x of its unwatched speed and frames lagged 1.9 s at p99).
WATCH_SENDS_PER_S = 3600


@dataclass(eq=False)  # identity semantics: each connection is its own subscriber
class Subscriber:
    """One connected client: control messages in order, the newest frame, and what it shows."""

    read_only: bool = False  # a watcher: it sees everything and may change nothing
    visible: bool = True  # the client's tab is visible (the page reports it with a `viewer` message)
    insights: bool = False  # shows the insight views (histograms, ROC); not until the client says so
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
        self._watchers = 0
        self.last_frame: bytes | None = None
        self._watch_frame: bytes | None = None  # the newest frame the watchers have not had yet
        self._watch_timer: asyncio.TimerHandle | None = None
        self._next_watch_at = 0.0

    def __len__(self) -> int:
        return len(self._subscribers)

    def __iter__(self) -> Iterator[Subscriber]:
        return iter(self._subscribers)

    def add(self, sub: Subscriber) -> None:
        if sub not in self._subscribers:
            self._subscribers.add(sub)
            self._watchers += sub.read_only

    def discard(self, sub: Subscriber) -> None:
        if sub in self._subscribers:
            self._subscribers.discard(sub)
            self._watchers -= sub.read_only

    def broadcast(self, message: str | bytes) -> None:
        for sub in self._subscribers:
            sub.push_control(message)

    def watch_fps(self) -> float:
        """Frames a second each watcher gets (WATCH_FPS, fewer for a large class)."""
        return max(MIN_WATCH_FPS, min(WATCH_FPS, WATCH_SENDS_PER_S / max(self._watchers, 1)))

    def publish(self, frame: bytes) -> None:
        self.last_frame = frame
        for sub in self._subscribers:
            if not sub.read_only:
                sub.push_frame(frame)
        if not self._watchers:
            return
        self._watch_frame = frame
        if self._watch_timer is None:
            loop = asyncio.get_running_loop()
            delay = self._next_watch_at - loop.time()
            if delay <= 0:
                self._send_to_watchers()
            else:
                self._watch_timer = loop.call_later(delay, self._send_to_watchers)

    def _send_to_watchers(self) -> None:
        self._watch_timer = None
        frame, self._watch_frame = self._watch_frame, None
        if frame is None:
            return
        self._next_watch_at = asyncio.get_running_loop().time() + 1.0 / self.watch_fps()
        for sub in self._subscribers:
            if sub.read_only:
                sub.push_frame(frame)

    def close(self) -> None:
        if self._watch_timer is not None:
            self._watch_timer.cancel()
            self._watch_timer = None

    @property
    def any_visible(self) -> bool:
        return any(sub.visible for sub in self._subscribers)

    @property
    def wants_detail(self) -> bool:
        """Whether a visible client shows the insight views (histograms, the ROC curve)."""
        return any(sub.visible and sub.insights for sub in self._subscribers)
