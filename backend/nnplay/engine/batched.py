"""The batched engine (the server's default): a use's runs stacked on the device and trained in one call
per tick (scheduler.py), frames made in the background, those of one frame use in one call (framer.py),
every kernel compiled by one compiler (compiler.py) and kept in its LRU cache."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any

from . import lanes
from .compiler import Compiler
from .framer import Framer
from .runtime import compile_count
from .scheduler import Scheduler
from .seam import Engine, EnginePlan, Outcome


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Done callback of an abandoned chunk: its outcome is read, so an error is not logged as lost."""
    if not future.cancelled():
        future.exception()


class BatchedEngine(Engine):
    name = "batched"

    def __init__(
        self,
        *,
        compiler: Compiler | None = None,
        frame_budget_s: float | None = None,
        tick_s_per_member: float | None = None,
        frames_per_second: float | None = None,
        max_slots: int | None = None,
        min_slots: int = 1,
        max_frame_batch: int | None = None,
        training_threads: int | None = None,
    ) -> None:
        self._compiler = compiler or Compiler()
        options: dict[str, Any] = {
            "max_slots": max_slots,
            "min_slots": min_slots,
            "frames_per_second": frames_per_second,
        }
        if frame_budget_s is not None:
            options["frame_budget_s"] = frame_budget_s
        self.scheduler = Scheduler(
            self._compiler,
            tick_s_per_member=tick_s_per_member,
            parallel_calls=training_threads or lanes.default_count(),  # one a core, below the frames'
            **options,
        )
        self.framer = Framer(self._compiler, max_frame_batch)

    @property
    def compiler(self) -> Compiler:
        return self._compiler

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
        submitted = self.scheduler.submit(run, plan, state, max_units, client)
        future = asyncio.wrap_future(submitted)
        if interrupt is None:
            return await future
        # Something for the run before the scheduler takes the chunk withdraws it (an edit applies at
        # once instead of a tick or two later); a command while the chunk runs abandons it, its units
        # dropped unseen (every frame shows the state before it).
        woken: asyncio.Future[Any] = asyncio.ensure_future(interrupt.wait())
        waiting: set[asyncio.Future[Any]] = {future, woken}
        try:
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if future not in done and submitted.cancel():
                return None
            if future not in done and (abandon is None or abandon()):
                future.add_done_callback(_retrieved)
                return None
        finally:
            woken.cancel()
        return await future

    def frame(
        self, plan: EnginePlan, state: Any, detail: bool, view: Any = None, urgent: bool = False
    ) -> Future[Any]:
        return self.framer.submit(plan, state, detail, view, urgent)

    def ready(self, plan: EnginePlan) -> bool:
        return self.scheduler.ready(plan)

    def prepare(self, plan: EnginePlan, state: Any, client: str = "") -> Future[Any]:
        return self.scheduler.prepare(plan, state, client)

    def prepare_runs(self, plan: EnginePlan, state: Any, runs: int, client: str = "") -> Future[Any]:
        return self.scheduler.sizes.prepare(plan, state, client, runs=runs, preferred=True)

    def forget(self, run: Hashable) -> None:
        self.scheduler.forget(run)

    def stats(self) -> dict[str, Any]:
        c = self.scheduler.counters()
        return {
            "engine": self.name,
            "compiles": compile_count(),
            "kernels": self._compiler.count(),
            "compiles_in_flight": self._compiler.in_flight(),
            "training_calls": c.batches,
            "chunks": c.chunks,
            "slots_used": c.slots_used,  # summed over calls: the runs that trained in them
            "slots_run": c.slots_run,  # ... and their slots (the rest ran for nothing)
            "slot_writes": c.writes,
            "shard_rebuilds": c.rebuilds,
            "frames_batched": self.framer.batched_frames,
            "frames_alone": self.framer.single_frames,
        }

    def close(self) -> None:
        self.scheduler.close()
        self.framer.close()
        self._compiler.close()
