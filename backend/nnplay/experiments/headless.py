"""A sweep without a server (`nnplay sweep`, bench/sweeps.py): the server's own parts in this process.

A batched engine, a SessionManager with the playground's family and a SweepManager, on an event loop of
their own; the sweep's runs train together exactly as they would on the server (one call per bucket and
tick), nobody watches them (no frames but each run's final one), and everything is closed at the end.
With nobody watching, a tick's calls run side by side on every core (training_threads) and ticks are
longer (TICK_S_PER_RUN, as NNPLAY_TICK_MS_PER_MEMBER sets a server's): fewer round trips through the
event loop for the same epochs.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ..engine.batched import BatchedEngine
from ..engine.lanes import cores
from ..engine.runtime import enable_compilation_cache
from ..families import default_families
from ..sessions import SessionManager
from .plan import MAX_RUNS, SweepSpec
from .sweeps import SweepManager

TICK_S_PER_RUN = 0.005  # a 32-run tick lasts ~160 ms (a server's: ~55 ms, for its frames)


async def run_sweep_async(spec: SweepSpec, engine: BatchedEngine | None = None) -> dict[str, Any]:
    """Train the spec's runs together and return `Sweep.result()` with the engine's counters; `engine`
    (kept open) lets a caller reuse compiled kernels across sweeps."""
    own = engine is None
    used = engine or headless_engine()
    manager = SessionManager(used, default_families(), max_sweep_sessions=MAX_RUNS)
    sweeps = SweepManager(manager)
    try:
        started = time.perf_counter()
        sweep = await sweeps.start(spec, "cli")
        await sweep.finished()
        result = sweep.result()
        result["wall_s"] = time.perf_counter() - started
        stats = used.stats()
        result["engine"] = {k: stats[k] for k in ("engine", "training_calls", "chunks", "compiles")}
        result["engine"]["frames"] = stats["frames_batched"] + stats["frames_alone"]
        return result
    finally:
        await sweeps.close()
        await manager.close()
        if own:
            await asyncio.to_thread(used.close)


def headless_engine() -> BatchedEngine:
    """The batched engine a sweep without a server trains on."""
    return BatchedEngine(tick_s_per_member=TICK_S_PER_RUN, training_threads=cores())


def run_sweep(spec: SweepSpec) -> dict[str, Any]:
    """`run_sweep_async` on an event loop of its own (the CLI)."""
    enable_compilation_cache()
    return asyncio.run(run_sweep_async(spec))
