"""Classroom REST routes: create, look up and close rooms, join, fork/watch, leave, and the teacher's
actions.

Thin: they translate HTTP to ClassroomHub calls. The room, its teacher key (`X-Teacher-Key`) and a
member's token (`X-Member-Token`, never in a URL) are dependencies (api/deps.py); the bodies are the
pydantic models of classroom/messages.py; typed errors become HTTP problems in api/errors.py.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from ...classroom.lessons import lesson_catalog
from ...classroom.messages import (
    Challenge,
    CreateRoom,
    JoinRoom,
    LessonChoice,
    Lock,
    MemberChoice,
    PushConfig,
    SweepChoice,
)
from ...classroom.qr import join_qr_svg
from ...classroom.rooms import Room
from ...classroom.runs import teacher_owner
from ...sessions import Session
from ..deps import (
    Client,
    Hub,
    JoiningClient,
    MemberDep,
    RoomCreatingClient,
    RoomDep,
    SettingsDep,
    Sweeps,
    TeacherRoom,
)

router = APIRouter(prefix="/api")


def join_url(request: Request, settings: SettingsDep, code: str, page: str = "/") -> str:
    """The link students open: the page of the lab the room's run is in, with the room's code."""
    base = settings.public_url or str(request.base_url)
    return str(base).rstrip("/") + f"{page}?room={code}"


def lab_of(run: Session) -> dict[str, str]:
    """The lab a room's run is in and its page (a student's page opens that page to follow it)."""
    return {"lab": run.family.lab, "page": run.family.page}


def teacher_answer(request: Request, settings: SettingsDep, room: Room, run: Session) -> dict[str, Any]:
    """What the teacher's page needs: its run and the way in for students (never shown to them)."""
    url = join_url(request, settings, room.code, run.family.page)
    return {
        **lab_of(run),
        "code": room.code,
        "join_url": url,
        "qr_svg": join_qr_svg(url),
        "session_id": run.id,
        "watch_id": run.watch_id,
        # The teacher's challenge button (None: this lab has no challenge).
        "challenge_label": run.family.challenge.describe() if run.family.challenge else None,
        # What the dashboard's "by ..." sort orders the tiles by (the tiles' `score`, lower first).
        "score_label": run.family.challenge.measure if run.family.challenge else "test loss",
    }


@router.get("/lessons")
def lessons() -> list[dict[str, Any]]:
    return lesson_catalog()


@router.post("/rooms", status_code=201)
async def create_room(
    request: Request,
    client: RoomCreatingClient,
    hub: Hub,
    settings: SettingsDep,
    body: CreateRoom | None = None,
) -> dict[str, Any]:
    room, key, run = await hub.rooms.open(client, body.session_id if body else None)
    return {"teacher_key": key, **teacher_answer(request, settings, room, run)}


@router.get("/rooms/{code}")
def get_room(room: RoomDep, hub: Hub) -> dict[str, Any]:
    return hub.view(room)


@router.get("/rooms/{code}/teacher")
async def teacher_view(
    request: Request, room: TeacherRoom, hub: Hub, settings: SettingsDep
) -> dict[str, Any]:
    """What a reloaded teacher page needs: its run (re-created after a restart) and the QR code."""
    answer = teacher_answer(request, settings, room, await hub.teacher_session(room))
    # why the run is not as it was before a restart ("" when it is): said once, on the page
    return {**answer, "restore_note": hub.restore_note(teacher_owner(room))}


@router.delete("/rooms/{code}")
async def close_room(room: TeacherRoom, hub: Hub) -> dict[str, Any]:
    """The room ends: its students' pages are told, its runs end, its rows and snapshots go."""
    await hub.rooms.close(room, "the teacher closed the room")
    return {"closed": room.code}


@router.post("/rooms/{code}/join", status_code=201)
async def join_room(body: JoinRoom, client: JoiningClient, room: RoomDep, hub: Hub) -> dict[str, Any]:
    member, token = hub.service.join(room, body.name)
    teacher = await hub.teacher_session(room)
    hub.announce(room)
    return {
        "member_id": member.id,
        "member_token": token,
        "name": member.name,
        "watch_id": teacher.watch_id,
        **lab_of(teacher),
    }


@router.get("/rooms/{code}/me")
async def me(room: RoomDep, member: MemberDep, hub: Hub, client: Client) -> dict[str, Any]:
    """A member's own view: mode, its run's session id (its own capability) and the teacher's watch id."""
    teacher = await hub.teacher_session(room)
    session = await hub.member_session(room, member, client)
    return {
        "member_id": member.id,
        "name": member.name,
        "mode": member.mode,
        "session_id": session.id if session is not None else None,
        "watch_id": teacher.watch_id,
        **lab_of(teacher),
        "restore_note": hub.restore_note(member.id),
    }


@router.post("/rooms/{code}/fork")
async def fork(room: RoomDep, member: MemberDep, hub: Hub, client: Client) -> dict[str, Any]:
    session = await hub.fork(room, member, client)
    return {"session_id": session.id, "mode": member.mode}


@router.post("/rooms/{code}/leave")
async def leave(room: RoomDep, member: MemberDep, hub: Hub) -> dict[str, Any]:
    """The member leaves: their run ends, their tile goes and their name is free again."""
    await hub.leave(room, member)
    return {"left": member.id}


@router.post("/rooms/{code}/watch")
async def watch(room: RoomDep, member: MemberDep, hub: Hub) -> dict[str, Any]:
    hub.watch(room, member)
    teacher = await hub.teacher_session(room)
    return {"watch_id": teacher.watch_id, "mode": member.mode}


# ---- the teacher's actions: each needs X-Teacher-Key (TeacherRoom) ----------------------------------


@router.post("/rooms/{code}/push-config")
async def push_config(room: TeacherRoom, hub: Hub, body: PushConfig | None = None) -> dict[str, Any]:
    """Every forked run gets the changes, all afresh or all continued; the report says what each did."""
    body = body or PushConfig()
    return await hub.push_config(room, body.changes, body.keep_weights)


@router.post("/rooms/{code}/spotlight")
def spotlight(body: MemberChoice, room: TeacherRoom, hub: Hub) -> dict[str, Any]:
    try:
        hub.spotlight(room, body.member_id)
    except KeyError:
        raise HTTPException(404, f"no student {body.member_id!r} in this room") from None
    return hub.view(room)["spotlight"]  # type: ignore[no-any-return]


@router.post("/rooms/{code}/sweep")
def show_sweep(body: SweepChoice, room: TeacherRoom, hub: Hub, sweeps: Sweeps) -> dict[str, Any] | None:
    """Show a sweep (one of the server's, by id) on every page of the room; `null` shows none."""
    shown = None
    if body.sweep_id:
        sweep = sweeps.get(body.sweep_id)  # SweepNotFound: 404
        summary = sweep.summary()
        shown = {key: summary[key] for key in ("id", "lab", "run_count", "varied", "epochs")}
    hub.show_sweep(room, shown)
    return shown


@router.post("/rooms/{code}/enter-sweep")
def enter_sweep(
    body: SweepChoice, room: RoomDep, member: MemberDep, hub: Hub, sweeps: Sweeps
) -> dict[str, Any]:
    """A student enters a sweep (one of the server's, by id) in the room's challenge: its runs are scored
    as the student's own run is; `null` withdraws every entry."""
    session_ids = [] if body.sweep_id is None else sweeps.get(body.sweep_id).session_ids()  # 404 if none
    hub.enter_sweep(room, member, body.sweep_id, session_ids)
    view = hub.view(room)
    return {"entered": list(member.entries), "leaderboard": view["leaderboard"]}


@router.post("/rooms/{code}/remove")
async def remove(body: MemberChoice, room: TeacherRoom, hub: Hub) -> dict[str, Any]:
    try:
        await hub.remove(room, body.member_id)
    except KeyError:
        raise HTTPException(404, f"no student {body.member_id!r} in this room") from None
    return {"removed": body.member_id}


@router.post("/rooms/{code}/reset-all")
async def reset_all(room: TeacherRoom, hub: Hub) -> dict[str, Any]:
    return {"students": await hub.reset_all(room)}


@router.post("/rooms/{code}/lesson-next")
async def lesson_next(room: TeacherRoom, hub: Hub, body: LessonChoice | None = None) -> Any:
    if body is not None and body.lesson_id:
        await hub.set_lesson(room, body.lesson_id)
    else:
        await hub.lesson_next(room)
    return hub.view(room)["lesson"]


@router.post("/rooms/{code}/challenge")
async def challenge(room: TeacherRoom, hub: Hub, body: Challenge | None = None) -> Any:
    await hub.set_challenge(room, body or Challenge())
    return hub.view(room)["challenge"]


@router.delete("/rooms/{code}/challenge")
async def end_challenge(room: TeacherRoom, hub: Hub) -> dict[str, Any]:
    await hub.set_challenge(room, None)
    return {"challenge": None}


@router.post("/rooms/{code}/lock")
def lock(body: Lock, room: TeacherRoom, hub: Hub) -> dict[str, Any]:
    hub.lock(room, list(body.controls))
    return {"locked": room.locked}
