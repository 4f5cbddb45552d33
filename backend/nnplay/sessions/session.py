"""A session: one training run, its state and its run loop.

Concurrency model (one owner): the session's state (plan, params, epoch, state, own points) is changed
only by its run loop task, on the event loop. Websocket handlers never change it: they `accept` a
message (commands.py), which checks it and queues it; the run loop applies queued commands one by one,
in arrival order, between chunks. Worker threads run only pure functions of an immutable plan and a
state (make_plan, train_chunk, frame_data) and return values. Exact kernels compile on the engine's own
compile thread and are shared by every session with the same spec (engine/kernels.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import protocol
from ..engine import kernels
from ..engine.framer import framer
from ..engine.frames import FrameData, frame_data
from ..engine.kernels import ChunkOutcome
from ..engine.plan import Plan, make_plan, reuses_data
from ..engine.scheduler import TrainingScheduler
from ..engine.weights import fit_state, fresh_state
from ..engine.work import ChunkRequest
from ..schemas import ConfigError, TrainConfig, make_config
from ..userdata import parse_csv
from . import commands, stopping
from .fanout import Fanout, Subscriber
from .pacing import (
    FRAME_BUDGET_S,
    MAX_EPOCHS_PER_CHUNK,
    MAX_PACED_FPS,
    ChunkClock,
    frame_interval_s,
    paced_epochs,
)
from .publisher import FrameBudget, Publisher, Stamp
from .runstate import RUNNING, RunState

log = logging.getLogger(__name__)


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Done callback of an abandoned chunk: its outcome is read, so an error is not logged as lost."""
    if not future.cancelled():
        future.exception()


class Session(RunState):
    """A training run that any number of clients can watch, and its owner's clients drive."""

    def __init__(
        self,
        session_id: str,
        config: TrainConfig,
        scheduler: TrainingScheduler | None = None,
        budget: FrameBudget | None = None,
    ) -> None:
        plan = make_plan(config)
        super().__init__(plan, fresh_state(plan))
        self.id = session_id
        # None: this session trains alone on its own kernels (`NNPLAY_SCHEDULER=per_session`); else
        # the scheduler trains it in one batched call with the other sessions of its bucket.
        self.scheduler = scheduler
        self.batch_members = 1
        self.watch_id = secrets.token_urlsafe(9)  # a read-only view of the run, safe to share
        self.accepted_config = config  # the newest accepted config (queued commands may not be applied)
        self.fanout = Fanout()
        self.publisher = Publisher(self.fanout)
        self.budget = budget  # the server's frames shared among its training sessions (None: no cap)
        self.last_active = time.monotonic()
        self.epochs_per_second = 0.0
        self.kernel = "padded"
        self._clock = ChunkClock()
        self._commands: deque[commands.Command] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_failure = ""
        self._data_message = self.encode_data()

    # ---- lifecycle ----------------------------------------------------------------------------

    def start_loop(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"session-{self.id}")

    async def close(self) -> None:
        await self.publisher.close()
        self.fanout.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def subscribe(self, read_only: bool = False) -> Subscriber:
        sub = Subscriber(read_only=read_only)
        self.fanout.add(sub)
        sub.push_control(self.hello(read_only))
        sub.push_control(self._data_message)
        if self.fanout.last_frame is not None:
            sub.push_frame(self.fanout.last_frame)
        self.viewers_changed()
        self.touch()
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.fanout.discard(sub)
        self.touch()

    @property
    def subscribers(self) -> Fanout:
        return self.fanout

    @property
    def last_frame(self) -> bytes | None:
        return self.fanout.last_frame

    @property
    def last_eval(self) -> FrameData | None:
        """The evaluation of the newest frame published."""
        return self.publisher.last_eval

    def touch(self) -> None:
        self.last_active = time.monotonic()

    def enqueue(self, command: commands.Command) -> None:
        self._commands.append(command)
        self._wake.set()

    def handle(self, message: Any, sub: Subscriber | None = None) -> str | None:
        """Take one parsed client message (see commands.accept); returns a reply for the sender alone."""
        return commands.accept(self, message, sub)

    def viewers_changed(self) -> None:
        """A viewer joined or its view changed: it should get a fresh frame soon."""
        self.needs_frame = True
        self._wake.set()

    def adopt(
        self, state: Any, epoch: int, points: np.ndarray | None = None, labels: np.ndarray | None = None
    ) -> None:
        """Take over another run's weights, epoch and own points (a classroom fork, a restored snapshot):
        queued like a command, so it lands between chunks after what was sent before it."""
        self.enqueue(commands.Command(commands.TakeOver(state, epoch, points, labels)))

    async def settled(self) -> None:
        """Wait until every command queued so far has been applied."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.enqueue(commands.Command(commands.Barrier(), None, done))
        await done

    async def replace_points(self, csv_text: str) -> int:
        """The person's own data from a CSV (x1,x2,label); raises PointsError, changing nothing.
        Returns once the new data is what the run trains on."""
        points, labels = parse_csv(csv_text, self.accepted_config.problem)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.enqueue(commands.Command(commands.ReplacePoints(points, labels), None, done))
        await done
        return len(points)

    # ---- what clients see ---------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        ev = self.last_eval
        return {
            "id": self.id,
            "watch_id": self.watch_id,
            "config": self.config.public(),
            "config_version": self.config_version,
            "state": self.state,
            "message": self.message,
            "epoch": self.epoch,
            "train_loss": protocol.finite_or_none(ev.train_loss) if ev else None,
            "test_loss": protocol.finite_or_none(ev.test_loss) if ev else None,
            "train_accuracy": protocol.finite_or_none(ev.train_accuracy) if ev else None,
            "test_accuracy": protocol.finite_or_none(ev.test_accuracy) if ev else None,
            "kernel": self.kernel,
            "engine": "per_session" if self.scheduler is None else "batched",
            "batch_members": self.batch_members,  # sessions trained in the same call as this one
            "viewers": len(self.fanout),
        }

    def hello(self, read_only: bool = False) -> str:
        from ..engine.runtime import device_info

        owner = {} if read_only else {"session": self.id}  # a watcher never learns the control id
        return protocol.json_message(
            "hello",
            **owner,
            watch_id=self.watch_id,
            read_only=read_only,
            config=self.config.public(),
            config_version=self.config_version,
            state=self.state,
            message=self.message,
            epoch=self.epoch,
            **device_info(),
        )

    def broadcast(self, message: str | bytes) -> None:
        self.fanout.broadcast(message)

    # ---- the run loop -------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            while self._commands:
                await self._apply(self._commands.popleft())
            try:
                self._check_landed_frame()
                if self.state in ("training", "compiling"):
                    await self._train_chunk(stepping=False)
                    continue
                if self.needs_frame:
                    await self._publish(await self._frame(self.plan, self.params, True))
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one run's failure never takes the server down, nor loops
                self._failed("internal_error", exc)
                continue
            await self._wake.wait()

    async def _apply(self, command: commands.Command) -> None:
        self.publisher.changed()  # a frame in flight would show a run this command may change
        try:
            await commands.apply(self, command)
        except asyncio.CancelledError:
            raise
        except commands.CommandFailed as exc:
            self._tell(command, protocol.error_message(exc.code, exc.message, exc.field))
        except Exception as exc:
            log.exception("session %s: %r failed", self.id, command.action)
            self._tell(command, protocol.error_message("internal_error", f"could not apply it: {exc}"))
        finally:
            if command.done is not None and not command.done.done():
                command.done.set_result(None)
            if not self._commands:
                self.accepted_config = self.config  # whatever failed, the next check starts from here

    def _tell(self, command: commands.Command, message: str) -> None:
        if command.origin is not None:
            command.origin.push_control(message)
        else:
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
        interval = frame_interval_s(
            len(self.fanout), self.fanout.any_visible, stopping.needs_losses(self.config)
        )
        if interval is not None and self.budget is not None and not self.config.speed:
            interval = max(interval, self.budget.min_interval_s())  # a chosen speed is watched frame by frame
        return interval

    def _frame_due(self, ahead_s: float = 0.0) -> bool:
        """Whether a frame is due now, or (`ahead_s`) by the end of a chunk that long, which is when a
        frame made with the chunk is published."""
        interval = self._frame_interval()
        if interval is None:
            return self.needs_frame
        return self.needs_frame or self.publisher.due(ahead_s)

    def _start_frame(self, plan: Plan, state: Any, detail: bool, urgent: bool = False) -> None:
        self.needs_frame = False
        self.publisher.start(plan, state, detail, self._stamp(), self._frame_interval() or 0.0, urgent)

    @staticmethod
    def _chunk(
        plan: Plan, state: Any, epochs: int, frame: bool, detail: bool
    ) -> tuple[ChunkOutcome, FrameData | None, float, float | None]:
        """In a worker thread: train, then evaluate if a frame is due. Pure."""
        started = time.perf_counter()
        outcome = kernels.train_chunk(plan, state, epochs)
        trained = time.perf_counter()
        if not frame:
            return outcome, None, trained - started, None
        ev = frame_data(plan, outcome.params, detail)
        return outcome, ev, trained - started, time.perf_counter() - trained

    async def _train_chunk(self, stepping: bool) -> None:
        """Train one chunk (one epoch when stepping) and publish its frame if one is due."""
        plan, config = self.plan, self.config
        if plan.n_train == 0:
            self.set_state("paused", stopping.NO_TRAINING_POINTS, force=True)
            return
        if not stepping and self.scheduler is None:
            kernels.compile_exact(plan, self.params)
        kernel = "exact" if kernels.exact_kernel(plan.exact_spec) is not None else "padded"
        with_frame = stepping or self._frame_due(ahead_s=FRAME_BUDGET_S)
        epochs = 1 if stepping else paced_epochs(self._clock.epochs_for(kernel, with_frame), config.speed)
        if config.speed and not stepping:
            wait = self.publisher.last_frame_at + 1 / MAX_PACED_FPS - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        if config.stop_epoch and not stepping:
            if self.epoch >= config.stop_epoch:
                self.set_state(
                    "paused",
                    f"stopped: epoch {self.epoch} is at or past the stop epoch {config.stop_epoch}; "
                    "raise it or reset to train on",
                )
                return
            epochs = min(epochs, config.stop_epoch - self.epoch)
        if self.scheduler is None and kernel == "padded" and not kernels.padded_ready(plan):
            self.set_state("compiling", "compiling the network for this device…")
        started = time.perf_counter()
        detail = self.fanout.wants_detail or not self.fanout
        # Batched, a frame is made in the background while the next chunk trains, unless the run's
        # rules read it before going on (a loss-based stop, early stopping) or it is watched frame by
        # frame (stepping, a chosen speed).
        background = self.scheduler is not None and not (
            stepping or config.speed or stopping.needs_losses(config)
        )
        if background and self.needs_frame:  # an edit: show it now, from the weights it applies to
            self._start_frame(plan, self.params, detail, urgent=True)
        if self.scheduler is None:
            outcome, frame, train_s, eval_s = await asyncio.to_thread(
                self._chunk, plan, self.params, epochs, with_frame, detail
            )
        else:
            scheduled = await self._scheduled_chunk(
                plan,
                epochs if stepping or config.speed or config.stop_epoch else None,
                with_frame and not background,
                detail,
                withdrawable=not stepping,
            )
            if scheduled is None:
                return  # withdrawn for a command, which the run loop applies now
            outcome, frame, train_s, eval_s = scheduled
        elapsed = time.perf_counter() - started
        self.params, self.epoch, self.kernel = outcome.params, self.epoch + outcome.epochs, outcome.kernel
        if not stepping:
            self._clock.learn(outcome.kernel, outcome.epochs, train_s, eval_s)
            rate = outcome.epochs / max(elapsed, 1e-6)
            eps = self.epochs_per_second
            self.epochs_per_second = rate if eps == 0 else 0.7 * eps + 0.3 * rate
        self.after_chunk(outcome.diverged, frame, stepping)
        if frame is not None:
            await self._publish(frame)
        elif background and self.state in RUNNING and not self.publisher.busy and self._frame_due():
            self._start_frame(plan, outcome.params, detail)

    def _check_landed_frame(self) -> None:
        """A background frame landed (its run unchanged since): divergence and stall checks on it."""
        if self.publisher.failure is not None:
            failure, self.publisher.failure = self.publisher.failure, None
            raise failure
        landed, self.publisher.landed = self.publisher.landed, None
        if landed is not None and self.state == "training":
            frame, stamp = landed
            self.after_frame(frame, stamp.epoch)

    @staticmethod
    async def _frame(plan: Plan, state: Any, detail: bool) -> FrameData:
        return await asyncio.wrap_future(framer().submit(plan, state, detail))

    async def _scheduled_chunk(
        self, plan: Plan, epochs: int | None, with_frame: bool, detail: bool, withdrawable: bool
    ) -> tuple[ChunkOutcome, FrameData | None, float, float | None] | None:
        """Train through the scheduler (batched with the other sessions of the bucket; it picks the
        epochs unless `epochs` caps them), then make the frame if one is due. None: a command came
        first and the chunk was withdrawn or abandoned (only if `withdrawable`)."""
        assert self.scheduler is not None
        state = fit_state(self.params, plan)
        request = ChunkRequest.from_plan(
            self.id, plan, state, epochs or MAX_EPOCHS_PER_CHUNK, exact_data=plan.exact_data
        )
        started = time.perf_counter()
        if not self.scheduler.has_kernel_for(request):
            self.set_state("compiling", "compiling the network for this device…")
        submitted = self.scheduler.submit(request)
        future = asyncio.wrap_future(submitted)
        # A command that arrives before the scheduler takes the chunk withdraws it: the command is
        # applied at once instead of a tick or two later (edits show within one frame).
        waiting: set[asyncio.Future[Any]] = {future}
        woken = asyncio.ensure_future(self._wake.wait()) if withdrawable else None
        if woken is not None:
            waiting.add(woken)
        try:
            done, _ = await asyncio.wait(waiting, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
            if not done:  # the scheduler compiles this bucket's kernel first
                self.set_state("compiling", "compiling the network for this device…")
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if future not in done and submitted.cancel():
                return None
            if future not in done and self._commands:
                # The scheduler already runs the chunk: it is abandoned, its epochs dropped unseen (every
                # frame shows the weights before it), and the command applies now to the weights the page
                # shows, instead of after the tick (2 CPU cores, 30 sessions: configure -> frame p95
                # 130-150 ms -> ~55 ms, for a tick's epochs an edit costs once).
                future.add_done_callback(_retrieved)
                return None
        finally:
            if woken is not None:
                woken.cancel()
        batched = await future
        outcome = ChunkOutcome(batched.params, batched.epochs, batched.diverged, batched.kernel)
        self.batch_members = batched.batch_members
        trained = time.perf_counter()
        if not with_frame:
            return outcome, None, trained - started, None
        frame = await self._frame(plan, outcome.params, detail)
        return outcome, frame, trained - started, time.perf_counter() - trained

    async def step(self) -> None:
        """One epoch, its frame, and a `status` saying the run is paused at the epoch it reached."""
        if self.plan.n_train == 0:
            raise commands.CommandFailed("no_data", stopping.NO_TRAINING_POINTS, "dataset")
        if self.state in ("training", "compiling"):
            self.state = "paused"
        await self._train_chunk(stepping=True)
        if self.state not in ("diverged", "stalled"):
            self.set_state("paused", force=True)

    @staticmethod
    def _prepare(
        config: TrainConfig, previous: Plan | None, custom: Any, params: Any, fresh: bool
    ) -> tuple[Plan, Any]:
        """In a worker thread: the plan of a config and the state fit for it (fresh weights if asked)."""
        plan = make_plan(config, previous, custom)
        return plan, fresh_state(plan) if fresh else fit_state(params, plan)

    async def adopt_config(self, config: TrainConfig, keep_weights: bool) -> None:
        reason = None if keep_weights else self.fresh_run_reason(self.config, config)
        old = self.plan
        args = (config, old, self.custom, self.params, reason is not None)
        if reason is None and reuses_data(config, old):
            # A setting changed, not the data nor the weights: well under a millisecond, made here. In a
            # worker thread on a busy server its turn came tens of milliseconds later (2 CPU cores, 30
            # sessions: a learning-rate change took 16-42 ms at the median from command to plan, 1 here).
            plan, state = self._prepare(*args)
        else:
            plan, state = await asyncio.to_thread(self._prepare, *args)
        self.adopt_plan(plan, state, reason)
        if (plan.exact_spec, plan.shape, plan.arch.kind) != (old.exact_spec, old.shape, old.arch.kind):
            self._clock.forget()  # another net trains at another speed: measure again

    async def edit_params(self, edit: Callable[..., Any], *args: Any) -> None:
        try:
            self.params = await asyncio.to_thread(edit, self.plan, self.params, *args)
        except Exception as exc:  # the net changed since the edit was checked
            field = getattr(exc, "field", "layer")
            raise commands.CommandFailed("invalid_value", getattr(exc, "message", str(exc)), field) from None
        self.needs_frame = True

    async def set_points(self, points: np.ndarray, labels: np.ndarray) -> None:
        config = self.config
        if config.dataset != "custom":
            try:
                config = make_config(config, {"dataset": "custom"})
            except ConfigError as exc:
                raise commands.CommandFailed("invalid_value", exc.message, exc.field) from None
        custom = (points, labels)
        plan, state = await asyncio.to_thread(self._prepare, config, None, custom, self.params, False)
        self.custom = custom
        self.adopt_plan(plan, state, None)
        self._clock.forget()
        if plan.n_train == 0 and self.state in ("training", "compiling"):
            self.set_state("paused", stopping.NO_TRAINING_POINTS, force=True)

    # ---- frames -------------------------------------------------------------------------------

    def _stamp(self) -> Stamp:
        return Stamp(
            epoch=self.epoch,
            state=self.state,
            config_version=self.config_version,
            epochs_per_second=self.epochs_per_second if self.state == "training" else 0.0,
            layers=tuple(self.config.hidden_layers),
            generation=self.publisher.generation,
        )

    async def _publish(self, ev: FrameData) -> None:
        self.needs_frame = False
        self.publisher.paced(self._frame_interval() or 0.0)
        self.publisher.publish(ev, self._stamp())

    def encode_data(self) -> bytes:
        split, config = self.plan.split, self.config
        classes = 0 if config.problem == "regression" else max(config.n_classes, 2)
        return protocol.encode_data(
            self.data_version,
            config.problem,
            split.train_x,
            split.train_y,
            split.test_x,
            split.test_y,
            classes=classes,
        )

    def data_changed(self) -> None:
        super().data_changed()
        self._data_message = self.encode_data()
        self.broadcast(self._data_message)
