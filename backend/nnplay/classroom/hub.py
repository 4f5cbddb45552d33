"""Rooms joined to training sessions: the teacher's run, students' forks, pushes, lessons, snapshots.

Owner: ClassroomHub, on the event loop. The teacher's run is a normal session; a fork is a new session
that adopts the teacher's config, weights, own points and epoch. Every run of a room is snapshotted into
the store (every SNAPSHOT_INTERVAL_S when it changed, at once on a fork, and at shutdown), with whether it
was training; a run whose session is gone (server restart, idle expiry) is re-created from its snapshot
when someone needs it, and one that was training is re-created at start-up and trains on by itself.
A member's page that proved its token on the room socket makes the member present; without one, away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import msgpack
import numpy as np

from .. import protocol
from ..engine.snapshot import SnapshotError, state_from_bytes, state_to_bytes
from ..schemas import ConfigError, Configure, Reset, Start, make_config
from ..sessions import Session, SessionManager, SessionNotFound, Subscriber, TooManySessions
from ..sessions.runstate import RUNNING
from . import dashboard
from .lessons import BY_ID
from .lifecycle import RoomKeeper, RoomLimits
from .messages import Challenge
from .presence import Presence
from .pushes import push_report
from .rooms import Member, Room, RoomService, check_locked

log = logging.getLogger(__name__)

DASHBOARD_INTERVAL_S = 1.0
SNAPSHOT_INTERVAL_S = 5.0
CLIENT = "classroom"  # the session manager's owner of teachers' runs
# A push, a reset or a lesson step answers once every run has applied it (so what the teacher reads back
# is what the runs train on), or after this long: a run stuck in a long chunk does not hold up the class.
SETTLE_TIMEOUT_S = 10.0


class LessonError(ValueError):
    """An unknown lesson, or no step left."""


def teacher_owner(room: Room) -> str:
    return f"teacher:{room.code}"


def _pack_points(points: np.ndarray, labels: np.ndarray) -> bytes:
    return bytes(
        msgpack.packb(
            {"points": points.astype(np.float32).tobytes(), "labels": labels.astype(np.float32).tobytes()}
        )
    )


def _unpack_points(data: bytes | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    if not data:
        return None, None
    content = msgpack.unpackb(data)
    points = np.frombuffer(content["points"], np.float32).reshape(-1, 2)
    return points, np.frombuffer(content["labels"], np.float32)


class ClassroomHub:
    """Connects the room service to the session manager and to the rooms' websockets."""

    def __init__(
        self, manager: SessionManager, service: RoomService, limits: RoomLimits | None = None
    ) -> None:
        self.manager = manager
        self.service = service
        self.store = service.store
        self.client = CLIENT
        self.listeners: dict[str, dict[Subscriber, bool]] = {}  # room code -> subscriber -> is teacher
        self._saved: dict[str, tuple[int, int, bool]] = {}  # owner -> (epoch, config_version, training)
        self.restore_notes: dict[str, str] = {}  # owner -> why its restored run is not as it was saved
        self.presence = Presence()  # which members have a page open
        self._locks: dict[str, asyncio.Lock] = {}  # one per run owner: never two restores at once
        self._task: asyncio.Task[None] | None = None
        self._resume_task: asyncio.Task[int] | None = None
        self.rooms = RoomKeeper(self, limits or RoomLimits())  # open, close, expire (lifecycle.py)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="classroom")
        self._resume_task = asyncio.get_running_loop().create_task(self.resume_training(), name="resume")

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

    async def close(self) -> None:
        for task in (self._task, self._resume_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.snapshot_all(force=True)

    # ---- runs -----------------------------------------------------------------------------------

    def _live(self, session_id: str | None) -> Session | None:
        if session_id is None:
            return None
        try:
            return self.manager.get(session_id)
        except SessionNotFound:
            return None

    async def teacher_session(self, room: Room) -> Session:
        """The teacher's run, re-created from its snapshot (or afresh) when its session is gone."""
        async with self._locks.setdefault(teacher_owner(room), asyncio.Lock()):
            session = self._live(room.teacher_session_id)
            if session is None:
                session = await self._restore(teacher_owner(room), CLIENT)
                room.teacher_session_id = session.id
            return session

    async def member_session(self, room: Room, member: Member, client: str) -> Session | None:
        """A forked member's run (restored from its snapshot if needed); None while only watching."""
        if member.mode != "forked":
            return self._live(member.session_id)
        async with self._locks.setdefault(member.id, asyncio.Lock()):
            session = self._live(member.session_id)
            if session is None:
                session = await self._restore(member.id, client)
                member.session_id = session.id
            return session

    async def adopt_session(self, room: Room, session_id: str) -> Session:
        """Make an existing session (the teacher's page's own) the room's teacher run."""
        session = self.manager.get(session_id)
        room.teacher_session_id = session.id
        await self._save(teacher_owner(room), session)
        return session

    async def saved_run(self, room: Room, run: Session) -> None:
        """A new room's teacher run, stored at once (lifecycle.RoomKeeper.open)."""
        await self._save(teacher_owner(room), run)

    def restore_note(self, owner: str) -> str:
        """Why `owner`'s restored run is not as it was saved ("" when it is); said once, then dropped."""
        return self.restore_notes.pop(owner, "")

    def forget(self, room: Room) -> None:
        """Drop what the hub keeps for a closed room (its listeners, presence, run locks, save marks and
        restore notes)."""
        self.listeners.pop(room.code, None)
        self.presence.forget(room.code)
        for owner in (teacher_owner(room), *room.members):
            self._saved.pop(owner, None)
            self._locks.pop(owner, None)
            self.restore_notes.pop(owner, None)

    async def _restore(self, owner: str, client: str) -> Session:
        """The run of `owner` as it was saved: settings, weights, epoch, own points, and training if it was.
        Where it cannot be, `restore_notes[owner]` says why (the page shows it)."""
        row = self.store.snapshot(owner)
        if row is None:
            return await self.manager.create({}, client, classroom=True)
        try:
            session = await self.manager.create(row.config, client, classroom=True)
        except ConfigError:  # a setting this version no longer accepts: start from the defaults
            log.warning("snapshot of %s has a config this version refuses; starting afresh", owner)
            self.restore_notes[owner] = "this version refuses its saved settings: it starts afresh"
            return await self.manager.create({}, client, classroom=True)
        try:  # small arrays: on the loop, not queued behind kernel compiles in the shared thread pool
            state = state_from_bytes(session.params, row.weights)
        except SnapshotError as exc:
            log.warning("snapshot of %s not restored: %s", owner, exc)
            self.restore_notes[owner] = "its saved weights could not be read: it starts from new weights"
            return session
        points, labels = _unpack_points(row.points)
        session.adopt(state, row.epoch, points, labels)
        if row.training:  # queued after the weights: it trains on from where it was
            session.handle(Start(type="start"))
        self._saved[owner] = (row.epoch, session.config_version, row.training)
        return session

    async def _save(
        self, owner: str, session: Session, state: Any = None, epoch: int | None = None, force: bool = False
    ) -> None:
        """Store a run (or `state`/`epoch` taken over by it) unless it has not changed since last time."""
        epoch = session.epoch if epoch is None else epoch
        training = session.state in RUNNING
        key = (epoch, session.config_version, training)
        if not force and state is None and self._saved.get(owner) == key:
            return
        config = session.config  # the config its weights fit (the one the run trains with)
        weights = await asyncio.to_thread(state_to_bytes, session.params if state is None else state)
        points = None
        if config.dataset == "custom":
            points = _pack_points(session.custom_points, session.custom_labels)
        self.store.save_snapshot(owner, config.public(), weights, epoch, points, training)
        self._saved[owner] = key

    async def snapshot_all(self, force: bool = False) -> None:
        for room in list(self.service.rooms.values()):
            runs = [(teacher_owner(room), self._live(room.teacher_session_id))]
            runs += [(m.id, self._live(m.session_id)) for m in room.members.values() if m.mode == "forked"]
            for owner, session in runs:
                if session is not None:
                    try:
                        await self._save(owner, session, force=force)
                    except Exception:  # one bad run must not stop the others being saved
                        log.exception("snapshot of %s failed", owner)

    # ---- students -------------------------------------------------------------------------------

    async def fork(self, room: Room, member: Member, client: str) -> Session:
        """The member's own run from the teacher's current config, weights, own points and epoch."""
        teacher = await self.teacher_session(room)
        session = await self.manager.create(teacher.config.public(), client, classroom=True)
        custom = teacher.config.dataset == "custom"
        session.adopt(
            teacher.params,
            teacher.epoch,
            teacher.custom_points if custom else None,
            teacher.custom_labels if custom else None,
        )
        old, member.session_id, member.reached = member.session_id, session.id, None
        self.service.set_mode(member, "forked")
        if old is not None and old != session.id:
            await self.manager.remove(old)
        self._saved.pop(member.id, None)
        await self._save(member.id, session, state=teacher.params, epoch=teacher.epoch)
        self.announce(room)
        return session

    def watch(self, room: Room, member: Member) -> None:
        """Back to watching the teacher; the member's own run is kept for a later look on the dashboard."""
        self.service.set_mode(member, "watching")
        self.announce(room)

    async def remove(self, room: Room, member_id: str) -> None:
        member = self.service.remove(room, member_id)
        if member.session_id is not None:
            await self.manager.remove(member.session_id)
        self._saved.pop(member.id, None)
        self.broadcast(room, protocol.json_message("removed", member_id=member_id))
        self.announce(room)

    # ---- the teacher's actions ------------------------------------------------------------------

    async def _forked_sessions(self, room: Room) -> list[Session]:
        """The runs of forked students, restored from their snapshots where they are not live (after a
        restart, before their students came back): a push or a reset reaches every one."""
        return [session for _, session in await self._forked_runs(room)]

    async def _forked_runs(self, room: Room) -> list[tuple[Member, Session]]:
        """Each forked student with their run (restored where needed). Classroom runs count against their
        own limit, not a client's, so restoring a whole class here is allowed."""
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

    async def push_config(
        self, room: Room, changes: dict[str, Any] | None, keep_weights: bool = False
    ) -> dict[str, Any]:
        """Give every forked student's run `changes` (default: the teacher's whole config), all in the same
        way: `keep_weights` False starts every run afresh (new weights from the seed, epoch 0, paused),
        True lets every run continue from its own weights. Returns what each run did (and tells the room).

        Raises ConfigError, changing nothing, when the changes are not valid."""
        teacher = await self.teacher_session(room)
        if changes is None:
            changes = teacher.config.public()
        else:
            make_config(teacher.config, changes)  # validate before touching anyone's run
        runs = await self._forked_runs(room)
        refusals: dict[str, str] = {}
        for member, session in runs:
            # The weights are kept by the configure (whatever the fresh-run rule says); a fresh push then
            # resets, so that every run ends in the same state, not one that depends on what it changed.
            reply = session.handle(Configure(type="configure", changes=changes, keep_weights=True))
            if reply is not None and '"type":"error"' in reply:  # e.g. own points refuse a multi-class set
                refusals[member.id] = json.loads(reply)["message"]
                continue
            if not keep_weights:
                session.handle(Reset(type="reset"))
        await _settle([session for _, session in runs])
        result = push_report(runs, changes, keep_weights, refusals)
        self.broadcast(room, protocol.json_message("pushed", changes=changes, **result))
        return result

    async def reset_all(self, room: Room) -> int:
        sessions = await self._forked_sessions(room)
        for session in sessions:
            session.handle(Reset(type="reset"))
        await _settle(sessions)
        return len(sessions)

    def spotlight(self, room: Room, member_id: str) -> None:
        if member_id and member_id not in room.members:
            raise KeyError(member_id)
        self.service.set_room(room, spotlight=member_id)
        self.announce(room)

    async def set_lesson(self, room: Room, lesson_id: str) -> None:
        if lesson_id not in BY_ID:
            raise LessonError(f"no lesson {lesson_id!r}; the lessons are {', '.join(BY_ID)}")
        self.service.set_room(room, lesson_id=lesson_id, lesson_step=-1)
        await self.lesson_next(room)

    async def lesson_next(self, room: Room) -> None:
        """The lesson's next step: its preset on the teacher's run (from epoch 0) and on every fork."""
        lesson = BY_ID.get(room.lesson_id)
        if lesson is None:
            raise LessonError("choose a lesson first")
        if room.lesson_step + 1 >= len(lesson.steps):
            raise LessonError(f"that was the last step of {lesson.title!r}")
        step = lesson.steps[room.lesson_step + 1]
        changes = make_config(None, step.config).public()
        teacher = await self.teacher_session(room)
        sessions = [teacher, *await self._forked_sessions(room)]
        for session in sessions:
            # queued in this order: the step's settings, then fresh weights from epoch 0 (so the configure
            # keeps the weights: one fresh start, the reset's, whatever the step changes)
            session.handle(Configure(type="configure", changes=changes, keep_weights=True))
            session.handle(Reset(type="reset"))
        await _settle(sessions)
        self.service.set_room(room, lesson_step=room.lesson_step + 1)
        self.announce(room)

    def lock(self, room: Room, names: object) -> None:
        """Hide these controls on every student's page (the page's hide= names); raises ValueError."""
        self.service.set_room(room, locked=check_locked(names))
        self.announce(room)

    def set_challenge(self, room: Room, spec: Challenge | dict[str, Any] | None) -> None:
        """A target (test loss below `target_loss` on `dataset`) or None to end it; scores start afresh.
        Validated by messages.Challenge (a ValueError names the field) before anything is stored."""
        stored = None if spec is None else Challenge.model_validate(spec).model_dump()
        for member in room.members.values():
            member.reached = None
        self.service.set_room(room, challenge=stored)
        self.announce(room)

    # ---- what the room sees ---------------------------------------------------------------------

    def view(self, room: Room) -> dict[str, Any]:
        students = []
        for member in room.members.values():
            saved = self._saved.get(member.id)
            if saved is None and member.mode == "forked":
                row = self.store.snapshot(member.id)
                saved = (row.epoch, 0, row.training) if row else None
                if saved is not None:
                    self._saved[member.id] = saved
            status = dashboard.student_status(member, self._live(member.session_id), saved and saved[0])
            students.append({**status, "present": self.is_present(room, member.id)})
        return dashboard.room_view(room, students, self._spotlight_watch_id(room), self.service.room_size)

    def _spotlight_watch_id(self, room: Room) -> str | None:
        member = room.members.get(room.spotlight)
        session = self._live(member.session_id if member else room.teacher_session_id)
        return session.watch_id if session is not None else None

    def listen(self, room: Room, teacher: bool) -> Subscriber:
        sub = Subscriber()
        self.listeners.setdefault(room.code, {})[sub] = teacher
        sub.push_control(protocol.json_message("room", **self.view(room)))
        return sub

    def promote(self, room: Room, sub: Subscriber) -> None:
        """This listener proved the teacher key: it gets the tiles too."""
        self.listeners.setdefault(room.code, {})[sub] = True

    def unlisten(self, room: Room, sub: Subscriber) -> None:
        self.listeners.get(room.code, {}).pop(sub, None)
        if self.presence.leave(room.code, sub):
            self.announce(room)  # a member's last page closed: they are away

    def attend(self, room: Room, sub: Subscriber, member: Member) -> None:
        """This room socket is `member`'s page (it proved their token): they are present while it is open."""
        if self.presence.attend(room.code, sub, member.id):
            self.announce(room)

    def is_present(self, room: Room, member_id: str) -> bool:
        return member_id in self.presence.present(room.code)

    async def leave(self, room: Room, member: Member) -> None:
        """A member leaves by themselves: as a removal, their run ends, their tile goes, the name is free."""
        await self.remove(room, member.id)

    def broadcast(self, room: Room, message: str | bytes) -> None:
        for sub in self.listeners.get(room.code, {}):
            sub.push_control(message)

    def announce(self, room: Room) -> None:
        """Send the room's view to everyone listening (after any change)."""
        if self.listeners.get(room.code):
            self.broadcast(room, protocol.json_message("room", **self.view(room)))

    def _score(self, room: Room) -> bool:
        """Update the challenge's leaderboard from the live runs; returns whether it changed."""
        spec = room.challenge
        if not spec:
            return False
        changed = False
        for member in room.members.values():
            session = self._live(member.session_id) if member.mode == "forked" else None
            if session is None:
                continue
            summary = session.summary()
            loss = summary["test_loss"]
            if summary["config"]["dataset"] != spec["dataset"] or loss is None or loss >= spec["target_loss"]:
                continue
            candidate = (sum(summary["config"]["hidden_layers"]), summary["epoch"])
            if member.reached is None or candidate < member.reached:
                member.reached, changed = candidate, True
        return changed

    async def _tiles(self, room: Room) -> bytes:
        teacher = self._live(room.teacher_session_id)
        teacher_config = teacher.config.public() if teacher else {}
        present = self.presence.present(room.code)
        tiles = [
            {**dashboard.tile(m, self._live(m.session_id), teacher_config), "present": m.id in present}
            for m in room.members.values()
        ]
        return bytes(msgpack.packb({"type": "tiles", "tiles": tiles}))

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
                    await _isolated(self._tick_room(room), f"room {code}'s dashboard tick")
            if tick % ticks_per_snapshot == 0:
                await self.snapshot_all()
            if tick % self._ticks_per_expiry() == 0:
                await _isolated(self.rooms.expire_idle(), "expiring idle rooms")

    async def _tick_room(self, room: Room) -> None:
        """One room's second: its score, and its tiles to the teachers listening."""
        self.service.touch(room)  # someone is listening: the room is in use
        if self._score(room):
            self.announce(room)
        teachers = [sub for sub, is_teacher in self.listeners.get(room.code, {}).items() if is_teacher]
        if teachers:
            tiles = await self._tiles(room)
            for sub in teachers:
                sub.push_frame(tiles)

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


async def _settle(sessions: list[Session]) -> None:
    """Wait until these runs have applied what was queued for them (at most SETTLE_TIMEOUT_S)."""
    if not sessions:
        return
    try:
        await asyncio.wait_for(asyncio.gather(*(s.settled() for s in sessions)), SETTLE_TIMEOUT_S)
    except TimeoutError:
        log.warning("%d runs had not applied a class change after %.0f s", len(sessions), SETTLE_TIMEOUT_S)
