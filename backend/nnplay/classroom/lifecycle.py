"""Rooms begin and end: made within bounds with their run, closed by their teacher, expired when idle.

- Open: a room counts against NNPLAY_MAX_ROOMS (and the client's NNPLAY_MAX_ROOMS_PER_CLIENT) from before
  its run is made (sessions/limits.py); its row is written only once its run exists, so a refused room
  leaves nothing behind (rooms used to be written first, and stayed when their run was refused).
- Close: the teacher's REST call or room message, or expiry after NNPLAY_ROOM_IDLE_TIMEOUT_S without a
  request or a listener: its sockets are told (`closed`, with the reason) and end, the runs the room made
  end, and its row, members and snapshots are deleted. A run the teacher's page brought (`session_id` on
  create) is the teacher's own: it stays theirs.

Owner: RoomKeeper, on the event loop, beside the ClassroomHub it serves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from ..config import ServerSettings
from ..sessions import Session, SessionManager, Subscriber
from ..sessions.limits import Quota, Slot
from .rooms import Room, RoomService

log = logging.getLogger(__name__)

LOADED = ""  # the quota key of rooms loaded from the store: who made them is not kept


class TooManyRooms(RuntimeError):
    """A room cap is reached (in all, or this client's)."""


@dataclass(frozen=True)
class RoomLimits:
    max_rooms: int = 100
    max_rooms_per_client: int = 10
    idle_timeout_s: float = 86_400.0

    @classmethod
    def of(cls, settings: ServerSettings) -> RoomLimits:
        return cls(settings.max_rooms, settings.max_rooms_per_client, settings.room_idle_timeout_s)


class ClassroomHubLike(Protocol):
    """The parts of ClassroomHub the keeper uses (so that this module does not import the hub)."""

    manager: SessionManager
    service: RoomService
    listeners: dict[str, dict[Subscriber, bool]]
    client: str

    def forget(self, room: Room) -> None: ...
    async def saved_run(self, room: Room, run: Session) -> Any: ...


class RoomKeeper:
    """Opens, closes and expires the rooms of a hub (classroom/hub.py)."""

    def __init__(self, hub: ClassroomHubLike, limits: RoomLimits) -> None:
        self.hub = hub
        self.limits = limits
        self.quota = Quota(limits.max_rooms, limits.max_rooms_per_client)
        self._slots: dict[str, Slot] = {}
        self._closed: dict[str, asyncio.Future[str]] = {}  # room code -> why it closed, once it has
        for code in hub.service.rooms:  # rooms from the store count too, whoever made them
            self._slots[code] = self.quota.take(LOADED)

    def _refusal(self, client: str) -> str:
        if self.quota.blocked(client) == "key":
            return (
                f"this address already has {self.limits.max_rooms_per_client} rooms open (NNPLAY_MAX_ROOMS_"
                "PER_CLIENT); close one you no longer use, or wait until an idle room expires"
            )
        return (
            f"the server already has {self.limits.max_rooms} rooms (NNPLAY_MAX_ROOMS); try again when a "
            f"room has closed (rooms expire after {self.limits.idle_timeout_s / 3600:g} h without use)"
        )

    async def open(self, client: str, session_id: str | None) -> tuple[Room, str, Session]:
        """A new room, its teacher key and its run: the given session (the teacher page's own) or a new
        classroom run. Raises TooManyRooms, TooManySessions or SessionNotFound, leaving nothing behind."""
        slot = self.quota.reserve(client)
        if slot is None:
            raise TooManyRooms(self._refusal(client))
        with slot:
            manager = self.hub.manager
            if session_id:
                run, made = manager.get(session_id), False
            else:
                run, made = await manager.create({}, self.hub.client, classroom=True), True
            try:
                room, key = self.hub.service.create()
            except BaseException:
                if made:
                    await manager.remove(run.id)
                raise
        self._slots[room.code] = slot
        self.hub.service.wrong_codes.right(client, room.code)  # its teacher's address knows the code
        room.teacher_session_id = run.id
        await self.hub.saved_run(room, run)
        return room, key, run

    def closed(self, room: Room) -> asyncio.Future[str]:
        """Resolved with the reason when the room closes (its sockets then say so and end)."""
        if room.code not in self._closed:
            self._closed[room.code] = asyncio.get_running_loop().create_future()
        return self._closed[room.code]

    async def close(self, room: Room, reason: str) -> None:
        """Tell the room's listeners, end the runs it made, delete its rows and snapshots."""
        if self.hub.service.rooms.get(room.code) is not room:
            return
        self.hub.service.close(room)
        slot = self._slots.pop(room.code, None)
        if slot is not None:
            slot.release()
        closed = self._closed.pop(room.code, None)
        if closed is not None and not closed.done():
            closed.set_result(reason)  # each of the room's sockets sends `closed` and ends (room_ws.py)
        self.hub.forget(room)
        runs = [m.session_id for m in room.members.values()]
        if room.teacher_session_id and self.hub.manager.is_classroom_run(room.teacher_session_id):
            runs.append(room.teacher_session_id)
        for session_id in runs:
            if session_id is not None:
                await self.hub.manager.remove(session_id)
        log.info("room %s closed: %s", room.code, reason)

    async def expire_idle(self, now: float | None = None) -> int:
        """Close the rooms nobody has used for idle_timeout_s (a room with a listener is in use)."""
        now = time.time() if now is None else now
        idle = [
            room
            for room in list(self.hub.service.rooms.values())
            if not self.hub.listeners.get(room.code) and now - room.last_active > self.limits.idle_timeout_s
        ]
        hours = self.limits.idle_timeout_s / 3600
        for room in idle:
            await self.close(room, f"the room closed after {hours:g} h without use")
        return len(idle)
