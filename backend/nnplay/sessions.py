"""Sessions: one training run each, with its own loop, latest-frame slot and subscribers.

Concurrency model: every mutation of a session happens on the asyncio event loop. The run loop hands
pure, blocking kernel calls (train, evaluate, compile) to worker threads with `asyncio.to_thread`
(XLA releases the GIL) and applies client commands between chunks, so nothing needs a lock. Frames
go into a one-slot mailbox per subscriber: a slow client skips frames and never slows training.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import protocol
from .datasets import MAX_POINTS
from .engine.evaluate import GRID_SIZE, NEURON_GRID_SIZE
from .engine.trainer import ChunkOutcome, FrameData, Trainer
from .schemas import ConfigError, TrainConfig, make_config
from .settings import dataset_classes
from .userdata import PointsError, check_point, parse_csv

log = logging.getLogger(__name__)

FRAME_BUDGET_S = 0.030  # aim for ~30 frames per second while training
MAX_EPOCHS_PER_CHUNK = 5000
MAX_PACED_FPS = 60
CONTROL_QUEUE = 64


class SessionNotFound(KeyError):
    """No session has this id (it never existed, or it expired)."""


class TooManySessions(RuntimeError):
    """The server's session limit is reached and none is idle enough to evict."""


@dataclass(eq=False)  # identity semantics: each connection is its own subscriber
class Subscriber:
    """One connected client: control messages in order, frames latest-wins."""

    control: asyncio.Queue[str | bytes] = field(default_factory=lambda: asyncio.Queue(CONTROL_QUEUE))
    frame: bytes | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def push_control(self, message: str | bytes) -> None:
        if self.control.full():  # a client that stopped reading loses the oldest, not the server
            self.control.get_nowait()
        self.control.put_nowait(message)
        self.wake.set()

    def push_frame(self, frame: bytes) -> None:
        self.frame = frame
        self.wake.set()


class Session:
    """A training run that any number of clients can watch and drive."""

    def __init__(self, session_id: str, config: TrainConfig) -> None:
        self.id = session_id
        self.watch_id = secrets.token_urlsafe(9)  # public: read-only watching (/ws/watch/{watch_id})
        self.trainer = Trainer(config)
        self.params = self.trainer.init_params()
        self.config_version = 1
        self.data_version = 1
        self.epoch = 0
        self.state = "paused"  # paused | training | compiling | diverged
        self.message = ""
        self.last_frame: bytes | None = None
        self.last_eval: FrameData | None = None
        self.epochs_per_second = 0.0
        self.kernel = "padded"
        self.subscribers: set[Subscriber] = set()
        self.last_active = time.monotonic()
        # Seconds per epoch of each kernel for the current config, and per evaluation: chunk sizing.
        self._sec_per_epoch: dict[str, float] = {}
        self._eval_s = 0.004
        self._pending_config: TrainConfig | None = None
        self._pending_reset = False
        self._pending_steps = 0
        self._pending_edits: list[Any] = []  # set_weight / set_bias messages, applied in order
        self._pending_rollback = False
        self._pending_points = False  # the person's own points changed: the trainer must get them
        self._pending_adopt: tuple[Any, int] | None = None  # (state, epoch) taken over from another run
        # A person's own points (data set "custom"): part of what they built, kept with the session.
        self.custom_points = np.zeros((0, 2), np.float32)
        self.custom_labels = np.zeros(0, np.float32)
        # (params, epoch) of the last healthy frame; the initial weights count as one
        self._last_good: tuple[Any, int] | None = (self.params, 0)
        self._best: tuple[Any, int, float] | None = None  # (params, epoch, test loss) for early stopping
        self._last_frame_at = 0.0
        self._needs_frame = True
        self._wake = asyncio.Event()
        self._compile_task: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._data_message = self._encode_data()

    # ---- lifecycle ----------------------------------------------------------------------------

    @property
    def config(self) -> TrainConfig:
        """The newest accepted config (it may not have reached the trainer yet)."""
        return self._pending_config or self.trainer.config

    def start_loop(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"session-{self.id}")
            self._wake.set()

    async def close(self) -> None:
        for task in (self._task, self._compile_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def subscribe(self) -> Subscriber:
        sub = Subscriber()
        self.subscribers.add(sub)
        sub.push_control(self.hello())
        sub.push_control(self._data_message)
        if self.last_frame is not None:
            sub.push_frame(self.last_frame)
        self.touch()
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)
        self.touch()

    def touch(self) -> None:
        self.last_active = time.monotonic()

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
            "viewers": len(self.subscribers),
        }

    def hello(self) -> str:
        from .engine.runtime import device_info

        return protocol.json_message(
            "hello",
            session=self.id,
            watch_id=self.watch_id,
            config=self.config.public(),
            config_version=self.config_version,
            state=self.state,
            message=self.message,
            epoch=self.epoch,
            **device_info(),
        )

    def _broadcast(self, message: str | bytes) -> None:
        for sub in self.subscribers:
            sub.push_control(message)

    def _set_state(self, state: str, message: str = "") -> None:
        if (state, message) != (self.state, self.message):
            self.state, self.message = state, message
            self._broadcast(protocol.json_message("status", state=state, epoch=self.epoch, message=message))

    def _encode_data(self) -> bytes:
        split = self.trainer.plan.split
        return protocol.encode_data(
            self.data_version,
            self.trainer.config.problem,
            split.train_x,
            split.train_y,
            split.test_x,
            split.test_y,
            classes=self._classes(),
        )

    def _classes(self) -> int:
        """K for a multi-class data set, 2 for a binary one, 0 for regression (the `data` message's)."""
        config = self.trainer.config
        if config.problem == "regression":
            return 0
        return config.n_classes if config.n_classes > 1 else 2

    # ---- commands (called on the event loop; applied between chunks) --------------------------

    def start(self) -> None:
        if self.state not in ("training", "compiling"):
            self._set_state("training")
        self._wake.set()

    def pause(self) -> None:
        self._pending_steps = 0
        if self.state in ("training", "compiling"):
            self._set_state("paused")

    def step(self) -> None:
        if self.state in ("training", "compiling"):
            self._set_state("paused")
        self._pending_steps += 1
        self._wake.set()

    def reset(self) -> None:
        self._pending_reset = True
        self._pending_steps = 0
        self._set_state("paused")
        self._wake.set()

    def configure(self, changes: dict[str, Any]) -> str | None:
        """Validate and queue a partial config change; raises ConfigError, leaving everything as it was.

        A change is announced to every client; one that changes nothing is answered to its sender only.
        """
        config = make_config(self.config, changes)
        message = protocol.json_message(
            "config", config=config.public(), config_version=self.config_version + 1
        )
        if config == self.config:
            return protocol.json_message("config", config=config.public(), config_version=self.config_version)
        self._pending_config = config
        self.config_version += 1
        self._broadcast(message)
        self._wake.set()
        return None

    def handle(self, message: Any) -> str | None:
        """Apply one parsed client message; returns a reply for the sender alone, if any."""
        self.touch()
        kind = message.type
        if kind == "ping":
            return protocol.json_message("pong")
        if kind == "configure":
            try:
                return self.configure(message.changes)
            except ConfigError as exc:
                return protocol.error_message("invalid_value", exc.message, exc.field)
        if kind in ("add_point", "remove_point", "clear_points"):
            try:
                self.edit_points(message)
            except PointsError as exc:
                field = "dataset" if dataset_classes(self.config.dataset) == "multi" else "label"
                return protocol.error_message("invalid_value", str(exc), field)
            return None
        if kind in ("set_weight", "set_bias"):
            if self._pending_config is not None or self._pending_reset:
                return protocol.error_message(
                    "busy", "the network is being changed; set the weight again in a moment", "layer"
                )
            try:  # validate now against the current net, so the sender hears about bad indices
                self._apply_edit(message, self.params)
            except ConfigError as exc:
                return protocol.error_message("invalid_value", exc.message, exc.field)
            self._pending_edits.append(message)
            self._wake.set()
            return None
        reply: str | None = getattr(self, kind)()
        return reply

    def edit_points(self, message: Any) -> None:
        """Add, remove or clear points of the person's own data; the first edit starts from the current
        data set's points, so one can add to what one sees. Raises PointsError."""
        problem = self.config.problem
        if dataset_classes(self.config.dataset) == "multi" and message.type != "clear_points":
            raise PointsError(
                f"your own points have two classes (1 and -1), so they cannot start from the "
                f"{self.config.classes}-class data set {self.config.dataset!r}: pick a two-class data set, "
                "or clear the points and draw from scratch"
            )
        if self.config.dataset != "custom":
            split = self.trainer.plan.split
            self.custom_points = np.concatenate([split.train_x, split.test_x])
            self.custom_labels = np.concatenate([split.train_y, split.test_y])
        if message.type == "add_point":
            if len(self.custom_points) >= MAX_POINTS:
                raise PointsError(f"there are already {MAX_POINTS} points; remove some first")
            label = check_point(message.x1, message.x2, message.label, problem)
            self.custom_points = np.vstack([self.custom_points, [[message.x1, message.x2]]]).astype(
                np.float32
            )
            self.custom_labels = np.append(self.custom_labels, np.float32(label))
        elif message.type == "remove_point" and len(self.custom_points):
            distance = np.hypot(*(self.custom_points - (message.x1, message.x2)).T)
            nearest = int(np.argmin(distance))
            if distance[nearest] <= 0.5:
                self.custom_points = np.delete(self.custom_points, nearest, axis=0)
                self.custom_labels = np.delete(self.custom_labels, nearest)
        elif message.type == "clear_points":
            self.custom_points = np.zeros((0, 2), np.float32)
            self.custom_labels = np.zeros(0, np.float32)
        self._points_changed()

    def replace_points(self, csv_text: str) -> int:
        """The person's own data from a CSV file (x1,x2,label); raises PointsError, changing nothing."""
        points, labels = parse_csv(csv_text, self.config.problem)
        self.custom_points, self.custom_labels = points, labels
        self._points_changed()
        return len(points)

    def adopt(
        self, state: Any, epoch: int, points: np.ndarray | None = None, labels: np.ndarray | None = None
    ) -> None:
        """Take over another run's weights, epoch and own points (a classroom fork, a restored snapshot),
        applied between chunks; the state is fitted to this session's config."""
        if points is not None and labels is not None:
            self.custom_points = np.asarray(points, np.float32).reshape(-1, 2)
            self.custom_labels = np.asarray(labels, np.float32)
            self._pending_points = True
        self._pending_adopt = (state, epoch)
        self._pending_reset = False
        self._wake.set()

    def _points_changed(self) -> None:
        self._pending_points = True
        if self.config.dataset != "custom":
            self.configure({"dataset": "custom"})
        self._wake.set()

    def _apply_edit(self, message: Any, params: Any) -> Any:
        if message.type == "set_weight":
            return self.trainer.set_weight(
                params, message.layer, message.source, message.target, message.value
            )
        return self.trainer.set_bias(params, message.layer, message.neuron, message.value)

    # ---- the run loop -------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            if not self._has_work():
                await self._wake.wait()
            self._wake.clear()
            try:
                await self._apply_pending()
                if self.state in ("training", "compiling") or self._pending_steps:
                    await self._train_once()
                elif self._needs_frame:
                    await self._publish(await asyncio.to_thread(self.trainer.evaluate, self.params))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never let one run's failure take the server down
                log.exception("session %s failed", self.id)
                self._set_state("paused", f"internal error: {exc}; the session was paused")
                await asyncio.sleep(0.1)

    def _has_work(self) -> bool:
        return bool(
            self.state in ("training", "compiling")
            or self._pending_steps
            or self._pending_config
            or self._pending_reset
            or self._pending_edits
            or self._pending_rollback
            or self._pending_adopt is not None
            or self._pending_points
            or self._needs_frame
        )

    async def _apply_pending(self) -> None:
        if self._pending_points:
            self._pending_points = False
            points, labels = self.custom_points, self.custom_labels
            if await asyncio.to_thread(self.trainer.set_custom_points, points, labels):
                self._data_changed()
        if self._pending_config is not None:
            config, self._pending_config = self._pending_config, None
            data_changed, self.params = await asyncio.to_thread(self._configure, config, self.params)
            if data_changed:
                self._data_changed()
            self._sec_per_epoch.clear()  # another config trains at another speed: measure again
            self._best = None  # early stopping compares losses of the same net only
            if self.state == "diverged":
                self._set_state(
                    "paused", "settings changed; press play to continue from the last good weights"
                )
            self._needs_frame = True
        if self._pending_adopt is not None:
            (state, epoch), self._pending_adopt = self._pending_adopt, None
            self.params = await asyncio.to_thread(self.trainer.fit_params, state)
            self.epoch = epoch
            self._last_good, self._best = (self.params, epoch), None
            self._needs_frame = True
        if self._pending_rollback:
            self._pending_rollback = False
            if self._last_good is not None:
                self.params, self.epoch = self._last_good
                self._set_state("paused", f"rolled back to epoch {self.epoch}, the last good weights")
                self._needs_frame = True
        if self._pending_reset:
            self._pending_reset = False
            self._pending_rollback = False
            self._best = None
            self._pending_edits.clear()
            self.params = self.trainer.init_params()
            self.epoch = 0
            self._last_good = (self.params, 0)
            # reset() paused already; a start sent after the reset (a lesson step, then play) stands
            self._needs_frame = True
        if self._pending_edits:
            edits, self._pending_edits = self._pending_edits, []
            for edit in edits:
                with contextlib.suppress(ConfigError):  # validated on arrival; the net has not changed since
                    self.params = self._apply_edit(edit, self.params)
            self._needs_frame = True

    def _data_changed(self) -> None:
        self.data_version += 1
        self._data_message = self._encode_data()
        self._broadcast(self._data_message)
        self._needs_frame = True
        self._best = None

    def _configure(self, config: TrainConfig, params: Any) -> tuple[bool, Any]:
        """In a worker thread: adopt the config and fit the state to it (may set up optimizer state)."""
        data_changed = self.trainer.configure(config)
        return data_changed, self.trainer.fit_params(params)

    def _ensure_exact_kernel(self) -> None:
        """Compile the exact kernel for the current config in the background, once at a time."""
        if self.trainer.exact_ready or (self._compile_task and not self._compile_task.done()):
            return
        params = self.params

        async def compile_exact() -> None:
            try:
                await asyncio.to_thread(self.trainer.prepare_exact, params)
            except Exception:
                log.exception("exact kernel compile failed; the padded kernel keeps training")
            self._wake.set()

        self._compile_task = asyncio.get_running_loop().create_task(compile_exact())

    def _chunk_epochs(self) -> int:
        """Epochs for the next chunk so that training + evaluation fill one frame budget."""
        kernel = "exact" if self.trainer.exact_ready else "padded"
        per_epoch = self._sec_per_epoch.get(kernel)
        if per_epoch is None:
            return 1  # probe: one epoch measures this config's speed at little cost
        budget = max(FRAME_BUDGET_S - self._eval_s, FRAME_BUDGET_S / 4)
        return int(min(MAX_EPOCHS_PER_CHUNK, max(1, budget / per_epoch)))

    def _learn_timing(self, kernel: str, epochs: int, train_s: float, eval_s: float) -> None:
        self._eval_s = 0.5 * self._eval_s + 0.5 * eval_s
        if epochs == 0:
            return
        sample = train_s / epochs
        old = self._sec_per_epoch.get(kernel)
        self._sec_per_epoch[kernel] = sample if old is None else 0.5 * old + 0.5 * sample

    async def _train_once(self) -> None:
        stepping = self.state not in ("training", "compiling")
        if stepping:
            self._pending_steps -= 1
        else:
            self._ensure_exact_kernel()
        speed = self.trainer.config.speed
        epochs = 1 if stepping else self._chunk_epochs()
        if speed and not stepping:
            epochs = min(epochs, speed)
            # A chosen speed is watched frame by frame: at most MAX_PACED_FPS frames per second.
            wait = self._last_frame_at + 1 / MAX_PACED_FPS - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        stop_epoch = self.trainer.config.stop_epoch
        if stop_epoch and not stepping:
            if self.epoch >= stop_epoch:
                self._set_state(
                    "paused",
                    f"stopped: epoch {self.epoch} is at or past the stop epoch "
                    f"{stop_epoch}; raise it or reset to train on",
                )
                return
            epochs = min(epochs, stop_epoch - self.epoch)
        if not self.trainer.exact_ready and not self.trainer.padded_ready:
            self._set_state("compiling", "compiling the network for this device…")
        started = time.perf_counter()
        outcome, frame, train_s, eval_s = await asyncio.to_thread(
            self._train_and_evaluate, self.params, epochs
        )
        elapsed = time.perf_counter() - started
        if self._pending_reset:
            return  # a reset arrived while this chunk ran: its result belongs to the old run
        self.params = outcome.params
        self.epoch += outcome.epochs
        self.kernel = outcome.kernel
        if not stepping:
            self._learn_timing(outcome.kernel, outcome.epochs, train_s, eval_s)
            rate = outcome.epochs / max(elapsed, 1e-6)
            self.epochs_per_second = (
                rate if self.epochs_per_second == 0 else 0.7 * self.epochs_per_second + 0.3 * rate
            )
        if outcome.diverged or not frame.train_loss < float("inf"):
            self._set_state("diverged", self._divergence_message())
        else:
            self._last_good = (self.params, self.epoch)
            if self.state == "compiling":
                self._set_state("training" if not stepping else "paused")
            if not stepping:
                self._check_stop_conditions(frame)
        await self._publish(frame)

    def _check_stop_conditions(self, frame: FrameData) -> None:
        """Pause at the stop epoch, at the stop loss, or when early stopping gives up (best weights back)."""
        config = self.trainer.config
        if config.stop_epoch and self.epoch >= config.stop_epoch:
            self._set_state("paused", f"stopped at epoch {self.epoch}, as set (stop at epoch)")
        elif config.stop_loss and frame.train_loss <= config.stop_loss:
            self._set_state(
                "paused",
                f"stopped at epoch {self.epoch}: training loss {frame.train_loss:.4g} reached "
                f"{config.stop_loss:g}",
            )
        elif config.early_stopping == "on":
            best = self._best
            if best is None or frame.test_loss < best[2]:
                self._best = (self.params, self.epoch, frame.test_loss)
            elif self.epoch - best[1] >= config.patience:
                self.params, self.epoch = best[0], best[1]
                self._needs_frame = True
                self._set_state(
                    "paused",
                    f"early stopping: the test loss has not improved for {config.patience} epochs; "
                    f"back to the best weights, from epoch {best[1]} (test loss {best[2]:.4g})",
                )

    def rollback(self) -> str | None:
        """Back to the weights and epoch of the last healthy frame (after a divergence); answers the sender
        alone when there is nothing to go back to."""
        if self._last_good is None:
            return protocol.error_message("nothing_to_roll_back", "there is no earlier good state yet")
        self._pending_rollback = True
        self._wake.set()
        return None

    def _train_and_evaluate(self, params: Any, epochs: int) -> tuple[ChunkOutcome, FrameData, float, float]:
        started = time.perf_counter()
        outcome = self.trainer.train(params, epochs)  # returns synchronised (epochs read back)
        trained = time.perf_counter()
        frame = self.trainer.evaluate(outcome.params)
        return outcome, frame, trained - started, time.perf_counter() - trained

    def _divergence_message(self) -> str:
        lr = self.trainer.config.learning_rate
        return (
            f"training diverged at epoch {self.epoch + 1}: the loss or the weights became NaN, infinite "
            "or explosively large. "
            f"Learning rate {lr:g} is too high for this network; try ≤ {lr / 10:g}. Roll back to the last "
            "good weights, or lower the rate and press play to go on from here, or reset."
        )

    async def _publish(self, ev: FrameData) -> None:
        self._needs_frame = False
        self._last_frame_at = time.perf_counter()
        self.last_eval = ev
        frame = protocol.encode_frame(
            epoch=self.epoch,
            state=self.state,
            config_version=self.config_version,
            train_loss=ev.train_loss,
            test_loss=ev.test_loss,
            train_accuracy=ev.train_accuracy,
            test_accuracy=ev.test_accuracy,
            epochs_per_second=self.epochs_per_second if self.state == "training" else 0.0,
            layers=list(self.trainer.config.hidden_layers),
            output_grid=ev.output_grid,
            neuron_grids=ev.neuron_grids,
            weights=ev.weights,
            biases=ev.biases,
            grid_size=GRID_SIZE,
            neuron_grid_size=NEURON_GRID_SIZE,
            learning_rate=ev.learning_rate,
            metrics=ev.metrics,
            grad_norms=ev.grad_norms,
            weight_hist=ev.weight_hist,
            activation_hist=ev.activation_hist,
            outputs=ev.outputs,
            output_classes=ev.output_classes,
        )
        self.last_frame = frame
        for sub in self.subscribers:
            sub.push_frame(frame)


class SessionManager:
    """Creates, finds and expires sessions, within a bound."""

    def __init__(
        self, max_sessions: int = 64, idle_timeout_s: float = 3600.0, max_per_client: int = 16
    ) -> None:
        self.max_sessions = max_sessions
        self.max_per_client = max_per_client
        self.idle_timeout_s = idle_timeout_s
        self._sessions: dict[str, Session] = {}
        self._owners: dict[str, str] = {}  # session id -> the client (address) that created it

    def __len__(self) -> int:
        return len(self._sessions)

    async def create(self, changes: dict[str, Any] | None = None, client: str = "") -> Session:
        """A new paused session from defaults + `changes`; raises ConfigError or TooManySessions.

        At a limit (per client, then in total) the least recently used session nobody watches makes room.
        """
        config = make_config(None, changes or {})
        own = [s for sid, s in self._sessions.items() if self._owners.get(sid) == client]
        if len(own) >= self.max_per_client and not await self._evict_one(own):
            raise TooManySessions(
                f"this client already has {self.max_per_client} sessions open; close some and try again"
            )
        if len(self._sessions) >= self.max_sessions and not await self._evict_one(self._sessions.values()):
            raise TooManySessions(f"the server already runs {self.max_sessions} sessions; try again later")
        session_id = secrets.token_urlsafe(9)
        session = await asyncio.to_thread(Session, session_id, config)
        self._sessions[session_id] = session
        self._owners[session_id] = client
        session.start_loop()
        return session

    def by_watch_id(self, watch_id: str) -> Session:
        """The session whose public watch id this is; raises SessionNotFound."""
        for session in self._sessions.values():
            if secrets.compare_digest(session.watch_id, watch_id):
                return session
        raise SessionNotFound(watch_id)

    def get(self, session_id: str) -> Session:
        try:
            return self._sessions[session_id]
        except KeyError:
            raise SessionNotFound(session_id) from None

    async def _evict_one(self, candidates: Iterable[Session]) -> bool:
        idle = [s for s in candidates if not s.subscribers]
        if not idle:
            return False
        oldest = min(idle, key=lambda s: s.last_active)
        await self.remove(oldest.id)
        return True

    async def remove(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        self._owners.pop(session_id, None)
        if session is not None:
            await session.close()

    async def expire_idle(self, pause_unwatched_s: float = 300.0) -> int:
        """Remove sessions nobody watched for idle_timeout_s; pause training nobody watched for 5 min."""
        now = time.monotonic()
        for s in self._sessions.values():
            if not s.subscribers and s.state == "training" and now - s.last_active > pause_unwatched_s:
                s.pause()
        expired = [
            s.id
            for s in self._sessions.values()
            if not s.subscribers and now - s.last_active > self.idle_timeout_s
        ]
        for session_id in expired:
            await self.remove(session_id)
        return len(expired)

    async def close(self) -> None:
        for session_id in list(self._sessions):
            await self.remove(session_id)
