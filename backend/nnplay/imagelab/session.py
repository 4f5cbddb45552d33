"""An image-lab session: one CNN training run that clients watch and drive over a websocket.

Concurrency: every mutation of a session happens on the asyncio event loop. The run loop hands pure,
blocking calls (compile, train chunk, evaluate + encode, predict) to worker threads with
`asyncio.to_thread` and applies commands between chunks; each subscriber has a one-slot frame mailbox
(latest frame wins). A `Lab` is immutable and a `LabState` is a value, so a thread reading them while
the loop swaps in new ones sees a consistent pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import numpy as np

from .. import protocol
from ..engine.optimizers import OPTIMIZERS, SCHEDULES
from ..models.cnn import ACTIVATIONS, KINDS, LIMITS, MAX_DROPOUT, MAX_LAYERS, parameter_count
from ..protocol import ProtocolError
from ..sessions import Subscriber
from . import messages as m
from .config import MLP_STACK, RANGES, ImageConfig, ImageConfigError, make_image_config
from .frames import encode_frame
from .kernel import LabState
from .lab import Lab, architecture_summary

log = logging.getLogger(__name__)

FRAME_BUDGET_S = 0.1  # a chunk plus its frame: >= 10 frames per second
MAX_STEPS_PER_CHUNK = 2000


def lab_schema() -> dict[str, Any]:
    """What the page builds its controls from: kinds, limits, choices (one source of truth)."""
    return {
        "kinds": list(KINDS),
        "activations": list(ACTIVATIONS),
        "optimizers": list(OPTIMIZERS),
        "schedules": list(SCHEDULES),
        "layer_limits": {**{k: list(v) for k, v in LIMITS.items()}, "rate": [0.0, MAX_DROPOUT]},
        "max_layers": MAX_LAYERS,
        "ranges": {
            name: {"label": label, "min": low, "max": high} for name, (label, low, high) in RANGES.items()
        },
        "mlp_stack": list(MLP_STACK),
    }


class ImageSession:
    def __init__(self, session_id: str, lab: Lab, train_state: LabState) -> None:
        """`lab` and its `train_state` are built off the event loop (`ImageSession.build`)."""
        self.id = session_id
        self.lab = lab
        self.train_state = train_state
        self.epoch = 0
        self.step = 0  # minibatches of the current epoch
        self.digit = 0
        self.state = "paused"  # paused | training | compiling | error
        self.message = ""
        self.config_version = 1  # the newest accepted config's
        self.applied_version = 1  # the config the lab trains (and frames show): it lags while pending
        self.last_frame: bytes | None = None
        self.epochs_per_second = 0.0
        self.subscribers: set[Subscriber] = set()
        self.last_active = time.monotonic()
        self._sec_per_step = 0.002
        self._eval_s = 0.01
        self._pending_config: ImageConfig | None = None
        self._pending_reset = False
        self._pending_steps = 0
        self._needs_frame = True
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def build(config: ImageConfig) -> tuple[Lab, LabState]:
        """The blocking part of a new session (data, initial weights): run it in a worker thread."""
        lab = Lab(config)
        return lab, lab.fresh_state()

    @property
    def config(self) -> ImageConfig:
        return self._pending_config or self.lab.config

    # ---- lifecycle ----------------------------------------------------------------------------

    def start_loop(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"images-{self.id}")
            self._wake.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def subscribe(self) -> Subscriber:
        sub = Subscriber()
        self.subscribers.add(sub)
        sub.push_control(self.hello())
        if self.last_frame is not None:
            sub.push_frame(self.last_frame)
        self.last_active = time.monotonic()
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)
        self.last_active = time.monotonic()

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "epoch": self.epoch,
            "config": self.config.public(),
            "config_version": self.config_version,
        }

    def hello(self) -> str:
        return protocol.json_message(
            "hello",
            **self.summary(),
            architecture=architecture_summary(self.config.stack()),
            parameters=parameter_count(self.config.stack()),
            n_train=len(self.lab.split.train_y),
            n_test=self.lab.n_test,
            digit=self.digit,
            schema=lab_schema(),
        )

    # ---- commands (event loop) ----------------------------------------------------------------

    async def handle(self, message: Any) -> str | None:
        """Apply one validated client message; returns a reply for its sender only (or None)."""
        self.last_active = time.monotonic()
        if isinstance(message, m.Ping):
            return protocol.json_message("pong")
        if isinstance(message, m.Predict):
            return await self._predict(message.pixels)
        if isinstance(message, m.Start):
            self._set_state("training")
        elif isinstance(message, m.Pause):
            self._set_state("paused")
        elif isinstance(message, m.Step):
            self._set_state("paused")
            self._pending_steps += message.epochs
        elif isinstance(message, m.Reset):
            self._pending_reset = True
        elif isinstance(message, m.SelectDigit):
            if message.index >= self.lab.n_test:
                raise ProtocolError(
                    "invalid_message",
                    f"index must be between 0 and {self.lab.n_test - 1} (a test digit), got {message.index}",
                    "index",
                )
            self.digit = message.index
            self._needs_frame = True
        elif isinstance(message, m.Configure | m.SetStack):
            changes = message.changes if isinstance(message, m.Configure) else {"layers": message.layers}
            self._configure(changes)
        self._wake.set()
        return None

    def _configure(self, changes: dict[str, Any]) -> None:
        try:
            config = make_image_config(self.config, changes)
        except ImageConfigError as exc:
            raise ProtocolError("invalid_config", exc.message, exc.field) from None
        if config == self.config:
            return
        self._pending_config = config
        self.config_version += 1
        reason = self.lab.needs_fresh_run(config)
        self._broadcast(
            protocol.json_message(
                "config",
                config=config.public(),
                config_version=self.config_version,
                architecture=architecture_summary(config.stack()),
                parameters=parameter_count(config.stack()),
                fresh_run=reason is not None,
                reason=reason,
            )
        )

    async def _predict(self, pixels: list[Any]) -> str:
        lab, state = self.lab, self.train_state
        probabilities, saliency = await asyncio.to_thread(lab.predict, state, np.asarray(pixels, np.float32))
        return protocol.json_message(
            "prediction",
            predicted=int(np.argmax(probabilities)),
            probabilities=[round(float(p), 4) for p in probabilities],
            saliency=[round(float(s), 5) for s in saliency.ravel()],
            epoch=self.epoch,
        )

    def _set_state(self, state: str, message: str = "") -> None:
        if (state, message) == (self.state, self.message):
            return
        self.state, self.message = state, message
        self._broadcast(protocol.json_message("status", state=state, message=message, epoch=self.epoch))

    def _broadcast(self, message: str) -> None:
        for sub in self.subscribers:
            sub.push_control(message)

    # ---- the run loop -------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                fresh = await self._apply_pending()
                if not self.lab.is_compiled():
                    await self._compile()
                if fresh:  # show the new network as it starts, before it trains
                    await self._publish_frame()
                await self._train_chunk()
                if self._needs_frame:
                    await self._publish_frame()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a failing chunk must not kill the session
                log.exception("image session %s failed", self.id)
                self._set_state("error", f"training failed: {exc}")
                continue
            if self.state == "training" or self._pending_steps:
                self._wake.set()
                await asyncio.sleep(0)  # let commands in between chunks

    async def _apply_pending(self) -> bool:
        """Apply the pending config and reset; whether the weights are new (a fresh run)."""
        config, self._pending_config = self._pending_config, None
        version = self.config_version
        fresh = False
        if config is not None:
            fresh = self.lab.needs_fresh_run(config) is not None
            previous, state = self.lab, self.train_state

            def rebuild() -> tuple[Lab, LabState]:
                lab = Lab(config, previous)
                return lab, lab.fresh_state() if fresh else lab.adopt(state)

            self.lab, self.train_state = await asyncio.to_thread(rebuild)
            self.applied_version = version
            self.epoch, self.step = int(self.train_state.epoch), int(self.train_state.step)
            self.digit = min(self.digit, self.lab.n_test - 1)
            self._needs_frame = True
        if self._pending_reset:
            self._pending_reset = False
            self.train_state, self.epoch, self.step = await asyncio.to_thread(self.lab.fresh_state), 0, 0
            self._needs_frame = fresh = True
        return fresh

    async def _compile(self) -> None:
        previous = self.state
        self._set_state("compiling", "compiling the network (once per architecture)…")
        started = time.perf_counter()
        await asyncio.to_thread(self.lab.compile, self.train_state)
        log.info("image lab compiled in %.1f s", time.perf_counter() - started)
        if self.state == "compiling":
            self._set_state(previous if previous != "compiling" else "paused")
        self._needs_frame = True

    def _chunk_steps(self) -> int:
        """Minibatches for the next chunk: as many as fit the frame budget beside the evaluation."""
        budget = max(FRAME_BUDGET_S - self._eval_s, 0.3 * FRAME_BUDGET_S)
        return int(min(MAX_STEPS_PER_CHUNK, max(1, budget // self._sec_per_step)))

    async def _train_chunk(self) -> None:
        lab = self.lab
        if self.state == "training":
            steps = self._chunk_steps()
        else:  # `step` messages ask for epochs: train to the end of the last one asked for
            epochs, self._pending_steps = self._pending_steps, 0
            steps = max(0, epochs * lab.steps_per_epoch - int(self.train_state.step))
        if steps <= 0:
            return
        started = time.perf_counter()
        self.train_state, _ = await asyncio.to_thread(lab.train_steps, self.train_state, steps)
        self.epoch, self.step = int(self.train_state.epoch), int(self.train_state.step)
        seconds = time.perf_counter() - started
        self._sec_per_step = 0.7 * self._sec_per_step + 0.3 * seconds / steps
        self.epochs_per_second = steps / lab.steps_per_epoch / max(seconds, 1e-9)
        self._needs_frame = True

    async def _publish_frame(self) -> None:
        self._needs_frame = False
        lab, state, digit, epoch = self.lab, self.train_state, self.digit, self.epoch
        progress = epoch + self.step / lab.steps_per_epoch
        state_name, version = self.state, self.applied_version
        epochs_per_second = self.epochs_per_second if state_name == "training" else 0.0
        started = time.perf_counter()

        def render() -> bytes:
            ev = lab.evaluate(state, digit)
            return encode_frame(
                epoch=epoch,
                progress=progress,
                state=state_name,
                config_version=version,
                epochs_per_second=epochs_per_second,
                ev=ev,
                params=state.params,
                stack=lab.stack,
                test_x=lab.split.test_x,
                test_y=lab.split.test_y,
                digit=digit,
            )

        frame = await asyncio.to_thread(render)
        self._eval_s = 0.7 * self._eval_s + 0.3 * (time.perf_counter() - started)
        self.last_frame = frame
        for sub in self.subscribers:
            sub.push_frame(frame)
