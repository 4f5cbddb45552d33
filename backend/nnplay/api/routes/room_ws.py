"""The room websocket (/ws/rooms/{code}): the room's view, lesson, spotlight and pushes to everyone;
the students' tiles (binary msgpack, once a second) to a connection that proved the teacher key.

Client messages (classroom/messages.py, validated like every other message): {"type": "auth",
"teacher_key": ...} (the teacher) or {"type": "auth", "member_token": ...} (a student's page: the student is
present while it is open); the teacher's actions {"type": "push_config" | "spotlight" | "remove" |
"reset_all" | "lesson_next" | "challenge" | "lock" | "close_room", "teacher_key": ..., ...}; "ping". A
student's action gets {"type": "error", "code": "forbidden"}. When the room closes, every listener gets
{"type": "closed"} and its socket is closed (4404).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, WebSocket

from ... import protocol
from ...classroom.actions import LessonError
from ...classroom.hub import ClassroomHub
from ...classroom.messages import TEACHER_ACTIONS, Auth, ChallengeMessage, Ping, room_envelope, room_message
from ...classroom.rooms import NotTeacher, Room, RoomNotFound, TooManyWrongCodes
from ...schemas import ConfigError
from ...sessions import Subscriber
from ..deps import client_of, hub_of
from .ws import CLOSE_NOT_FOUND, pump

router = APIRouter()


async def _act(hub: ClassroomHub, room: Room, message: Any) -> None:
    """One teacher action, already validated and authorised."""
    kind = message.type
    if kind == "push_config":
        await hub.push_config(room, message.changes, message.keep_weights)
    elif kind == "spotlight":
        hub.spotlight(room, message.member_id)
    elif kind == "remove":
        await hub.remove(room, message.member_id)
    elif kind == "reset_all":
        await hub.reset_all(room)
    elif kind == "lesson_next":
        if message.lesson_id:
            await hub.set_lesson(room, message.lesson_id)
        else:
            await hub.lesson_next(room)
    elif kind == "lock":
        hub.lock(room, list(message.controls))
    elif isinstance(message, ChallengeMessage):
        await hub.set_challenge(room, message.challenge)
    elif kind == "close_room":
        await hub.rooms.close(room, "the teacher closed the room")


def _auth(hub: ClassroomHub, room: Room, sub: Subscriber, message: Auth) -> str:
    """A student's page proves its member token (the student is present), or the teacher's its key."""
    if message.member_token:
        member = hub.service.member_of(room, message.member_token)
        if member is None:
            return protocol.error_message("forbidden", "not a member token of this room", "member_token")
        hub.attend(room, sub, member)
        return protocol.json_message("auth", role="student", member_id=member.id)
    if not hub.service.is_teacher(room, message.teacher_key):
        return protocol.error_message("forbidden", "that is not this room's teacher key", "teacher_key")
    hub.promote(room, sub)
    return protocol.json_message("auth", role="teacher")


async def _handle(hub: ClassroomHub, room: Room, sub: Subscriber, raw: str | bytes) -> str | None:
    """One client message; returns a reply for the sender alone, if any."""
    try:
        data = room_envelope(raw)
        action = TEACHER_ACTIONS.get(data["type"])
        if action is not None:  # the key first: a student learns nothing about a teacher action's fields
            hub.service.require_teacher(room, data.get("teacher_key"), action)
        message = room_message(data)
        if isinstance(message, Ping):
            return protocol.json_message("pong")
        if isinstance(message, Auth):
            return _auth(hub, room, sub, message)
        await _act(hub, room, message)
    except protocol.ProtocolError as exc:
        return protocol.error_message(exc.code, exc.message, exc.field)
    except NotTeacher as exc:
        return protocol.error_message("forbidden", str(exc), "teacher_key")
    except ConfigError as exc:
        return protocol.error_message("invalid_value", exc.message, exc.field)
    except (LessonError, KeyError, ValueError) as exc:
        return protocol.error_message("invalid_value", str(exc))
    return None


async def _close_when_the_room_closes(websocket: WebSocket, room: Room, closed: asyncio.Future[str]) -> None:
    reason = await asyncio.shield(closed)  # shared by the room's sockets: leaving must not cancel it
    with contextlib.suppress(Exception):  # the client may be gone already
        await websocket.send_text(protocol.json_message("closed", code=room.code, message=reason))
        await websocket.close(code=CLOSE_NOT_FOUND, reason="room closed")


@router.websocket("/ws/rooms/{code}")
async def room_socket(websocket: WebSocket, code: str) -> None:
    # Host, Origin, token and connections per client were checked by the guards (api/guards.py).
    hub = hub_of(websocket)
    try:
        room = hub.service.lookup(code, client_of(websocket))
    except (RoomNotFound, TooManyWrongCodes) as exc:
        await websocket.accept()
        text = str(exc) if isinstance(exc, TooManyWrongCodes) else f"no room with code {code!r}"
        await websocket.send_text(protocol.error_message("not_found", text))
        await websocket.close(code=CLOSE_NOT_FOUND, reason="unknown room")
        return
    await websocket.accept()
    sub = hub.listen(room, teacher=False)
    closer = asyncio.create_task(_close_when_the_room_closes(websocket, room, hub.rooms.closed(room)))

    async def handle(raw: str | bytes) -> str | None:
        return await _handle(hub, room, sub, raw)

    def leave() -> None:
        closer.cancel()
        hub.unlisten(room, sub)

    await pump(websocket, sub, handle, leave)
