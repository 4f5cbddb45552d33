"""Who listens to each room and what they are sent: the room sockets (which of them proved the teacher key,
which are a member's page), the room's view on every change, and the teacher's tiles and the challenge's
scores once a second.

Owner: RoomAudience, on the event loop (held by ClassroomHub). A member's page that proved its token on the
room socket makes the member present; without one, away. The runs it shows come from RoomRuns; it never
changes a run.
"""

from __future__ import annotations

from typing import Any

import msgpack

from .. import protocol
from ..sessions import Session, Subscriber
from . import dashboard
from .presence import Presence
from .rooms import Member, Room, RoomService
from .runs import RoomRuns


class RoomAudience:
    """The room sockets of every room, and what goes out to them."""

    def __init__(self, service: RoomService, runs: RoomRuns) -> None:
        self.service = service
        self.runs = runs
        self.listeners: dict[str, dict[Subscriber, bool]] = {}  # room code -> subscriber -> is teacher
        self.presence = Presence()  # which members have a page open

    # ---- the room sockets -------------------------------------------------------------------------

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

    def forget(self, room: Room) -> None:
        """A closed room: no listeners, nobody present."""
        self.listeners.pop(room.code, None)
        self.presence.forget(room.code)

    # ---- what the room sees -----------------------------------------------------------------------

    def view(self, room: Room) -> dict[str, Any]:
        students = []
        for member in room.members.values():
            live = self.runs.live(member.session_id)
            status = dashboard.student_status(member, live, self.runs.saved_epoch(member))
            students.append({**status, "present": self.is_present(room, member.id)})
        return dashboard.room_view(room, students, self._spotlight_watch_id(room), self.service.room_size)

    def _spotlight_watch_id(self, room: Room) -> str | None:
        member = room.members.get(room.spotlight)
        session = self.runs.live(member.session_id if member else room.teacher_session_id)
        return session.watch_id if session is not None else None

    def broadcast(self, room: Room, message: str | bytes) -> None:
        for sub in self.listeners.get(room.code, {}):
            sub.push_control(message)

    def announce(self, room: Room) -> None:
        """Send the room's view to everyone listening (after any change)."""
        if self.listeners.get(room.code):
            self.broadcast(room, protocol.json_message("room", **self.view(room)))

    # ---- once a second ----------------------------------------------------------------------------

    async def tick(self, room: Room) -> None:
        """One room's second: its score, and its tiles to the teachers listening."""
        self.service.touch(room)  # someone is listening: the room is in use
        if self._score(room):
            self.announce(room)
        teachers = [sub for sub, is_teacher in self.listeners.get(room.code, {}).items() if is_teacher]
        if teachers:
            tiles = self._tiles(room)
            for sub in teachers:
                sub.push_frame(tiles)

    def rescore(self, room: Room) -> None:
        """Score the challenge now (an entry came), and tell the room if the leaderboard changed."""
        if self._score(room):
            self.announce(room)

    def _score(self, room: Room) -> bool:
        """Update the challenge's leaderboard from the live runs (each member's own, if forked, and the
        runs of the sweeps they entered); returns whether it changed."""
        spec = room.challenge
        if not spec:
            return False
        changed = False
        for member in room.members.values():
            own = self.runs.live(member.session_id) if member.mode == "forked" else None
            entered = [self.runs.live(i) for ids in member.entries.values() for i in ids]
            candidates = [(own, "run"), *((session, "sweep") for session in entered)]
            for session, via in candidates:
                candidate = None if session is None else _meets(session, spec)
                if candidate is not None and (member.reached is None or candidate < member.reached):
                    member.reached, member.reached_via, changed = candidate, via, True
        return changed

    def _tiles(self, room: Room) -> bytes:
        teacher = self.runs.live(room.teacher_session_id)
        teacher_config = teacher.config.public() if teacher else {}
        present = self.presence.present(room.code)
        tiles = [
            {**dashboard.tile(m, self.runs.live(m.session_id), teacher_config), "present": m.id in present}
            for m in room.members.values()
        ]
        return bytes(msgpack.packb({"type": "tiles", "tiles": tiles}))


def _meets(session: Session, spec: dict[str, Any]) -> tuple[int, int] | None:
    """(size, epoch) of a run on the challenge's data set whose figure is below its target, else None."""
    value, size = session.family.challenge_value(session), session.family.size(session.config)
    if getattr(session.config, "dataset", None) != spec["dataset"] or value is None or size is None:
        return None
    return (size, session.epoch) if value < spec["target_loss"] else None
