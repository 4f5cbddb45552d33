"""The server's session limits: the playground's and the classroom's are counted apart; every lab's
sessions count against the same per-client and server limits, and idle sessions expire."""

import asyncio

import pytest
from loops import run

from nnplay.engine.batched import BatchedEngine
from nnplay.families import default_families
from nnplay.sessions import TooManySessions
from nnplay.sessions.manager import SessionManager


def manager_of(**limits) -> SessionManager:
    return SessionManager(BatchedEngine(), default_families(), **limits)


async def closed(manager: SessionManager) -> None:
    await manager.close()
    await asyncio.to_thread(manager.engine.close)


def test_classroom_runs_do_not_use_up_the_playground_and_have_their_own_bound():
    async def go() -> tuple[str, str, int]:
        manager = manager_of(max_sessions=2, max_per_client=1, max_classroom_sessions=3)
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
            await closed(manager)

    classroom_full, playground_full, count = run(go())
    assert "3 classroom runs" in classroom_full and "watch the teacher" in classroom_full
    assert "2 sessions" in playground_full
    assert count == 5


def test_every_lab_counts_against_one_client_limit_and_makes_room_from_its_own_idle_sessions_first():
    async def go() -> tuple[str, int, bool, bool]:
        manager = manager_of(max_sessions=4, max_per_client=2)
        try:
            kept = await manager.create({}, "10.0.0.5", lab="images")
            kept.subscribe()  # watched: never evicted
            idle = await manager.create({}, "10.0.0.5")  # a playground session of the same client
            other = await manager.create({}, "10.0.0.6", lab="images")  # another client's idle session
            third = await manager.create({}, "10.0.0.5", lab="images")  # at its limit: its idle one goes
            third.subscribe()
            with pytest.raises(TooManySessions) as refused:  # both of its sessions are watched
                await manager.create({}, "10.0.0.5", lab="images")
            ids = {s.id for s in manager.sessions()}
            return str(refused.value), len(manager), idle.id in ids, other.id in ids
        finally:
            await closed(manager)

    refused, count, idle_kept, other_kept = run(go())
    assert "already has 2 sessions" in refused
    assert count == 3 and not idle_kept and other_kept


def test_idle_sessions_of_any_lab_expire():
    async def go() -> tuple[int, int]:
        manager = manager_of(idle_timeout_s=0.05)
        try:
            (await manager.create({}, "10.0.0.5", lab="images")).subscribe()
            await manager.create({}, "10.0.0.5", lab="images")
            await manager.create({}, "10.0.0.5")
            await asyncio.sleep(0.1)
            await manager.expire_idle()  # the app's reaper calls this every 30 s
            return len(manager), sum(bool(s.subscribers) for s in manager.sessions())
        finally:
            await closed(manager)

    assert run(go()) == (1, 1)
