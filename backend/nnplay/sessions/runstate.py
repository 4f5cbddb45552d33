"""The state of one run and the transitions commands and chunks make to it (no I/O, no threads).

Subclassed by Session, which adds the run loop, the clients and the wire; every method here is called
from the session's run loop only (see session.py for the concurrency model). The run's weights are held
as the engine hands them back (`_params`: a concrete state or a SlotRef into the engine's stacked
states); `params` is always the concrete state. When the run stops training, what it holds is made
concrete, so that no stacked state of the engine is kept alive for a paused run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import protocol
from ..engine.seam import resolve
from . import stopping
from .family import Family
from .stopping import EarlyStopping

RUNNING = ("training", "compiling")


class CommandFailed(Exception):
    """A queued command that cannot be applied; `code`/`field` go into the sender's error."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class RunState:
    """Plan, weights, epoch and the run's state (paused | training | compiling | diverged | stalled)."""

    def __init__(self, family: Family, plan: Any, params: Any) -> None:
        self.family = family
        self.plan = plan
        self._params = params
        self.epoch = 0
        self.step_in_epoch = 0  # units into the current epoch (families that train in minibatch steps)
        self.state = "paused"
        self.message = ""
        self.config_version = 1
        self.data_version = 1
        self.needs_frame = True
        self.custom: tuple[np.ndarray, np.ndarray] | None = None  # a person's own points
        self.last_good: tuple[Any, int] | None = (params, 0)  # weights of the last healthy chunk
        # ... and of the last frame that showed a healthy, live net: what a chunk's weights were worth
        # once a later frame shows them dead (frames are made in the background, behind the chunks)
        self.seen_good: tuple[Any, int] = (params, 0)
        self.early = EarlyStopping(stopping.patience(plan.config))
        self.stall_since: int | None = None  # the epoch since which the net has looked stalled
        self.healthy_since: int | None = None  # ... and since which it has looked alive again

    @property
    def config(self) -> Any:
        """The config the run trains with now."""
        return self.plan.config

    @property
    def params(self) -> Any:
        """The run's training state, concrete."""
        return resolve(self._params)

    @params.setter
    def params(self, value: Any) -> None:
        self._params = value

    def release(self) -> None:
        """Hold concrete states only (the run stopped training: nothing of the engine's stacks is kept)."""
        self._params = resolve(self._params)
        if self.last_good is not None:
            self.last_good = (resolve(self.last_good[0]), self.last_good[1])
        self.seen_good = (resolve(self.seen_good[0]), self.seen_good[1])
        if self.early.best_state is not None:
            self.early = self.early.with_state(resolve(self.early.best_state))

    @property
    def progress(self) -> float:
        return self.family.progress(self.plan, self.epoch, self.step_in_epoch)

    @property
    def custom_points(self) -> np.ndarray:
        return self.custom[0] if self.custom else np.zeros((0, 2), np.float32)

    @property
    def custom_labels(self) -> np.ndarray:
        return self.custom[1] if self.custom else np.zeros(0, np.float32)

    def broadcast(self, message: str | bytes) -> None:  # pragma: no cover - Session sends it
        raise NotImplementedError

    def set_state(self, state: str, message: str = "", force: bool = False) -> None:
        """Change the state; every client hears of it (with the epoch) when it changes, or if forced."""
        if force or (state, message) != (self.state, self.message):
            if self.state in RUNNING and state not in RUNNING:
                self.needs_frame = True  # the run stopped: its last frame shows where, and why
                self.release()
            self.state, self.message = state, message
            self.broadcast(protocol.json_message("status", state=state, epoch=self.epoch, message=message))

    # ---- commands -----------------------------------------------------------------------------

    def start(self) -> None:
        reason = self.family.untrainable(self.plan)
        if reason is not None:
            raise CommandFailed("no_data", reason, "dataset")
        if self.state not in RUNNING:
            self.set_state("training")

    def pause(self) -> None:
        """Pause after the chunk that ran: the `status` carries the epoch the run really stopped at."""
        self.set_state("paused", "" if self.state in RUNNING else self.message, force=True)
        self.needs_frame = True

    def reset(self) -> None:
        self._params = self.family.fresh_state(self.plan)
        self.epoch = self.step_in_epoch = 0
        self.last_good = self.seen_good = (self._params, 0)
        self.early = EarlyStopping(stopping.patience(self.config))
        self.stall_since = self.healthy_since = None
        self.set_state("paused", force=True)
        self.needs_frame = True

    def rollback(self) -> None:
        if self.last_good is None:
            raise CommandFailed("nothing_to_roll_back", "there is no earlier good state yet")
        state, self.epoch = self.last_good
        self._params = self.family.fit_state(resolve(state), self.plan)
        self.stall_since = self.healthy_since = None
        self.set_state("paused", f"rolled back to epoch {self.epoch}, the last good weights", force=True)
        self.needs_frame = True

    def adopt_plan(self, plan: Any, state: Any, fresh_reason: str | None) -> None:
        """Train with `plan` from now on, from `state` (fit to it); announce the config to every client."""
        old = self.plan
        self.plan, self._params = plan, state
        self.epoch, self.step_in_epoch = self.family.fit_position(plan, self.epoch, self.step_in_epoch)
        self.config_version += 1
        self.early = EarlyStopping(stopping.patience(plan.config))
        self.stall_since = self.healthy_since = None
        self.broadcast(
            protocol.json_message(
                "config",
                config=plan.config.public(),
                config_version=self.config_version,
                fresh_run=fresh_reason is not None,
                reason=fresh_reason or "",
                **self.family.config_extras(plan),
            )
        )
        if self.family.data_of(plan) is not self.family.data_of(old):
            self.data_changed()
        if fresh_reason is not None:
            self.epoch = self.step_in_epoch = 0
            self.last_good = self.seen_good = (state, 0)
            if self.family.pause_on_fresh_run or self.state not in RUNNING:
                self.set_state("paused", fresh_reason, force=True)
        elif self.state in ("diverged", "stalled"):
            self.set_state("paused", "settings changed; press play to continue from the last good weights")
        self.needs_frame = True

    def _stalled(self, frame: Any, epoch: int) -> bool:
        """Whether the net has looked stalled for STALL_EPOCHS (a look at epoch 0 does not count). A dead
        net may flicker (the whole plane one class, then the other, a mixed epoch between): only a
        recovery that lasts RECOVERY_EPOCHS starts the count afresh."""
        if epoch == 0:
            return False
        if stopping.looks_stalled(frame):
            self.healthy_since = None
            if self.stall_since is None:
                self.stall_since = epoch
                self.last_good = self.seen_good  # the chunks since may already have died
        elif self.stall_since is not None:
            if self.healthy_since is None:
                self.healthy_since = epoch
            if epoch - self.healthy_since >= stopping.RECOVERY_EPOCHS:
                self.stall_since = self.healthy_since = None
        return self.stall_since is not None and epoch - self.stall_since >= stopping.STALL_EPOCHS

    def take_over(self, state: Any, epoch: int) -> None:
        """Another run's weights and epoch (a classroom fork, a restored snapshot), fit to this plan."""
        self._params, self.epoch = self.family.fit_state(resolve(state), self.plan), epoch
        self.step_in_epoch = 0
        self.last_good = self.seen_good = (self._params, epoch)
        self.early = EarlyStopping(stopping.patience(self.config))
        self.stall_since = self.healthy_since = None
        self.needs_frame = True

    def data_changed(self) -> None:
        self.data_version += 1
        self.needs_frame = True
        self.early = EarlyStopping(stopping.patience(self.config))

    # ---- after a chunk ------------------------------------------------------------------------

    def after_frame(self, frame: Any, epoch: int, state: Any) -> bool:
        """Divergence or a stalled net seen in the frame of `state` at epoch `epoch` (the run's own, or a
        frame made in the background while the run went on); True if it stopped the run."""
        if not frame.healthy:
            self.last_good = self.seen_good  # the chunks since the last healthy frame are suspect too
            self.set_state("diverged", self.family.divergence_message(self.config, epoch))
            return True
        if self._stalled(frame, epoch):
            self.set_state("stalled", stopping.stall_message(self.config, epoch, frame))
            return True
        if self.stall_since is None:
            self.seen_good = (state, epoch)
        return False

    def after_chunk(self, diverged: bool, frame: Any, stepping: bool) -> None:
        """Divergence, a stalled net, stop conditions and early stopping, after a chunk trained."""
        config = self.config
        if diverged:
            self.set_state("diverged", self.family.divergence_message(config, self.epoch))
            return
        if frame is not None and self.after_frame(frame, self.epoch, self._params):
            return
        if self.stall_since is None:  # weights that merely look stalled are no good to go back to
            self.last_good = (self._params, self.epoch)
        if self.state == "compiling":
            self.set_state("paused" if stepping else "training")
        if stepping:
            return
        reason = stopping.stop_reason(config, self.epoch, frame)
        if reason is not None:
            self.set_state("paused", reason, force=True)
        elif stopping.early_stopping(config) and frame is not None:
            self.early = self.early.update(frame.test_loss, self.epoch, self._params)
            if self.early.should_stop(self.epoch):
                self._params, self.epoch = self.early.best_state, self.early.best_epoch
                self.needs_frame = True
                self.set_state("paused", self.early.message(), force=True)
