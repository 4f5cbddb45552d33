"""The image lab's routes: create a session, check a stack, and the session's websocket. Thin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import BaseModel, Field

from ... import protocol
from ...imagelab.lab import check_stack
from ...imagelab.messages import parse_message
from ...sessions import SessionNotFound
from ..deps import CreatingClient, ImageManager, ImageSessionDep, image_sessions_of
from .ws import CLOSE_NOT_FOUND, pump

router = APIRouter()


class CreateImageSession(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


class StackBody(BaseModel):
    layers: list[Any]


@router.post("/api/images/sessions", status_code=201)
async def create_image_session(
    body: CreateImageSession, client: CreatingClient, manager: ImageManager
) -> dict[str, Any]:
    session = await manager.create(body.config, client)  # ImageConfigError, TooManySessions: errors.py
    return {"id": session.id, "config": session.config.public()}


@router.get("/api/images/sessions/{session_id}")
def get_image_session(session: ImageSessionDep) -> dict[str, Any]:
    return session.summary()


@router.post("/api/images/architecture")
def check_architecture(body: StackBody) -> dict[str, Any]:
    """Shapes, parameter counts and the first error of a stack, for the editor (no session needed)."""
    return check_stack(body.layers)


@router.websocket("/ws/images/{session_id}")
async def image_socket(websocket: WebSocket, session_id: str) -> None:
    # Host, Origin, token and connections per client were checked by the guards (api/guards.py).
    try:
        session = image_sessions_of(websocket).get(session_id)
    except SessionNotFound:
        await websocket.accept()
        await websocket.send_text(protocol.error_message("not_found", f"no image-lab session {session_id!r}"))
        await websocket.close(code=CLOSE_NOT_FOUND, reason="unknown session")
        return
    await websocket.accept()
    sub = session.subscribe()

    async def handle(raw: str | bytes) -> str | None:
        try:
            return await session.handle(parse_message(raw))
        except protocol.ProtocolError as exc:
            return protocol.error_message(exc.code, exc.message, exc.field)

    await pump(websocket, sub, handle, lambda: session.unsubscribe(sub))
