"""The generative lab's routes: create a session of the `generative` lab, upload own points (CSV) for its
GAN, and the session's websocket (the same sessions, run loop and socket as every lab's). Thin: the
core's errors become HTTP problems."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, WebSocket
from pydantic import BaseModel, Field

from ...sessions import SessionNotFound
from ...sessions.commands import ReplaceData
from ..deps import CreatingClient, Manager, SessionDep, get_session
from .ws import drive, not_found

router = APIRouter()
LAB = "generative"
MAX_CSV_BYTES = 200_000


class CreateGenerativeSession(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


def _own(session: Any) -> Any:
    if session.family.lab != LAB:
        raise SessionNotFound(session.id)
    return session


@router.post("/api/generative/sessions", status_code=201)
async def create_generative_session(
    body: CreateGenerativeSession, client: CreatingClient, manager: Manager
) -> dict[str, Any]:
    session = await manager.create(body.config, client, lab=LAB)  # errors: errors.py
    return {"id": session.id, "config": session.config.public()}


@router.get("/api/generative/schema")
def generative_schema(manager: Manager) -> dict[str, Any]:
    """The lab's settings table, models, data sets and lessons (what its page and the sweep page build
    their controls from; the page also gets it in its `hello`)."""
    return manager.family(LAB).schema()


@router.get("/api/generative/sessions/{session_id}")
def get_generative_session(session: SessionDep) -> dict[str, Any]:
    return _own(session).summary()  # type: ignore[no-any-return]


@router.post("/api/generative/sessions/{session_id}/points")
async def upload_points(session: SessionDep, request: Request) -> dict[str, Any]:
    """Replace the GAN's data with own points: a CSV body of `x,y` lines (the data set becomes "custom")."""
    from ...families.gen.points import parse_points_csv

    session = _own(session)
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise HTTPException(413, f"the CSV is {len(body) // 1000} KB; at most {MAX_CSV_BYTES // 1000} KB")
    points = parse_points_csv(body.decode("utf-8", errors="replace"))  # PointsError: 422 (errors.py)
    if not session.accepted_config.is_gan:
        raise HTTPException(422, "own points are the GAN's data: pick the GAN first")
    await session.perform(ReplaceData((points,)))
    return {"points": len(points), "config": session.config.public()}


@router.websocket("/ws/generative/{session_id}")
async def generative_socket(websocket: WebSocket, session_id: str) -> None:
    try:
        session = _own(get_session(session_id, websocket))
    except SessionNotFound:
        await not_found(websocket, f"generative-lab session {session_id!r}")
        return
    await drive(websocket, session)
