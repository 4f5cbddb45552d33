"""The server's warm-up (SessionManager.warm_up): it compiles what the first run of the default settings
trains in and shows, from zeros of its state's shapes, without a run of its own."""

from __future__ import annotations

import asyncio

from nnplay.engine.batched import BatchedEngine
from nnplay.families import default_families
from nnplay.sessions.manager import SessionManager


def test_the_warm_up_compiles_the_first_default_runs_training_and_frame_kernels() -> None:
    async def scenario() -> None:
        manager = SessionManager(BatchedEngine(), default_families())
        try:
            await manager.warm_up("playground")
            assert len(manager) == 0  # no run of its own
            kernels = manager.engine.stats()["kernels"]
            session = await manager.create({}, "10.0.0.1")
            assert manager.engine.ready(session.plan)  # trains without waiting for a compile
            frame = await session.publisher.make(session.plan, session.params, False, None)
            assert frame is not None and manager.engine.stats()["kernels"] == kernels  # nothing compiled
        finally:
            await manager.close()
            await asyncio.to_thread(manager.engine.close)

    asyncio.run(scenario())
