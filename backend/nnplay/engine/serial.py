"""The serial engine: each run trains on its own, one chunk at a time on the engine's workers (the CLI,
tests, and `NNPLAY_SCHEDULER=per_session`). A plan's preferred uses are compiled in the background by the
engine's compiler and used once ready (a compiled standby meanwhile); the last one is compiled when first
needed. Each run's chunks are sized by its own clock to fill the frame budget; frames are made one by one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import jax
import numpy as np

from . import executables
from .call_timing import FRAME_BUDGET_S, MAX_UNITS_PER_TICK
from .compiler import Compiler
from .framer import single_frame
from .reaper import Reaper
from .runtime import compile_count
from .seam import (
    CompileRefused,
    Engine,
    EnginePlan,
    Outcome,
    TrainUse,
    last_use,
    plan_state,
    resolve,
    use_state,
)

MAX_UNITS = MAX_UNITS_PER_TICK
SERIAL_HOLD_S = 0.1


@dataclass
class ChunkClock:
    """Measured seconds per unit of each use a run trained with."""

    seconds_per_unit: dict[Hashable, float] = field(default_factory=dict)

    def units_for(self, key: Hashable, budget_s: float = FRAME_BUDGET_S) -> int:
        per_unit = self.seconds_per_unit.get(key)
        if per_unit is None:
            return 1  # probe: one unit measures this use's speed at little cost
        return int(min(MAX_UNITS, max(1, budget_s / per_unit)))

    def learn(self, key: Hashable, units: int, seconds: float) -> None:
        if units > 0:
            sample, old = seconds / units, self.seconds_per_unit.get(key)
            self.seconds_per_unit[key] = sample if old is None else 0.5 * old + 0.5 * sample


def train_kernel(use: TrainUse, state: Any) -> Any:
    return executables.compile(use.build(), (state, use.inputs, np.int32(1)), ("train", use.key))


def run_chunk(kernel: Any, state: Any, inputs: Any, units: int) -> tuple[Any, int, bool]:
    new, done, diverged = kernel(resolve(state), inputs, np.int32(units))
    done, diverged = jax.device_get((done, diverged))
    return new, int(done), bool(diverged)


class SerialEngine(Engine):
    name = "per_session"

    def __init__(self, *, compiler: Compiler | None = None, workers: int | None = None) -> None:
        self._compiler = compiler or Compiler()
        self._pool = ThreadPoolExecutor(workers or min(4, os.cpu_count() or 2), "nnplay-serial")
        # The states a chunk replaced die on the reaper's thread, not on the caller's event loop. A run lets
        # its old state go as soon as its chunk returns, so a short hold does: a run's states are its own
        # (not a shard's), and a second of a big net's chunks would be many of them.
        self._reaper = Reaper(hold_s=SERIAL_HOLD_S)
        self._clocks: dict[Hashable, ChunkClock] = {}
        self._lock = threading.Lock()
        self.chunks = 0
        self.frames = 0

    @property
    def compiler(self) -> Compiler:
        return self._compiler

    def _use(self, plan: EnginePlan, state: Any, client: str) -> tuple[TrainUse, Any | None]:
        """The first use with a compiled kernel (asking for the others' compiles and its warm standbys'),
        else a compiled standby, else the last and None."""
        uses = plan.train_uses()
        own = [use for use in uses if not use.standby]
        for use in own:
            kernel = self._compiler.get(("serial", use.key))
            if kernel is not None:
                self._warm(uses, state)
                return use, kernel
        standby = [(u, self._compiler.get(("serial", u.key))) for u in uses if u.standby]
        stand_in = next(((u, k) for u, k in standby if k is not None), None)
        for use in own[:-1] if stand_in is None else own:
            value = resolve(use_state(use, state))
            with contextlib.suppress(CompileRefused):
                self._compiler.request(
                    ("serial", use.key), partial(train_kernel, use, value), client=client, urgent=False
                )
        return stand_in if stand_in is not None else (own[-1], None)

    def _warm(self, uses: Sequence[TrainUse], state: Any) -> None:
        """Ask, in the background, for the plan's warm standbys (seam.py) not compiled or compiling."""
        compiler = self._compiler
        for use in (u for u in uses if u.warm):
            key = ("serial", use.key)
            if compiler.get(key) is not None or compiler.pending(key) or compiler.failure(key) is not None:
                continue
            with contextlib.suppress(CompileRefused):
                value = resolve(use_state(use, state))
                compiler.request(key, partial(train_kernel, use, value), urgent=False, spare=True)

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
        use, kernel = self._use(plan, state, client)
        if kernel is None:
            value = resolve(use_state(use, state))
            compiling = self._compiler.request(
                ("serial", use.key), lambda: train_kernel(use, value), client=client
            )
            kernel = await asyncio.wrap_future(compiling)
        with self._lock:
            clock = self._clocks.setdefault(run, ChunkClock())
        units = min(max_units, clock.units_for(use.key))
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        new, done, diverged = await loop.run_in_executor(
            self._pool, run_chunk, kernel, use_state(use, state), use.inputs, units
        )
        new = plan_state(use, new)
        self._reaper.keep(state)  # the run lets it go for `new`: the reaper's hold is its last
        clock.learn(use.key, done, time.perf_counter() - started)
        with self._lock:
            self.chunks += 1
        return Outcome(new, done, diverged, use.label)

    def frame(
        self, plan: EnginePlan, state: Any, detail: bool, view: Any = None, urgent: bool = False
    ) -> Future[Any]:
        uses = plan.frame_uses(detail, view)
        return self._pool.submit(self._make_frame, uses, state)

    def _make_frame(self, uses: Any, state: Any) -> Any:
        with self._lock:
            self.frames += 1
        return single_frame(self._compiler, uses, state)

    def ready(self, plan: EnginePlan) -> bool:
        return any(self._compiler.get(("serial", use.key)) is not None for use in plan.train_uses())

    def prepare(self, plan: EnginePlan, state: Any, client: str = "") -> Future[Any]:
        use = last_use(plan.train_uses())
        value = resolve(use_state(use, state))
        return self._compiler.request(("serial", use.key), lambda: train_kernel(use, value), client=client)

    def forget(self, run: Hashable) -> None:
        with self._lock:
            self._clocks.pop(run, None)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            chunks, frames = self.chunks, self.frames
        return {
            "engine": self.name,
            "compiles": compile_count(),
            "kernels": self._compiler.count(),
            "compiles_in_flight": self._compiler.in_flight(),
            "chunks": chunks,
            "frames_alone": frames,
        }

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._compiler.close()
        self._reaper.close()
