"""The image lab's routes: create a session of the `images` lab, check a stack, and the session's
websocket (the same sessions, run loop and socket as the playground's; only the family differs). Thin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, WebSocket
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...schemas import ConfigError
from ...sessions import Session, SessionNotFound, TooManySessions
from ..deps import creating_client, sessions_of, token_ok
from .ws import not_found, serve

router = APIRouter()
LAB = "images"


class CreateImageSession(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


class StackBody(BaseModel):
    layers: list[Any]


def _require_token(request: Request) -> None:
    if not token_ok(request):
        raise HTTPException(401, "a valid token is required (?token=... or Authorization: Bearer ...)")


def _lab_session(conn: Request | WebSocket, session_id: str) -> Session:
    session = sessions_of(conn).get(session_id)
    if session.family.lab != LAB:
        raise SessionNotFound(session_id)
    return session


@router.post("/api/images/sessions", status_code=201)
async def create_image_session(body: CreateImageSession, request: Request) -> Any:
    _require_token(request)
    client = creating_client(request)
    try:
        session = await sessions_of(request).create(body.config, client, lab=LAB)
    except ConfigError as exc:
        detail = [{"field": exc.field, "layer": exc.layer, "message": exc.message}]
        return JSONResponse({"detail": detail}, status_code=422)
    except TooManySessions as exc:
        raise HTTPException(429, str(exc)) from None
    return {"id": session.id, "config": session.config.public()}


@router.get("/api/images/sessions/{session_id}")
def get_image_session(session_id: str, request: Request) -> dict[str, Any]:
    _require_token(request)
    try:
        return _lab_session(request, session_id).summary()
    except SessionNotFound:
        raise HTTPException(404, f"no image-lab session with id {session_id!r}") from None


@router.post("/api/images/architecture")
def check_architecture(body: StackBody, request: Request) -> dict[str, Any]:
    """Shapes, parameter counts and the first error of a stack, for the editor (no session needed)."""
    family: Any = sessions_of(request).family(LAB)
    result: dict[str, Any] = family.check_stack(body.layers)
    return result


@router.websocket("/ws/images/{session_id}")
async def image_socket(websocket: WebSocket, session_id: str) -> None:
    # Host, Origin and token were checked by the guards (api/guards.py) before this runs.
    try:
        session = _lab_session(websocket, session_id)
    except SessionNotFound:
        await not_found(websocket, f"image-lab session {session_id!r}")
        return
    await serve(websocket, session, read_only=False)
