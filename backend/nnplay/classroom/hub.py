"""Rooms joined to training sessions: one ClassroomHub per app, a thin facade over the classroom's parts.

- runs.py (RoomRuns): the teacher's run and the students' forks, their snapshots in the store and their
  restores (a training run trains on after a restart);
- audience.py (RoomAudience): the room sockets, who is present, the room's view, tiles and scores;
- actions.py (RoomActions): what students and the teacher do (fork, leave, push, lesson, lock, ...);
- lifecycle.py (RoomKeeper): rooms opened within their caps, closed, expired.

The routes and the keeper talk to the hub only; it hands each call to the part that owns it, and runs the
classroom's clock: every DASHBOARD_INTERVAL_S each listened-to room's tick (isolated: one room's failure
is logged and never stops another's), every SNAPSHOT_INTERVAL_S the snapshots, every minute the expiry.

Owner: ClassroomHub and its parts, on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from ..sessions import Session, SessionManager, Subscriber
from .actions import RoomActions
from .audience import RoomAudience
from .lifecycle import RoomKeeper, RoomLimits
from .messages import Challenge
from .rooms import Member, Room, RoomService
from .runs import CLIENT, RoomRuns, teacher_owner

log = logging.getLogger(__name__)

DASHBOARD_INTERVAL_S = 1.0
SNAPSHOT_INTERVAL_S = 5.0


class ClassroomHub:
    """Connects the room service to the session manager and to the rooms' websockets."""

    def __init__(
        self, manager: SessionManager, service: RoomService, limits: RoomLimits | None = None
    ) -> None:
        self.manager = manager
        self.service = service
        self.store = service.store
        self.client = CLIENT
        self.runs = RoomRuns(manager, service)
        self.audience = RoomAudience(service, self.runs)
        self.actions = RoomActions(manager, service, self.runs, self.audience)
        self.listeners = self.audience.listeners  # room code -> subscriber -> is teacher (never replaced)
        self.presence = self.audience.presence
        self.restore_notes = self.runs.restore_notes
        self._task: asyncio.Task[None] | None = None
        self._resume_task: asyncio.Task[int] | None = None
        self.rooms = RoomKeeper(self, limits or RoomLimits())  # open, close, expire (lifecycle.py)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="classroom")
        self._resume_task = asyncio.get_running_loop().create_task(self.resume_training(), name="resume")

    async def close(self) -> None:
        for task in (self._task, self._resume_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.snapshot_all(force=True)

    # ---- runs (runs.py) ---------------------------------------------------------------------------

    async def teacher_session(self, room: Room) -> Session:
        return await self.runs.teacher_session(room)

    async def member_session(self, room: Room, member: Member, client: str) -> Session | None:
        return await self.runs.member_session(room, member, client)

    async def saved_run(self, room: Room, run: Session) -> None:
        """A new room's teacher run, stored at once (lifecycle.RoomKeeper.open)."""
        await self.runs.save(teacher_owner(room), run)

    async def resume_training(self) -> int:
        return await self.runs.resume_training()

    async def snapshot_all(self, force: bool = False) -> None:
        await self.runs.snapshot_all(force)

    def restore_note(self, owner: str) -> str:
        return self.runs.restore_note(owner)

    def forget(self, room: Room) -> None:
        """Drop what the hub keeps for a closed room (its listeners, presence, run locks, save marks and
        restore notes)."""
        self.audience.forget(room)
        self.runs.forget(room)

    # ---- the room sockets and what they see (audience.py) -------------------------------------------

    def view(self, room: Room) -> dict[str, Any]:
        return self.audience.view(room)

    def listen(self, room: Room, teacher: bool) -> Subscriber:
        return self.audience.listen(room, teacher)

    def promote(self, room: Room, sub: Subscriber) -> None:
        self.audience.promote(room, sub)

    def unlisten(self, room: Room, sub: Subscriber) -> None:
        self.audience.unlisten(room, sub)

    def attend(self, room: Room, sub: Subscriber, member: Member) -> None:
        self.audience.attend(room, sub, member)

    def is_present(self, room: Room, member_id: str) -> bool:
        return self.audience.is_present(room, member_id)

    def broadcast(self, room: Room, message: str | bytes) -> None:
        self.audience.broadcast(room, message)

    def announce(self, room: Room) -> None:
        self.audience.announce(room)

    # ---- what people do (actions.py) --------------------------------------------------------------

    async def fork(self, room: Room, member: Member, client: str) -> Session:
        return await self.actions.fork(room, member, client)

    def watch(self, room: Room, member: Member) -> None:
        self.actions.watch(room, member)

    async def remove(self, room: Room, member_id: str) -> None:
        await self.actions.remove(room, member_id)

    async def leave(self, room: Room, member: Member) -> None:
        await self.actions.leave(room, member)

    async def push_config(
        self, room: Room, changes: dict[str, Any] | None, keep_weights: bool = False
    ) -> dict[str, Any]:
        return await self.actions.push_config(room, changes, keep_weights)

    async def reset_all(self, room: Room) -> int:
        return await self.actions.reset_all(room)

    def spotlight(self, room: Room, member_id: str) -> None:
        self.actions.spotlight(room, member_id)

    def show_sweep(self, room: Room, sweep: dict[str, Any] | None) -> None:
        self.actions.show_sweep(room, sweep)

    def enter_sweep(self, room: Room, member: Member, sweep_id: str | None, session_ids: list[str]) -> None:
        self.actions.enter_sweep(room, member, sweep_id, session_ids)

    async def set_lesson(self, room: Room, lesson_id: str) -> None:
        await self.actions.set_lesson(room, lesson_id)

    async def lesson_next(self, room: Room) -> None:
        await self.actions.lesson_next(room)

    def lock(self, room: Room, names: object) -> None:
        self.actions.lock(room, names)

    async def set_challenge(self, room: Room, spec: Challenge | dict[str, Any] | None) -> None:
        await self.actions.set_challenge(room, spec)

    # ---- the classroom's clock --------------------------------------------------------------------

    async def _loop(self) -> None:
        ticks_per_snapshot = max(1, round(SNAPSHOT_INTERVAL_S / DASHBOARD_INTERVAL_S))
        tick = 0
        while True:
            await asyncio.sleep(DASHBOARD_INTERVAL_S)
            tick += 1
            # Each room on its own: one room's failure is logged and never stops another's tick, score
            # or snapshot (one `try` around them all once let a malformed challenge stop every snapshot).
            for code in list(self.listeners):
                room = self.service.rooms.get(code)
                if room is not None:
                    await _isolated(self.audience.tick(room), f"room {code}'s dashboard tick")
            if tick % ticks_per_snapshot == 0:
                await self.snapshot_all()
            if tick % self._ticks_per_expiry() == 0:
                await _isolated(self.rooms.expire_idle(), "expiring idle rooms")

    def _ticks_per_expiry(self) -> int:
        """Idle rooms are looked for every minute (sooner when they expire sooner)."""
        every_s = min(60.0, self.rooms.limits.idle_timeout_s / 4)
        return max(1, round(every_s / DASHBOARD_INTERVAL_S))


async def _isolated(work: Any, what: str) -> None:
    """Await `work`; a failure is logged with `what` and goes no further."""
    try:
        await work
    except Exception:
        log.exception("%s failed", what)
