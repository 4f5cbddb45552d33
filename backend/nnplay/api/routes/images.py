"""The image lab's routes: create a session, check a stack, and the session's websocket. Thin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, WebSocket
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ... import protocol
from ...imagelab.config import ImageConfigError
from ...imagelab.lab import check_stack
from ...imagelab.manager import ImageSessionManager
from ...imagelab.messages import parse_message
from ...sessions import SessionNotFound, TooManySessions
from ..deps import creating_client, token_ok
from .ws import CLOSE_NOT_FOUND, pump

router = APIRouter()


class CreateImageSession(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


class StackBody(BaseModel):
    layers: list[Any]


def image_sessions(conn: Request | WebSocket) -> ImageSessionManager:
    manager: ImageSessionManager = conn.app.state.image_sessions
    return manager


def _require_token(request: Request) -> None:
    if not token_ok(request):
        raise HTTPException(401, "a valid token is required (?token=... or Authorization: Bearer ...)")


@router.post("/api/images/sessions", status_code=201)
async def create_image_session(body: CreateImageSession, request: Request) -> Any:
    _require_token(request)
    client = creating_client(request)
    try:
        session = await image_sessions(request).create(body.config, client)
    except ImageConfigError as exc:
        detail = [{"field": exc.field, "layer": exc.layer, "message": exc.message}]
        return JSONResponse({"detail": detail}, status_code=422)
    except TooManySessions as exc:
        raise HTTPException(429, str(exc)) from None
    return {"id": session.id, "config": session.config.public()}


@router.get("/api/images/sessions/{session_id}")
def get_image_session(session_id: str, request: Request) -> dict[str, Any]:
    _require_token(request)
    try:
        return image_sessions(request).get(session_id).summary()
    except SessionNotFound:
        raise HTTPException(404, f"no image-lab session with id {session_id!r}") from None


@router.post("/api/images/architecture")
def check_architecture(body: StackBody) -> dict[str, Any]:
    """Shapes, parameter counts and the first error of a stack, for the editor (no session needed)."""
    return check_stack(body.layers)


@router.websocket("/ws/images/{session_id}")
async def image_socket(websocket: WebSocket, session_id: str) -> None:
    # Host, Origin and token were checked by the guards (api/guards.py) before this runs.
    try:
        session = image_sessions(websocket).get(session_id)
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
