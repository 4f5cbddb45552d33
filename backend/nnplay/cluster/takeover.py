"""Rooms moving between shards: a shard adopts the rooms it took over from a lost peer (their runs come
back from their snapshots: those that were training train on, the others when someone asks for them), and
a shard that finds it no longer owns a room (it was frozen past its lease and a peer took the room) drops
it from memory without touching the store, which is its new owner's now.

Owner: the shard's event loop (called from EngineShard's lease and watch loops).
"""

from __future__ import annotations

import asyncio
import logging
import time

from fastapi import FastAPI

from .pgstore import PostgresStore

log = logging.getLogger(__name__)


async def adopt_rooms(app: FastAPI, codes: list[str]) -> int:
    """Load `codes` from the store into this shard's classroom and restart the runs that were training."""
    hub = app.state.classroom
    started = time.monotonic()
    added = hub.service.load(set(codes))
    resumed: int = await hub.resume_training()
    # Every other run of these rooms too, at once and side by side (their sessions are built in worker
    # threads): a page that asks for its run finds it ready instead of waiting for its restore.
    rooms = [hub.service.rooms[code] for code in added]
    forks = [(room, m) for room in rooms for m in room.members.values() if m.mode == "forked"]
    results = await asyncio.gather(
        *(hub.member_session(room, m, "") for room, m in forks), return_exceptions=True
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        log.warning("%d runs of adopted rooms could not be restored: %r", len(failed), failed[0])
    took_s = time.monotonic() - started
    restored = len(forks) - len(failed)
    log.warning(
        "adopted rooms %s in %.1f s: %d runs train on, %d forks restored", added, took_s, resumed, restored
    )
    return resumed


async def drop_lost_rooms(app: FastAPI, store: PostgresStore) -> list[str]:
    """Forget the rooms held in memory that the store says another shard owns now; their codes."""
    hub = app.state.classroom
    try:
        owned = store.owned_codes()
    except Exception:  # Postgres away: nothing is known, nothing is dropped
        log.exception("could not read which rooms this shard owns")
        return []
    lost = [code for code in hub.service.rooms if code not in owned]
    for code in lost:
        room = hub.service.rooms.pop(code)
        hub.forget(room)
        run_ids = [room.teacher_session_id, *(m.session_id for m in room.members.values())]
        for session_id in run_ids:
            if session_id is not None:
                await app.state.sessions.remove(session_id)
        log.warning("room %s belongs to another shard now: dropped here", code)
    return lost
