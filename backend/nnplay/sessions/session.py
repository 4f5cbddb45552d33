"""A session: one training run of any model family, its state and its run loop.

Concurrency model (one owner): the session's state (plan, weights, epoch, state, own data) is changed
only by its run loop task, on the event loop. Websocket handlers never change it: they `accept` a
message (commands.py), which checks it and queues it; the run loop applies queued commands one by one,
in arrival order, between chunks. The engine (engine/seam.py: made by the app, shared by its sessions)
trains the chunks and makes the frames on its own threads; worker threads otherwise run only pure
functions of an immutable plan and a state (a new plan, an edit of the weights) and return values.
The session never asks which engine runs it, nor which family it trains: the family (family.py) says
what its config, plan, messages and frames are.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import deque
from typing import Any

from .. import protocol
from ..engine.seam import Engine
from . import commands
from .family import Family
from .fanout import Fanout, Subscriber
from .publisher import FrameBudget, Publisher
from .runloop import RunLoop


class Session(RunLoop):
    """A training run that any number of clients can watch, and its owner's clients drive."""

    def __init__(
        self,
        session_id: str,
        family: Family,
        config: Any,
        engine: Engine,
        budget: FrameBudget | None = None,
        client: str = "",
    ) -> None:
        plan = family.make_plan(config, None, None)
        super().__init__(family, plan, family.fresh_state(plan))
        self.id = session_id
        self.engine = engine
        self.client = client  # whose compiles this run's new networks cost
        self.batch_members = 1
        self.watch_id = secrets.token_urlsafe(9)  # a read-only view of the run, safe to share
        self.accepted_config = config  # the newest accepted config (queued commands may not be applied)
        self.view: Any = None  # the family's view options (what its frames show, e.g. a chosen digit)
        self.fanout = Fanout()
        self.publisher = Publisher(self.fanout, engine, family)
        self.publisher.on_landed = self._frame_landed
        self.budget = budget  # the server's frames shared among its training sessions (None: no cap)
        self.last_active = time.monotonic()
        self.epochs_per_second = 0.0
        self.kernel = "padded"
        self._commands: deque[commands.Command] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # set while the run loop waits with nothing to do
        self._task: asyncio.Task[None] | None = None
        self._last_failure = ""
        self._in_chunk = False  # the run loop waits for a background chunk: its state is `_params`
        self._framed: Any = None  # the state of the newest frame started in the background
        self._data_message = family.encode_data(plan, self.data_version)

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
        self.engine.forget(self.id)

    def subscribe(self, read_only: bool = False) -> Subscriber:
        sub = Subscriber(read_only=read_only)
        self.fanout.add(sub)
        sub.push_control(self.hello(read_only))
        if self._data_message is not None:
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
    def last_eval(self) -> Any:
        """The frame data of the newest frame published."""
        return self.publisher.last_eval

    def touch(self) -> None:
        self.last_active = time.monotonic()

    def enqueue(self, command: commands.Command) -> None:
        self._commands.append(command)
        self._idle.clear()
        self._wake.set()

    def handle(self, message: Any, sub: Subscriber | None = None) -> str | None:
        """Take one parsed client message (see commands.accept); returns a reply for the sender alone."""
        return commands.accept(self, message, sub)

    def viewers_changed(self) -> None:
        """A viewer joined or its view changed: it should get a fresh frame soon."""
        self.needs_frame = True
        self._idle.clear()
        self._wake.set()

    def adopt(self, state: Any, epoch: int, custom: Any = None) -> None:
        """Take over another run's weights, epoch and own data (a classroom fork, a restored snapshot):
        queued like a command, so it lands between chunks after what was sent before it."""
        self.enqueue(commands.Command(commands.TakeOver(state, epoch, custom)))

    async def perform(self, action: Any) -> None:
        """Queue an action and wait until it has been applied (raises CommandFailed if it failed)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.enqueue(commands.Command(action, None, done))
        await done

    async def settled(self) -> None:
        """Wait until every command queued so far has been applied."""
        await self.perform(commands.Barrier())

    # ---- what clients see ---------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        ev = self.last_eval

        def figure(name: str) -> float | None:
            return protocol.finite_or_none(getattr(ev, name, None)) if ev is not None else None

        return {
            "id": self.id,
            "lab": self.family.lab,
            "watch_id": self.watch_id,
            "config": self.config.public(),
            "config_version": self.config_version,
            "state": self.state,
            "message": self.message,
            "epoch": self.epoch,
            **{name: figure(name) for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy")},
            "kernel": self.kernel,
            "engine": self.engine.name,
            "batch_members": self.batch_members,  # runs trained in the same call as this one
            "viewers": len(self.fanout),
            **self.family.summary(self),
        }

    def hello(self, read_only: bool = False) -> str:
        from ..engine.runtime import device_info

        owner = {} if read_only else {"session": self.id}  # a watcher never learns the control id
        return protocol.json_message(
            "hello",
            **owner,
            lab=self.family.lab,
            watch_id=self.watch_id,
            read_only=read_only,
            config=self.config.public(),
            config_version=self.config_version,
            state=self.state,
            message=self.message,
            epoch=self.epoch,
            **device_info(),
            **self.family.hello(self),
        )

    def broadcast(self, message: str | bytes) -> None:
        self.fanout.broadcast(message)

    def data_changed(self) -> None:
        super().data_changed()
        self._data_message = self.family.encode_data(self.plan, self.data_version)
        if self._data_message is not None:
            self.broadcast(self._data_message)
