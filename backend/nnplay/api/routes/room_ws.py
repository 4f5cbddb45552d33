"""The room websocket (/ws/rooms/{code}): the room's view, lesson, spotlight and pushes to everyone;
the students' tiles (binary msgpack, once a second) to a connection that proved the teacher key.

Client messages: {"type": "auth", "teacher_key": ...} (the teacher) or {"type": "auth", "member_token": ...}
(a student's page: the student is present while it is open); the teacher's actions {"type": "push_config" |
"spotlight" | "remove" | "reset_all" | "lesson_next" | "challenge" | "lock", "teacher_key": ..., ...};
"ping".
A student's action gets {"type": "error", "code": "forbidden"}.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, WebSocket

from ... import protocol
from ...classroom.hub import ClassroomHub, LessonError
from ...classroom.rooms import NotTeacher, Room, RoomNotFound, TooManyWrongCodes
from ...schemas import ConfigError
from ...sessions import Subscriber
from .ws import pump

router = APIRouter()

ACTIONS = {
    "push_config": "push settings to the class",
    "spotlight": "spotlight a student",
    "remove": "remove a student",
    "reset_all": "reset everyone's runs",
    "lesson_next": "move the lesson on",
    "challenge": "set a challenge",
    "lock": "lock controls for the class",
}
MAX_MESSAGE = 16 * 1024


async def _act(hub: ClassroomHub, room: Room, message: dict[str, Any]) -> None:
    kind = message["type"]
    if kind == "push_config":
        await hub.push_config(room, message.get("changes"), bool(message.get("keep_weights")))
    elif kind == "spotlight":
        hub.spotlight(room, str(message.get("member_id") or ""))
    elif kind == "remove":
        await hub.remove(room, str(message.get("member_id") or ""))
    elif kind == "reset_all":
        await hub.reset_all(room)
    elif kind == "lesson_next":
        if message.get("lesson_id"):
            await hub.set_lesson(room, str(message["lesson_id"]))
        else:
            await hub.lesson_next(room)
    elif kind == "lock":
        hub.lock(room, message.get("controls"))
    elif kind == "challenge":
        spec = message.get("challenge")
        hub.set_challenge(room, spec if isinstance(spec, dict) else None)


async def _handle(hub: ClassroomHub, room: Room, sub: Subscriber, raw: str | bytes) -> str | None:
    """One client message; returns a reply for the sender alone, if any."""
    if len(raw) > MAX_MESSAGE:
        return protocol.error_message("too_large", f"messages are limited to {MAX_MESSAGE} bytes")
    try:
        message = json.loads(raw)
        kind = message["type"]
    except (ValueError, TypeError, KeyError):
        return protocol.error_message("invalid_message", "a room message is JSON with a type", "type")
    if kind == "ping":
        return protocol.json_message("pong")
    if kind == "auth" and message.get("member_token"):
        member = hub.service.member_of(room, str(message["member_token"]))
        if member is None:
            return protocol.error_message("forbidden", "not a member token of this room", "member_token")
        hub.attend(room, sub, member)
        return protocol.json_message("auth", role="student", member_id=member.id)
    if kind == "auth":
        if not hub.service.is_teacher(room, message.get("teacher_key")):
            return protocol.error_message("forbidden", "that is not this room's teacher key", "teacher_key")
        hub.promote(room, sub)
        return protocol.json_message("auth", role="teacher")
    if kind not in ACTIONS:
        return protocol.error_message("unknown_type", f"unknown room message {kind!r}", "type")
    try:
        hub.service.require_teacher(room, message.get("teacher_key"), ACTIONS[kind])
        await _act(hub, room, message)
    except NotTeacher as exc:
        return protocol.error_message("forbidden", str(exc), "teacher_key")
    except ConfigError as exc:
        return protocol.error_message("invalid_value", exc.message, exc.field)
    except (LessonError, KeyError, ValueError) as exc:
        return protocol.error_message("invalid_value", str(exc))
    return None


@router.websocket("/ws/rooms/{code}")
async def room_socket(websocket: WebSocket, code: str) -> None:
    # Host, Origin and token were checked by the guards (api/guards.py) before this runs.
    hub: ClassroomHub = websocket.app.state.classroom
    client = websocket.client.host if websocket.client else ""
    try:
        room = hub.service.lookup(code, client)
    except (RoomNotFound, TooManyWrongCodes) as exc:
        await websocket.accept()
        text = str(exc) if isinstance(exc, TooManyWrongCodes) else f"no room with code {code!r}"
        await websocket.send_text(protocol.error_message("not_found", text))
        await websocket.close(code=4404, reason="unknown room")
        return
    await websocket.accept()
    sub = hub.listen(room, teacher=False)

    async def handle(raw: str | bytes) -> str | None:
        return await _handle(hub, room, sub, raw)

    await pump(websocket, sub, handle, lambda: hub.unlisten(room, sub))
