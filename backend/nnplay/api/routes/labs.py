"""The routes every lab has, written once: create a session of the lab, its schema, a session's summary
and its websocket (the same sessions, run loop and socket as the playground's; only the family differs).
A lab's own module adds what only it has (the image lab's stack check, the generative lab's own points).
Thin: the core's errors become HTTP problems in errors.py."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, and `LabSession` is
# local to lab_routes, where a string could not be resolved.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, WebSocket
from pydantic import BaseModel, Field

from ...sessions import Session, SessionNotFound
from ..deps import CreatingClient, Manager, lab_session
from .ws import drive, not_found


class CreateLabSession(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


def lab_routes(lab: str, words: str) -> APIRouter:
    """`lab`'s routes under /api/{lab}/ and /ws/{lab}/; `words` names its sessions in errors ("image-lab")."""
    router = APIRouter()
    get_lab_session = lab_session(lab)
    LabSession = Annotated[Session, Depends(get_lab_session)]

    @router.post(f"/api/{lab}/sessions", status_code=201, name=f"create_{lab}_session")
    async def create_session(
        body: CreateLabSession, client: CreatingClient, manager: Manager
    ) -> dict[str, Any]:
        session = await manager.create(body.config, client, lab=lab)  # errors: errors.py
        return {"id": session.id, "config": session.config.public()}

    @router.get(f"/api/{lab}/schema", name=f"{lab}_schema")
    def schema(manager: Manager) -> dict[str, Any]:
        """The lab's settings table and the choices and limits its page and the sweep page build their
        controls from (the page also gets it in its `hello`)."""
        result: dict[str, Any] = manager.family(lab).schema()
        return result

    @router.get(f"/api/{lab}/sessions/{{session_id}}", name=f"{lab}_session_summary")
    def summary(session: LabSession) -> dict[str, Any]:
        result: dict[str, Any] = session.summary()
        return result

    @router.websocket(f"/ws/{lab}/{{session_id}}", name=f"{lab}_socket")
    async def socket(websocket: WebSocket, session_id: str) -> None:
        # Host, Origin, token and connections per client were checked by the guards (api/guards.py).
        try:
            session = get_lab_session(session_id, websocket)
        except SessionNotFound:
            await not_found(websocket, f"{words} session {session_id!r}")
            return
        await drive(websocket, session)

    return router
