"""Caps that hold under parallel requests (sessions/limits.py), on the real managers: a slot is taken
before any await and given back when what it was for fails; eviction never takes another client's
watched or recent work."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from loops import run

from nnplay.engine.batched import BatchedEngine
from nnplay.families import default_families
from nnplay.sessions import TooManySessions
from nnplay.sessions.limits import EVICT_OTHERS_AFTER_S, Quota, eviction_candidate
from nnplay.sessions.manager import SessionManager


def manager_of(**limits) -> SessionManager:
    return SessionManager(BatchedEngine(), default_families(), **limits)


async def closed(manager: SessionManager) -> None:
    await manager.close()
    await asyncio.to_thread(manager.engine.close)


def test_a_quota_counts_per_key_and_in_total_and_slots_go_back_once():
    quota = Quota(total=3, per_key=2)
    a1, a2 = quota.reserve("a"), quota.reserve("a")
    assert a1 is not None and a2 is not None
    assert quota.blocked("a") == "key" and quota.reserve("a") is None
    b1 = quota.reserve("b")
    assert b1 is not None and quota.blocked("c") == "total" and quota.reserve("c") is None
    a1.release()
    a1.release()  # twice: still one slot back
    assert quota.count() == 2 and quota.count("a") == 1 and quota.blocked("c") is None


def test_a_slot_goes_back_when_what_it_was_reserved_for_fails():
    quota = Quota(total=1)
    with pytest.raises(RuntimeError), quota.reserve("a"):  # type: ignore[union-attr]
        raise RuntimeError("building the session failed")
    assert quota.count() == 0
    with quota.reserve("a") as slot:  # type: ignore[union-attr]
        pass
    assert quota.count() == 1 and not slot.released  # success keeps it until its owner ends


@dataclass
class Run:
    id: str
    last_active: float
    subscribers: list[object] = field(default_factory=list)


def test_eviction_takes_own_idle_first_and_anothers_only_when_unwatched_and_old():
    now = 10_000.0
    own_watched = Run("own-watched", 1.0, [object()])
    own_idle = Run("own-idle", now - 5)
    recent = Run("theirs-recent", now - 10)
    old = Run("theirs-old", now - EVICT_OTHERS_AFTER_S - 1)
    watched_old = Run("theirs-watched", 0.0, [object()])
    others = [recent, old, watched_old]
    assert eviction_candidate([own_watched, own_idle], others, "total", now, EVICT_OTHERS_AFTER_S) is own_idle
    assert eviction_candidate([own_watched], others, "total", now, EVICT_OTHERS_AFTER_S) is old
    assert eviction_candidate([own_watched], others, "key", now, EVICT_OTHERS_AFTER_S) is None
    assert eviction_candidate([], [recent, watched_old], "total", now, EVICT_OTHERS_AFTER_S) is None


def test_parallel_creations_never_pass_the_session_managers_caps():
    async def go() -> tuple[int, int, int, list[str], list[str]]:
        manager = manager_of(max_sessions=20, max_per_client=8, max_classroom_sessions=5)
        try:
            playground = await asyncio.gather(
                *(manager.create({}, f"10.0.0.{i % 3}") for i in range(30)), return_exceptions=True
            )
            classroom = await asyncio.gather(
                *(manager.create({}, "room", classroom=True) for _ in range(12)), return_exceptions=True
            )
            refused = [str(r) for r in playground if isinstance(r, TooManySessions)]
            refused_runs = [str(r) for r in classroom if isinstance(r, TooManySessions)]
            return len(manager), manager.playground.count(), manager.classroom.count(), refused, refused_runs
        finally:
            await closed(manager)

    alive, playground, classroom, refused, refused_runs = run(go())
    assert playground <= 20, f"{playground} playground sessions after 30 parallel creations (cap 20)"
    assert classroom <= 5, f"{classroom} classroom runs after 12 parallel creations (cap 5)"
    # At a cap a client's own idle sessions make room, so more than 20 creations may succeed; never more
    # than 20 sessions live at once. Classroom runs never evict: exactly 7 are refused.
    assert (alive, playground, classroom, len(refused_runs)) == (25, 20, 5, 7)
    assert all("8 sessions" in r or "20 sessions" in r for r in refused)


def test_parallel_image_lab_creations_never_pass_a_clients_cap():
    async def go() -> tuple[int, int]:
        manager = manager_of(max_sessions=16, max_per_client=3)
        try:
            results = await asyncio.gather(
                *(manager.create({}, "10.0.0.5", lab="images") for _ in range(5)), return_exceptions=True
            )
            for session in manager.sessions():
                session.subscribe()  # watched: nothing may be evicted afterwards
            return len(manager), sum(isinstance(r, TooManySessions) for r in results)
        finally:
            await closed(manager)

    alive, refused = run(go())
    assert alive <= 3, f"{alive} image-lab sessions alive after 5 parallel creations (cap 3 per client)"
    assert alive + refused <= 5
