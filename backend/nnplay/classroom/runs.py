"""The runs of the rooms and their snapshots: the teacher's run and the forked students' runs, live as
sessions and kept in the classroom store.

Owner: RoomRuns, on the event loop (held by ClassroomHub). The teacher's run is a normal session; a fork
is a new session that adopts the teacher's config, weights, own points and epoch. Every run of a room is
snapshotted into the store (every SNAPSHOT_INTERVAL_S of the hub when it changed, at once on a fork, and
at shutdown), with whether it was training; a run whose session is gone (server restart, idle expiry) is
re-created from its snapshot when someone needs it, and one that was training is re-created at start-up
and trains on by itself. Where a run cannot come back as it was, `restore_notes` says why.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..client_messages import Start
from ..engine.snapshot import SnapshotError
from ..schemas import ConfigError
from ..sessions import Session, SessionManager, SessionNotFound, TooManySessions
from ..sessions.snapshots import LAB_KEY, capture, restore, save_mark
from .rooms import Member, Room, RoomService, teacher_snapshot_owner

log = logging.getLogger(__name__)

CLIENT = "classroom"  # the session manager's owner of teachers' runs


def teacher_owner(room: Room) -> str:
    return teacher_snapshot_owner(room.code)


class RoomRuns:
    """Finds, restores and snapshots the runs of the rooms of `service`."""

    def __init__(self, manager: SessionManager, service: RoomService) -> None:
        self.manager = manager
        self.service = service
        self.store = service.store
        self.restore_notes: dict[str, str] = {}  # owner -> why its restored run is not as it was saved
        self._saved: dict[str, tuple[int, int, bool]] = {}  # owner -> (epoch, config_version, training)
        self._locks: dict[str, asyncio.Lock] = {}  # one per run owner: never two restores at once

    def live(self, session_id: str | None) -> Session | None:
        if session_id is None:
            return None
        try:
            return self.manager.get(session_id)
        except SessionNotFound:
            return None

    async def teacher_session(self, room: Room) -> Session:
        """The teacher's run, re-created from its snapshot (or afresh) when its session is gone."""
        async with self._locks.setdefault(teacher_owner(room), asyncio.Lock()):
            session = self.live(room.teacher_session_id)
            if session is None:
                session = await self._restore(teacher_owner(room), CLIENT)
                room.teacher_session_id = session.id
            return session

    async def member_session(self, room: Room, member: Member, client: str) -> Session | None:
        """A forked member's run (restored from its snapshot if needed); None while only watching."""
        if member.mode != "forked":
            return self.live(member.session_id)
        async with self._locks.setdefault(member.id, asyncio.Lock()):
            session = self.live(member.session_id)
            if session is None:
                session = await self._restore(member.id, client)
                member.session_id = session.id
            return session

    async def forked_runs(self, room: Room) -> list[tuple[Member, Session]]:
        """Each forked student with their run, restored from its snapshot where it is not live (after a
        restart, before their students came back), so that a push or a reset reaches every one. Classroom
        runs count against their own limit, not a client's, so restoring a whole class here is allowed."""
        runs = []
        for member in [m for m in room.members.values() if m.mode == "forked"]:
            try:
                session = await self.member_session(room, member, "")
            except TooManySessions:
                log.warning("room %s: %s's run could not be restored (server full)", room.code, member.name)
                continue
            if session is not None:
                runs.append((member, session))
        return runs

    async def resume_training(self) -> int:
        """Re-create every run whose snapshot says it was training (it trains on); returns how many."""
        resumed = 0
        for room in list(self.service.rooms.values()):
            owners: list[tuple[str, Member | None]] = [(teacher_owner(room), None)]
            owners += [(m.id, m) for m in room.members.values() if m.mode == "forked"]
            for owner, member in owners:
                row = self.store.snapshot(owner)
                if row is None or not row.training:
                    continue
                try:
                    if member is None:
                        await self.teacher_session(room)
                    else:
                        await self.member_session(room, member, "")
                    resumed += 1
                except TooManySessions:
                    log.warning("room %s: %s's run could not be restored (server full)", room.code, owner)
                    self.restore_notes[owner] = "the server was full after its restart, so this run is new"
        return resumed

    async def _restore(self, owner: str, client: str) -> Session:
        """The run of `owner` as it was saved: settings, weights, epoch, own points, and training if it was.
        Where it cannot be, `restore_notes[owner]` says why (the page shows it)."""
        row = self.store.snapshot(owner)
        if row is None:
            return await self.manager.create({}, client, classroom=True)
        config = dict(row.config)
        lab = str(config.pop(LAB_KEY, "playground"))
        if lab not in self.manager.families:
            log.warning("snapshot of %s is of the %s lab, which this server lacks", owner, lab)
            self.restore_notes[owner] = f"this server has no {lab} lab: it starts afresh in the playground"
            return await self.manager.create({}, client, classroom=True)
        try:
            session = await self.manager.create(config, client, classroom=True, lab=lab)
        except ConfigError:  # a setting this version no longer accepts: start from the defaults
            log.warning("snapshot of %s has a config this version refuses; starting afresh", owner)
            self.restore_notes[owner] = "this version refuses its saved settings: it starts afresh"
            return await self.manager.create({}, client, classroom=True, lab=lab)
        try:  # small arrays: on the loop, not queued behind kernel compiles in the shared thread pool
            restore(session, row.weights, row.epoch, row.points)
        except SnapshotError as exc:
            log.warning("snapshot of %s not restored: %s", owner, exc)
            self.restore_notes[owner] = "its saved weights could not be read: it starts from new weights"
            return session
        if row.training:  # queued after the weights: it trains on from where it was
            session.handle(Start(type="start"))
        self._saved[owner] = (row.epoch, session.config_version, row.training)
        return session

    async def save(
        self, owner: str, session: Session, state: Any = None, epoch: int | None = None, force: bool = False
    ) -> None:
        """Store a run (or `state`/`epoch` taken over by it) unless it has not changed since last time."""
        key = save_mark(session, epoch)
        if not force and state is None and self._saved.get(owner) == key:
            return
        epoch, _, training = key
        parts = await capture(session, state, epoch)  # the config its weights fit (the one it trains with)
        self.store.save_snapshot(owner, parts.config, parts.weights, epoch, parts.own_data, training)
        self._saved[owner] = key

    async def snapshot_all(self, force: bool = False) -> None:
        for room in list(self.service.rooms.values()):
            runs = [(teacher_owner(room), self.live(room.teacher_session_id))]
            runs += [(m.id, self.live(m.session_id)) for m in room.members.values() if m.mode == "forked"]
            for owner, session in runs:
                if session is not None:
                    try:
                        await self.save(owner, session, force=force)
                    except Exception:  # one bad run must not stop the others being saved
                        log.exception("snapshot of %s failed", owner)

    def saved_epoch(self, member: Member) -> int | None:
        """The epoch a member's run was last stored at (read from the store once, for a forked member
        whose run has not been live since a restart); None if it never was."""
        saved = self._saved.get(member.id)
        if saved is None and member.mode == "forked":
            row = self.store.snapshot(member.id)
            saved = (row.epoch, 0, row.training) if row else None
            if saved is not None:
                self._saved[member.id] = saved
        return None if saved is None else saved[0]

    def restore_note(self, owner: str) -> str:
        """Why `owner`'s restored run is not as it was saved ("" when it is); said once, then dropped."""
        return self.restore_notes.pop(owner, "")

    def forget_run(self, owner: str) -> None:
        """The next save of `owner` stores its run whatever it was before (a new fork, a removal)."""
        self._saved.pop(owner, None)

    def forget(self, room: Room) -> None:
        """A closed room: drop its runs' locks, save marks and restore notes."""
        for owner in (teacher_owner(room), *room.members):
            self._saved.pop(owner, None)
            self._locks.pop(owner, None)
            self.restore_notes.pop(owner, None)
