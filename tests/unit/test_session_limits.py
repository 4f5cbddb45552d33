"""The server's session limits: the playground's and the classroom's are counted apart."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from nnplay.sessions import TooManySessions
from nnplay.sessions.manager import SessionManager


def _run(coro):
    """On a fresh event loop in its own thread (Playwright may leave a loop running in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_classroom_runs_do_not_use_up_the_playground_and_have_their_own_bound():
    async def go() -> tuple[str, str, int]:
        manager = SessionManager(max_sessions=2, max_per_client=1, max_classroom_sessions=3)
        try:
            for _ in range(3):  # one client, three forks: neither the per-client nor the total limit
                session = await manager.create({}, "10.0.0.5", classroom=True)
                session.subscribe()  # watched: nothing may be evicted to make room
            with pytest.raises(TooManySessions) as classroom_full:
                await manager.create({}, "10.0.0.6", classroom=True)
            for client in ("10.0.0.7", "10.0.0.8"):  # the playground still has its two
                (await manager.create({}, client)).subscribe()
            with pytest.raises(TooManySessions) as playground_full:
                await manager.create({}, "10.0.0.9")
            return str(classroom_full.value), str(playground_full.value), len(manager)
        finally:
            await manager.close()

    classroom_full, playground_full, count = _run(go())
    assert "3 classroom runs" in classroom_full and "watch the teacher" in classroom_full
    assert "2 sessions" in playground_full
    assert count == 5
