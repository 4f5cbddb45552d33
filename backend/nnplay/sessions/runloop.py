"""A run's loop: commands applied in arrival order between chunks, chunks trained by the engine, frames
published (sessions/publisher.py); the changes of settings, data and weights it applies are
sessions/changes.py's. Mixed into Session, which adds the clients and the wire; everything here runs on
the session's run loop task (see session.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any, cast

from .. import protocol
from ..engine.seam import Engine
from . import commands, stopping
from .changes import RunChanges
from .family import Stamp
from .fanout import Fanout
from .pacing import FRAME_BUDGET_S, MAX_PACED_FPS, MAX_UNITS_PER_CHUNK, frame_interval_s, paced_units
from .publisher import FrameBudget, Publisher
from .runstate import RUNNING, CommandFailed

if TYPE_CHECKING:
    from .session import Session

log = logging.getLogger(__name__)


class RunLoop(RunChanges):
    """The run loop of a session (see the module docstring); Session sets the attributes it declares."""

    id: str
    engine: Engine
    client: str
    fanout: Fanout
    publisher: Publisher
    budget: FrameBudget | None
    view: Any
    kernel: str
    batch_members: int
    epochs_per_second: float
    accepted_config: Any
    _commands: deque[commands.Command]
    _wake: asyncio.Event
    _idle: asyncio.Event
    _last_failure: str
    _in_chunk: bool
    _framed: Any

    # ---- the run loop -------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            while self._commands:
                await self._apply(self._commands.popleft())
            try:
                self._check_landed_frame()
                if self.state in RUNNING:
                    await self._train_chunk(stepping=False)
                    continue
                if self.needs_frame:
                    self.needs_frame = False
                    frame = await self.publisher.make(self.plan, self._params, self._detail(), self.view)
                    self.publisher.publish(frame, self._stamp(self.plan), self._frame_interval() or 0.0)
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one run's failure never takes the server down, nor loops
                self._failed("internal_error", exc)
                continue
            self._idle.set()
            await self._wake.wait()
            self._idle.clear()

    async def idle(self) -> None:
        """Wait until the run loop has nothing left to do: every command applied, no chunk to train, the
        frame of where it stopped published (returns at once for a stopped run that nobody changes)."""
        await self._idle.wait()

    async def _apply(self, command: commands.Command) -> None:
        self.publisher.changed()  # a frame in flight would show a run this command may change
        error: Exception | None = None
        try:
            await commands.apply(cast("Session", self), command)
        except asyncio.CancelledError:
            raise
        except CommandFailed as exc:
            error = exc
            self._tell(command, protocol.error_message(exc.code, exc.message, exc.field))
        except Exception as exc:
            error = exc
            log.exception("session %s: %r failed", self.id, command.action)
            self._tell(command, protocol.error_message("internal_error", f"could not apply it: {exc}"))
        finally:
            if command.done is not None and not command.done.done():
                if isinstance(error, CommandFailed):
                    command.done.set_exception(error)
                else:
                    command.done.set_result(None)
            if not self._commands:
                self.accepted_config = self.config  # whatever failed, the next check starts from here

    def _tell(self, command: commands.Command, message: str) -> None:
        if command.origin is not None:
            command.origin.push_control(message)
        elif command.done is None:
            self.broadcast(message)

    def _failed(self, code: str, exc: Exception) -> None:
        """Pause and say so once: a failure that repeats is logged once, never in a loop."""
        text = f"{exc}"
        if text != self._last_failure:
            log.exception("session %s failed", self.id)
            self._last_failure = text
        self.needs_frame = False
        self.broadcast(protocol.error_message(code, f"the run hit an error and was paused: {text}"))
        self.set_state("paused", f"internal error: {text}; the session was paused", force=True)

    # ---- training -----------------------------------------------------------------------------

    def _frame_interval(self) -> float | None:
        """Seconds between this run's frames (None: none while nobody watches)."""
        config = self.config
        interval = frame_interval_s(len(self.fanout), self.fanout.any_visible, stopping.needs_losses(config))
        if interval is not None and self.budget is not None and not stopping.speed(config):
            interval = max(interval, self.budget.min_interval_s())  # a chosen speed is watched frame by frame
        return interval

    def _frame_due(self, ahead_s: float = 0.0) -> bool:
        """Whether a frame is due now, or (`ahead_s`) by the end of a chunk that long."""
        if self._frame_interval() is None:
            return self.needs_frame
        return self.needs_frame or self.publisher.due(ahead_s)

    def _detail(self) -> bool:
        """Whether a frame carries the insight views: when a viewer shows them. A frame made while nobody
        watches (a new run's first, before its page connects) has none: a viewer who comes later and
        shows them asks for a fresh frame (`viewers_changed`), and the page's first screen shows none."""
        return self.fanout.wants_detail

    def _start_frame(self, state: Any, urgent: bool = False) -> None:
        self.needs_frame = False
        self._framed = state
        self.publisher.start(
            self.plan,
            state,
            self._detail(),
            self.view,
            self._stamp(self.plan),
            self._frame_interval() or 0.0,
            urgent,
        )

    def _units_cap(self, stepping: bool, units: int) -> int | None:
        """The most units the next chunk may train (None: the run stops here, and says why)."""
        config = self.config
        cap = units if stepping else paced_units(MAX_UNITS_PER_CHUNK, stopping.speed(config))
        stop = stopping.stop_epoch(config)
        if stop and not stepping:
            if self.epoch >= stop:
                self.set_state(
                    "paused",
                    f"stopped: epoch {self.epoch} is at or past the stop epoch {stop}; raise it or reset "
                    "to train on",
                )
                return None
            # in units: a family that trains in minibatch steps stops at the epoch's boundary
            per_epoch = self.family.units_per_epoch(self.plan)
            cap = min(cap, max(1, round((stop - self.epoch) * per_epoch) - self.step_in_epoch))
        return cap

    async def _train_chunk(self, stepping: bool, units: int = 1) -> int:
        """Train one chunk (at most `units` when stepping) and publish its frame if one is due; returns the
        units trained."""
        plan, config = self.plan, self.config
        reason = self.family.untrainable(plan)
        if reason is not None:
            self.set_state("paused", reason, force=True)
            return 0
        cap = self._units_cap(stepping, units)
        if cap is None:
            return 0
        if stopping.speed(config) and not stepping:
            wait = self.publisher.last_frame_at + 1 / MAX_PACED_FPS - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        if not self.engine.ready(plan) and not stepping:
            self.set_state("compiling", "compiling the network for this device…")
        # A frame is made in the background while the next chunk trains, unless the run's rules read it
        # before going on (a loss-based stop, early stopping) or it is watched step by step.
        background = not (stepping or stopping.speed(config) or stopping.needs_losses(config))
        if background and self.needs_frame:  # an edit: show it now, from the weights it applies to
            self._start_frame(self._params, urgent=True)
        with_frame = not background and (stepping or self._frame_due(ahead_s=FRAME_BUDGET_S))
        started = time.perf_counter()
        self._in_chunk = background
        try:
            outcome = await self.engine.train(
                self.id,
                plan,
                self._params,
                cap,
                interrupt=None if stepping else self._wake,
                abandon=lambda: bool(self._commands),
                client=self.client,
            )
        finally:
            self._in_chunk = False
        if outcome is None:
            return 0  # withdrawn or abandoned for a command, which the run loop applies now
        elapsed = time.perf_counter() - started
        self._params, self.kernel, self.batch_members = outcome.state, outcome.kernel, outcome.batch_members
        position = self.family.advance(plan, self.epoch, self.step_in_epoch, outcome.units)
        self.epoch, self.step_in_epoch = position
        if not stepping and outcome.units:
            rate = outcome.units / max(elapsed, 1e-6) / self.family.units_per_epoch(plan)
            eps = self.epochs_per_second
            self.epochs_per_second = rate if eps == 0 else 0.7 * eps + 0.3 * rate
        frame = None
        if with_frame:
            frame = await self.publisher.make(plan, self._params, self.fanout.wants_detail, self.view)
        self.after_chunk(outcome.diverged, frame, stepping)
        if frame is not None:
            self.needs_frame = False
            self.publisher.publish(frame, self._stamp(plan), self._frame_interval() or 0.0)
        elif background and self.state in RUNNING and not self.publisher.busy and self._frame_due():
            self._start_frame(self._params)
        return outcome.units

    def _frame_landed(self) -> None:
        """A background frame was published while the next chunk trains. If a chunk ended while it was in
        flight (that chunk's frame was not started: one at a time), start that chunk's frame now rather
        than when the chunk in training ends: a class's frames keep up with its ticks."""
        if (
            self._in_chunk
            and self.state == "training"
            and not self._commands
            and self._params is not self._framed
            and self._frame_due()
        ):
            self._start_frame(self._params)

    def _check_landed_frame(self) -> None:
        """A background frame landed (its run unchanged since): divergence and stall checks on it."""
        if self.publisher.failure is not None:
            failure, self.publisher.failure = self.publisher.failure, None
            raise failure
        landed, self.publisher.landed = self.publisher.landed, None
        if landed is not None and self.state == "training":
            frame, stamp, state = landed
            self.after_frame(frame, stamp.epoch, state)

    async def step(self, units: int) -> None:
        """`units` of training (the family's step: an epoch, or to the end of some epochs), its frame, and
        a `status` saying the run is paused where it stopped."""
        reason = self.family.untrainable(self.plan)
        if reason is not None:
            raise CommandFailed("no_data", reason, "dataset")
        if self.state in RUNNING:
            self.state = "paused"
            self.release()
        left = units
        while left > 0:
            done = await self._train_chunk(stepping=True, units=left)
            left -= done
            if done == 0 or self.state in ("diverged", "stalled"):
                break
        if self.state not in ("diverged", "stalled"):
            self.set_state("paused", force=True)

    # ---- frames -------------------------------------------------------------------------------

    def _stamp(self, plan: Any) -> Stamp:
        return Stamp(
            epoch=self.epoch,
            progress=self.family.progress(plan, self.epoch, self.step_in_epoch),
            state=self.state,
            config_version=self.config_version,
            epochs_per_second=self.epochs_per_second if self.state == "training" else 0.0,
            generation=self.publisher.generation,
            plan=plan,
            view=self.view,
        )
