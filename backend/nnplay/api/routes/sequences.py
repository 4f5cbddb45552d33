"""The sequence lab's routes: create a session of the `sequences` lab, read its summary, and its
websocket (the same sessions, run loop and socket as every lab's; only the family differs). Thin: the
core's errors become HTTP problems in errors.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, WebSocket
from pydantic import BaseModel, Field

from ...sessions import Session, SessionNotFound
from ..deps import CreatingClient, Manager, lab_session
from .ws import drive, not_found

SEQUENCE_LAB = "sequences"
router = APIRouter()
get_sequence_session = lab_session(SEQUENCE_LAB)
SequenceSessionDep = Annotated[Session, Depends(get_sequence_session)]


class CreateSequenceSession(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


@router.post("/api/sequences/sessions", status_code=201)
async def create_sequence_session(
    body: CreateSequenceSession, client: CreatingClient, manager: Manager
) -> dict[str, Any]:
    session = await manager.create(body.config, client, lab=SEQUENCE_LAB)  # errors: errors.py
    return {"id": session.id, "config": session.config.public()}


@router.get("/api/sequences/schema")
def sequence_schema(manager: Manager) -> dict[str, Any]:
    """The lab's settings table, tasks, models and limits (what its page builds its controls from)."""
    return manager.family(SEQUENCE_LAB).schema()


@router.get("/api/sequences/sessions/{session_id}")
def get_sequence_session_summary(session: SequenceSessionDep) -> dict[str, Any]:
    return session.summary()


@router.websocket("/ws/sequences/{session_id}")
async def sequence_socket(websocket: WebSocket, session_id: str) -> None:
    # Host, Origin, token and connections per client were checked by the guards (api/guards.py).
    try:
        session = get_sequence_session(session_id, websocket)
    except SessionNotFound:
        await not_found(websocket, f"sequence-lab session {session_id!r}")
        return
    await drive(websocket, session)
