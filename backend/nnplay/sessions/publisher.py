"""Frames out of a session: evaluate a state (the engine), encode the frame once (the family), hand the
bytes to the fan-out.

A frame is stamped with what it shows (epoch, run state, config version) when its state is taken. A
training run's frames are made in the background (the engine's frame workers) while the next chunk
trains ("training never waits for a frame"): at most one per session in flight, and one whose run changed
meanwhile (a command was applied: a reset, an edit, a new config) is dropped, so a frame never shows a past
the page has already left. Everything here runs on the event loop; the session's run loop alone reads
`landed` and acts on it (stall and divergence checks).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ..engine.seam import Engine
from .family import Family, Stamp
from .fanout import Fanout
from .history import LossHistory


class FrameBudget:
    """The frames per second a server makes across its training sessions: each session's share caps its
    own rate (one session frames every chunk; a class of 100 at 1,200/s gets 12 frames/s each at most), so the
    frames never crowd out the training they show. `busy()` counts the sessions sharing it."""

    def __init__(self, frames_per_s: float, busy: Callable[[], int], refresh_s: float = 0.25) -> None:
        self.frames_per_s = frames_per_s
        self._busy = busy
        self._refresh_s = refresh_s
        self._count = 0
        self._counted_at = -float("inf")

    def min_interval_s(self) -> float:
        now = time.monotonic()
        if now - self._counted_at >= self._refresh_s:
            self._count, self._counted_at = self._busy(), now
        return max(self._count, 1) / self.frames_per_s


class Publisher:
    """A session's frames: made and published now (`make`, `publish`) or in the background (`start`)."""

    def __init__(self, fanout: Fanout, engine: Engine, family: Family) -> None:
        self.fanout = fanout
        self.engine = engine
        self.family = family
        self.generation = 0  # bumped whenever the run changes under a frame in flight
        self.last_eval: Any = None
        self.history = LossHistory()  # the losses of the frames published, by epoch
        self.last_frame_at = 0.0  # perf_counter of the newest frame published or started
        # a background frame (with its stamp and the state it shows) for the run loop to check
        self.landed: tuple[Any, Stamp, Any] | None = None
        self.failure: Exception | None = None  # a background frame that failed, for the run loop to report
        # called when a background frame is published: its run may have a newer state to show by then
        self.on_landed: Callable[[], None] | None = None
        self._next_due = 0.0  # perf_counter when the next paced frame is due
        self._task: asyncio.Task[None] | None = None
        self._superseded: set[asyncio.Task[None]] = set()  # older frames in flight, to be dropped

    def changed(self) -> None:
        """The run changed: a frame in flight shows a state that is gone."""
        self.generation += 1

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def due(self, ahead_s: float = 0.0) -> bool:
        """Whether the next paced frame is due now (or `ahead_s` from now)."""
        return time.perf_counter() + ahead_s >= self._next_due

    def paced(self, interval_s: float) -> None:
        """A frame was taken: the next is due `interval_s` after this one was due, not after it was taken
        (at most one interval's credit), so frames on a jittery chunk clock are not lost to pacing while
        the rate stays within 1 / `interval_s`."""
        now = time.perf_counter()
        self.last_frame_at = now
        self._next_due = max(self._next_due, now - interval_s) + interval_s

    async def make(self, plan: Any, state: Any, detail: bool, view: Any) -> Any:
        """The frame data of `state`, waited for."""
        return await asyncio.wrap_future(self.engine.frame(plan, state, detail, view))

    def publish(self, frame: Any, stamp: Stamp, interval_s: float | None = None) -> None:
        if interval_s is not None:
            self.paced(interval_s)
        self.last_eval = frame
        self.history.record(stamp.epoch, frame)
        self.fanout.publish(self.family.encode_frame(frame, stamp))

    def start(
        self,
        plan: Any,
        state: Any,
        detail: bool,
        view: Any,
        stamp: Stamp,
        interval_s: float,
        urgent: bool = False,
    ) -> None:
        """Make and publish the frame of `state` in the background (frames paced `interval_s` apart).
        Callers pacing frames check `busy` first; an edit's frame starts at once (the one in flight shows
        the past: it will be dropped) and is `urgent` (made without waiting for a batch)."""
        self.paced(interval_s)
        if self._task is not None and not self._task.done():
            self._superseded.add(self._task)
            self._task.add_done_callback(self._superseded.discard)
        try:  # handed to the engine now, not when the task first runs: a busy loop's turn comes late
            made = self.engine.frame(plan, state, detail, view, urgent)
        except Exception as exc:  # reported by the run loop, once
            self.failure = exc
            return
        self._task = asyncio.get_running_loop().create_task(self._land(made, stamp, state))

    async def _land(self, made: Future[Any], stamp: Stamp, state: Any) -> None:
        try:
            frame = await asyncio.wrap_future(made)
        except Exception as exc:  # reported by the run loop, once
            self.failure = exc
            return
        if stamp.generation == self.generation:
            self.publish(frame, stamp)
            self.landed = (frame, stamp, state)
            if self.on_landed is not None:
                self.on_landed()

    async def close(self) -> None:
        self.changed()
        for task in [*self._superseded, *([self._task] if self._task is not None else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
