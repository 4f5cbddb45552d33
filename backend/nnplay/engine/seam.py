"""The engine seam: what every run goes through, whatever its model family and whichever engine runs it.

A model family describes how a plan trains and is shown through *uses*: a `TrainUse` is a pure chunk
function (state, inputs, n) -> (state, units, diverged) with the key it is compiled for and the run's own
traced inputs; a `FrameUse` is a pure evaluation (state, inputs) -> summary (small arrays, on the device)
and a host function that finishes the summary into the family's frame. A plan lists its uses in order of
preference; the last is always usable (compiled on demand), the others are used once compiled (e.g. the
MLP's kernel specialised to the exact architecture, then its padded bucket's kernel). A plan may add
*standby* uses: kernels of a larger padded shape that are taken only while none of its own is compiled
(they are never compiled for it), so an edit that needs a new kernel keeps training while it compiles;
such a use maps the run's state into its shapes (`fit`) and back (`unfit`). A *warm* standby is the
exception: once one of the plan's own kernels is compiled, the engine compiles it in the background, so
an edit into a neighbouring bucket (e.g. a wider net) has a padded kernel to train in at once.

An `Engine` trains runs and makes frames from those uses, and never asks which family it serves:
`SerialEngine` (engine/serial.py) runs each run on its own, `BatchedEngine` (engine/batched.py) keeps a
bucket's runs stacked on the device and trains them in one call per tick. Sessions hold a run's state as
whatever the engine returned: a concrete pytree or a `SlotRef` (the run's slot in a stacked state on the
device); `resolve` makes either concrete when the session needs the numbers (an edit, a snapshot).
"""

from __future__ import annotations

import abc
import asyncio
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

import jax
import numpy as np

ChunkFn = Callable[[Any, Any, jax.Array], tuple[Any, jax.Array, jax.Array]]
FrameFn = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True, eq=False)
class TrainUse:
    """One way to train a plan: `build()` gives the pure chunk function (state, inputs, n) -> (state,
    units done, diverged); `key` is everything it is compiled for (equal keys batch together); `inputs` is
    the run's traced pytree besides its state (masks, hyperparameters, data)."""

    key: Hashable
    inputs: Any
    build: Callable[[], ChunkFn]
    label: str = ""  # what clients are told ran ("exact", "padded", ...)
    max_slots: int | None = None  # the most runs one vmapped call of it may hold (None: the engine's)
    standby: bool = False  # taken only while no other use of the plan is compiled; never compiled for it
    warm: bool = False  # a standby compiled in the background once one of the plan's own uses is
    fit: Callable[[Any], Any] | None = None  # the run's state in this use's shapes (None: they are its own)
    unfit: Callable[[Any], Any] | None = None  # a state of this use's back in the plan's shapes


def last_use(uses: Sequence[TrainUse]) -> TrainUse:
    """A plan's use of last resort (compiled when a run needs it): its last use that is not a standby."""
    return [use for use in uses if not use.standby][-1]


def use_state(use: TrainUse, state: Any) -> Any:
    """`state` (a run's, in its plan's shapes) as `use` trains it."""
    return state if use.fit is None else use.fit(state)


def plan_state(use: TrainUse, state: Any) -> Any:
    """A state `use` trained, back in its plan's shapes."""
    return state if use.unfit is None else use.unfit(state)


@dataclass(frozen=True, eq=False)
class FrameUse:
    """One way to make a plan's frames: `build()` gives the pure evaluation (state, inputs, shared) ->
    summary (the pictures as uint8 and small vectors: what crosses to the host), `finish(summary on the
    host)` the family's frame data. `inputs` are the run's own (stacked in a batch), `shared` the same for
    every run of the key (e.g. the grid of the plane: passed once to a batch). `batchable`: frames of
    equal keys may be made in one vmapped call."""

    key: Hashable
    inputs: Any
    build: Callable[[], FrameFn]
    finish: Callable[[Any], Any]
    shared: Any = None
    batchable: bool = True
    standby: bool = False  # made with only while the plan's own frame kernel compiles (as TrainUse's)
    warm: bool = False  # a standby compiled in the background once the plan's own frame kernel is
    fit: Callable[[Any], Any] | None = None  # the run's state in this use's shapes (None: its own)


class EnginePlan(Protocol):
    """What an engine reads of a plan (each family's plan is one)."""

    def train_uses(self) -> Sequence[TrainUse]: ...

    def frame_uses(self, detail: bool, view: Any) -> Sequence[FrameUse]: ...


@dataclass(frozen=True)
class Outcome:
    """What a chunk did: the state after it (concrete or a SlotRef), the units trained (epochs, steps),
    whether it stopped at divergence, which use ran and how many runs shared its call."""

    state: Any
    units: int
    diverged: bool
    kernel: str
    batch_members: int = 1
    slots: int = 1


@dataclass(eq=False)
class SlotRef:
    """A run's state as slot `index` of a stacked state on the device (a value: stacked states are never
    changed in place). `value()` cuts it out once (with `read`, the stack's compiled reader) and keeps it."""

    stack: Any
    index: int
    read: Callable[[Any, Any], Any] | None = None
    _value: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def value(self) -> Any:
        with self._lock:
            if self._value is None:
                if self.read is not None:
                    self._value = self.read(self.stack, np.int32(self.index))
                else:
                    i = self.index
                    self._value = jax.tree.map(lambda leaf: leaf[i], self.stack)
            return self._value


def resolve(state: Any) -> Any:
    """A concrete state from a state or a SlotRef (cheap: one slice per leaf, once per ref)."""
    return state.value() if isinstance(state, SlotRef) else state


def same_layout(a: Any, b: Any) -> bool:
    """Whether two (concrete) states have the same pytree structure and leaf shapes: one can stand where
    the other was (a family's fit_state keeps a state of the new plan's layout as it is)."""
    if not bool(jax.tree.structure(a) == jax.tree.structure(b)):  # type: ignore[operator]
        return False
    return all(
        np.shape(x) == np.shape(y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    )


def shaped_zeros(make: Callable[[], Any]) -> Any:
    """Zeros in the shapes and types of what `make()` returns, found by tracing it (nothing of it is
    compiled or run): a kernel depends only on its arguments' shapes, so it can be compiled from these
    while the real values are still being made."""
    return jax.tree.map(lambda leaf: np.zeros(leaf.shape, leaf.dtype), jax.eval_shape(make))


class CompileRefused(RuntimeError):
    """The engine's compile queue is full: the run waits, says why, and tries again."""


class Engine(abc.ABC):
    """Trains runs and makes their frames. Made by the app, handed to its sessions, closed with the app:
    every kernel cache and thread belongs to one engine."""

    name = "engine"

    @abc.abstractmethod
    async def train(
        self,
        run: Hashable,
        plan: EnginePlan,
        state: Any,
        max_units: int,
        *,
        interrupt: asyncio.Event | None = None,
        abandon: Callable[[], bool] | None = None,
        client: str = "",
    ) -> Outcome | None:
        """Train one chunk of at most `max_units` (the engine picks how many, to fill its frame budget).
        With `interrupt`, an event set while the chunk waits to run withdraws it (None: nothing trained);
        one set while it runs abandons it if `abandon()` says so (None: its units are dropped, the state
        is as before). `client` is whose compiles it may cost."""

    @abc.abstractmethod
    def frame(
        self, plan: EnginePlan, state: Any, detail: bool, view: Any = None, urgent: bool = False
    ) -> Future[Any]:
        """The frame data of `state` (made in the background); `urgent` for an edit a person waits to see."""

    @abc.abstractmethod
    def ready(self, plan: EnginePlan) -> bool:
        """Whether the plan can train now without waiting for a compile."""

    @abc.abstractmethod
    def prepare(self, plan: EnginePlan, state: Any, client: str = "") -> Future[Any]:
        """Compile what the plan needs to train (its last use), for a run that will (a new network);
        raises CompileRefused if the compiler's queue or the client's share of it is full."""

    def prepare_runs(self, plan: EnginePlan, state: Any, runs: int, client: str = "") -> Future[Any]:
        """Compile what `runs` runs of the plan train in together (a sweep's, before they start: none of
        them then trains alone while the shared kernel compiles). Engines that train runs one by one
        compile what one run needs."""
        return self.prepare(plan, state, client)

    def call(self, key: Hashable, build: Callable[[], Callable[..., Any]], *args: Any) -> Future[Any]:
        """Run a family's pure function (compiled once per key, kept in the engine's kernel cache) on a
        worker: a prediction, a probe. The result is on the host."""
        return self.compiler.call(key, build, args)

    def forget(self, run: Hashable) -> None:  # noqa: B027 - engines without per-run places ignore it
        """The run is gone: free whatever the engine keeps for it."""

    @abc.abstractmethod
    def stats(self) -> dict[str, Any]:
        """What the engine has done (compiles, calls, frames), for /api/health and benchmarks."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop every thread of the engine and drop its kernels."""

    @property
    @abc.abstractmethod
    def compiler(self) -> Any:  # engine.compiler.Compiler
        ...
