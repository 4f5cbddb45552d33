"""The image lab's routes: create a session of the `images` lab, check a stack, and the session's
websocket (the same sessions, run loop and socket as the playground's; only the family differs). Thin:
the core's errors become HTTP problems in errors.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import BaseModel, Field

from ...sessions import SessionNotFound
from ..deps import IMAGE_LAB, CreatingClient, ImageSessionDep, Manager, get_image_session
from .ws import drive, not_found

router = APIRouter()


class CreateImageSession(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


class StackBody(BaseModel):
    layers: list[Any]


@router.post("/api/images/sessions", status_code=201)
async def create_image_session(
    body: CreateImageSession, client: CreatingClient, manager: Manager
) -> dict[str, Any]:
    session = await manager.create(body.config, client, lab=IMAGE_LAB)  # errors: errors.py
    return {"id": session.id, "config": session.config.public()}


@router.get("/api/images/schema")
def image_schema(manager: Manager) -> dict[str, Any]:
    """The lab's settings table, layer kinds, limits and choices (what its page and the sweep page build
    their controls from; the page also gets it in its `hello`)."""
    return manager.family(IMAGE_LAB).schema()


@router.get("/api/images/sessions/{session_id}")
def get_image_session_summary(session: ImageSessionDep) -> dict[str, Any]:
    return session.summary()


@router.post("/api/images/architecture")
def check_architecture(body: StackBody, manager: Manager) -> dict[str, Any]:
    """Shapes, parameter counts and the first error of a stack, for the editor (no session needed)."""
    family: Any = manager.family(IMAGE_LAB)
    result: dict[str, Any] = family.check_stack(body.layers)
    return result


@router.websocket("/ws/images/{session_id}")
async def image_socket(websocket: WebSocket, session_id: str) -> None:
    # Host, Origin, token and connections per client were checked by the guards (api/guards.py).
    try:
        session = get_image_session(session_id, websocket)
    except SessionNotFound:
        await not_found(websocket, f"image-lab session {session_id!r}")
        return
    await drive(websocket, session)
