"""Classroom REST routes: create and look up rooms, join, fork/watch, and the teacher's actions.

Thin: they translate HTTP to ClassroomHub calls. The teacher key travels in the `X-Teacher-Key` header
and a member token in `X-Member-Token`, never in a URL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...classroom.hub import ClassroomHub, LessonError, teacher_owner
from ...classroom.lessons import lesson_catalog
from ...classroom.qr import join_qr_svg
from ...classroom.rooms import BadName, Member, NotTeacher, Room, RoomFull, RoomNotFound, TooManyWrongCodes
from ...schemas import ConfigError
from ...sessions import SessionNotFound, TooManySessions
from ...settings import DATASETS
from ..deps import token_ok

router = APIRouter(prefix="/api")


class CreateRoom(BaseModel):
    session_id: str | None = None  # the teacher's page's own session becomes the room's run


class JoinRoom(BaseModel):
    name: Any = None


class PushConfig(BaseModel):
    changes: dict[str, Any] | None = None  # None: the teacher's whole current config
    keep_weights: bool = False  # False: every run starts afresh; True: every run continues from its weights


class MemberChoice(BaseModel):
    member_id: str = ""


class Lock(BaseModel):
    controls: Any = Field(default_factory=list)  # names as in the page's hide= parameter


class LessonChoice(BaseModel):
    lesson_id: str | None = None  # None: the next step of the current lesson


class Challenge(BaseModel):
    dataset: str = "spiral"
    target_loss: float = Field(default=0.05, gt=0, le=10)


def hub_of(request: Request) -> ClassroomHub:
    hub: ClassroomHub = request.app.state.classroom
    return hub


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


@contextlib.contextmanager
def http_errors() -> Iterator[None]:
    """The classroom's typed errors as HTTP problems a person can read."""
    try:
        yield
    except RoomNotFound as exc:
        raise HTTPException(404, f"no room with code {exc.args[0]!r}; check the code and try again") from None
    except TooManyWrongCodes as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(int(exc.retry_after_s) + 1)}) from None
    except NotTeacher as exc:
        raise HTTPException(403, str(exc)) from None
    except BadName as exc:
        raise HTTPException(422, [{"field": "name", "message": str(exc)}]) from None
    except RoomFull as exc:
        raise HTTPException(409, str(exc)) from None
    except TooManySessions as exc:
        raise HTTPException(429, str(exc)) from None
    except LessonError as exc:
        raise HTTPException(409, str(exc)) from None
    except ConfigError as exc:
        raise HTTPException(422, [{"field": exc.field, "message": exc.message}]) from None


def _room(request: Request, code: str) -> Room:
    if not token_ok(request):
        raise HTTPException(401, "a valid token is required (?token=... or Authorization: Bearer ...)")
    with http_errors():
        return hub_of(request).service.lookup(code, client_of(request))


def _teacher_room(request: Request, code: str, key: str | None, action: str) -> Room:
    room = _room(request, code)
    with http_errors():
        hub_of(request).service.require_teacher(room, key, action)
    return room


def _member(request: Request, room: Room, token: str | None) -> Member:
    member = hub_of(request).service.member_of(room, token)
    if member is None:
        raise HTTPException(403, "this needs your member token from joining the room (X-Member-Token)")
    return member


def join_url(request: Request, code: str) -> str:
    base = request.app.state.settings.public_url or str(request.base_url)
    return str(base).rstrip("/") + f"/?room={code}"


@router.get("/lessons")
def lessons() -> list[dict[str, Any]]:
    return lesson_catalog()


@router.post("/rooms", status_code=201)
async def create_room(request: Request, body: CreateRoom | None = None) -> dict[str, Any]:
    if not token_ok(request):
        raise HTTPException(401, "a valid token is required (?token=... or Authorization: Bearer ...)")
    hub = hub_of(request)
    room, key = hub.service.create()
    with http_errors():
        if body is not None and body.session_id:
            try:
                teacher = await hub.adopt_session(room, body.session_id)
            except SessionNotFound:
                raise HTTPException(404, f"no session with id {body.session_id!r}") from None
        else:
            teacher = await hub.teacher_session(room)
    url = join_url(request, room.code)
    return {
        "code": room.code,
        "teacher_key": key,
        "join_url": url,
        "qr_svg": join_qr_svg(url),
        "session_id": teacher.id,
        "watch_id": teacher.watch_id,
    }


@router.get("/rooms/{code}")
def get_room(code: str, request: Request) -> dict[str, Any]:
    return hub_of(request).view(_room(request, code))


@router.get("/rooms/{code}/teacher")
async def teacher_view(
    code: str, request: Request, x_teacher_key: str | None = Header(default=None)
) -> dict[str, Any]:
    """What a reloaded teacher page needs: its run (re-created after a restart) and the QR code."""
    room = _teacher_room(request, code, x_teacher_key, "open the teacher's view")
    with http_errors():
        teacher = await hub_of(request).teacher_session(room)
    url = join_url(request, room.code)
    return {
        "code": room.code,
        "join_url": url,
        "qr_svg": join_qr_svg(url),
        "session_id": teacher.id,
        "watch_id": teacher.watch_id,
        # why the run is not as it was before a restart ("" when it is): said once, on the page
        "restore_note": hub_of(request).restore_notes.pop(teacher_owner(room), ""),
    }


@router.post("/rooms/{code}/join", status_code=201)
async def join_room(code: str, body: JoinRoom, request: Request) -> dict[str, Any]:
    room = _room(request, code)
    hub = hub_of(request)
    with http_errors():
        member, token = hub.service.join(room, body.name)
        teacher = await hub.teacher_session(room)
    hub.announce(room)
    return {"member_id": member.id, "member_token": token, "name": member.name, "watch_id": teacher.watch_id}


@router.get("/rooms/{code}/me")
async def me(
    code: str, request: Request, x_member_token: str | None = Header(default=None)
) -> dict[str, Any]:
    """A member's own view: mode, its run's session id (its own capability) and the teacher's watch id."""
    room = _room(request, code)
    member = _member(request, room, x_member_token)
    hub = hub_of(request)
    with http_errors():
        teacher = await hub.teacher_session(room)
        session = await hub.member_session(room, member, client_of(request))
    return {
        "member_id": member.id,
        "name": member.name,
        "mode": member.mode,
        "session_id": session.id if session is not None else None,
        "watch_id": teacher.watch_id,
        "restore_note": hub.restore_notes.pop(member.id, ""),
    }


@router.post("/rooms/{code}/fork")
async def fork(
    code: str, request: Request, x_member_token: str | None = Header(default=None)
) -> dict[str, Any]:
    room = _room(request, code)
    member = _member(request, room, x_member_token)
    with http_errors():
        session = await hub_of(request).fork(room, member, client_of(request))
    return {"session_id": session.id, "mode": member.mode}


@router.post("/rooms/{code}/leave")
async def leave(
    code: str, request: Request, x_member_token: str | None = Header(default=None)
) -> dict[str, Any]:
    """The member leaves: their run ends, their tile goes and their name is free again."""
    room = _room(request, code)
    member = _member(request, room, x_member_token)
    await hub_of(request).leave(room, member)
    return {"left": member.id}


@router.post("/rooms/{code}/watch")
async def watch(
    code: str, request: Request, x_member_token: str | None = Header(default=None)
) -> dict[str, Any]:
    room = _room(request, code)
    member = _member(request, room, x_member_token)
    hub = hub_of(request)
    hub.watch(room, member)
    with http_errors():
        teacher = await hub.teacher_session(room)
    return {"watch_id": teacher.watch_id, "mode": member.mode}


# ---- the teacher's actions: each needs X-Teacher-Key ------------------------------------------------


@router.post("/rooms/{code}/push-config")
async def push_config(
    code: str,
    request: Request,
    body: PushConfig | None = None,
    x_teacher_key: str | None = Header(default=None),
) -> dict[str, Any]:
    room = _teacher_room(request, code, x_teacher_key, "push settings to the class")
    body = body or PushConfig()
    with http_errors():
        return await hub_of(request).push_config(room, body.changes, body.keep_weights)


@router.post("/rooms/{code}/spotlight")
def spotlight(
    code: str, body: MemberChoice, request: Request, x_teacher_key: str | None = Header(default=None)
) -> dict[str, Any]:
    room = _teacher_room(request, code, x_teacher_key, "spotlight a student")
    try:
        hub_of(request).spotlight(room, body.member_id)
    except KeyError:
        raise HTTPException(404, f"no student {body.member_id!r} in this room") from None
    return hub_of(request).view(room)["spotlight"]  # type: ignore[no-any-return]


@router.post("/rooms/{code}/remove")
async def remove(
    code: str, body: MemberChoice, request: Request, x_teacher_key: str | None = Header(default=None)
) -> dict[str, Any]:
    room = _teacher_room(request, code, x_teacher_key, "remove a student")
    try:
        await hub_of(request).remove(room, body.member_id)
    except KeyError:
        raise HTTPException(404, f"no student {body.member_id!r} in this room") from None
    return {"removed": body.member_id}


@router.post("/rooms/{code}/reset-all")
async def reset_all(
    code: str, request: Request, x_teacher_key: str | None = Header(default=None)
) -> dict[str, Any]:
    room = _teacher_room(request, code, x_teacher_key, "reset everyone's runs")
    with http_errors():
        count = await hub_of(request).reset_all(room)
    return {"students": count}


@router.post("/rooms/{code}/lesson-next")
async def lesson_next(
    code: str,
    request: Request,
    body: LessonChoice | None = None,
    x_teacher_key: str | None = Header(default=None),
) -> Any:
    room = _teacher_room(request, code, x_teacher_key, "move the lesson on")
    hub = hub_of(request)
    with http_errors():
        if body is not None and body.lesson_id:
            await hub.set_lesson(room, body.lesson_id)
        else:
            await hub.lesson_next(room)
    return hub.view(room)["lesson"]


@router.post("/rooms/{code}/challenge")
def challenge(
    code: str,
    request: Request,
    body: Challenge | None = None,
    x_teacher_key: str | None = Header(default=None),
) -> Any:
    room = _teacher_room(request, code, x_teacher_key, "set a challenge")
    spec = body or Challenge()
    if spec.dataset not in {name for name, _, _ in DATASETS}:
        return JSONResponse(
            {"detail": [{"field": "dataset", "message": f"no data set {spec.dataset!r}"}]}, 422
        )
    hub_of(request).set_challenge(room, spec.model_dump())
    return hub_of(request).view(room)["challenge"]


@router.post("/rooms/{code}/lock")
def lock(
    code: str, body: Lock, request: Request, x_teacher_key: str | None = Header(default=None)
) -> dict[str, Any]:
    room = _teacher_room(request, code, x_teacher_key, "lock controls for the class")
    try:
        hub_of(request).lock(room, body.controls)
    except ValueError as exc:
        raise HTTPException(422, [{"field": "controls", "message": str(exc)}]) from None
    return {"locked": room.locked}


@router.delete("/rooms/{code}/challenge")
def end_challenge(
    code: str, request: Request, x_teacher_key: str | None = Header(default=None)
) -> dict[str, Any]:
    room = _teacher_room(request, code, x_teacher_key, "end the challenge")
    hub_of(request).set_challenge(room, None)
    return {"challenge": None}
