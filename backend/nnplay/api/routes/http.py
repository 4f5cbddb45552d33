"""REST routes: health, the settings schema, sessions. Thin: they translate HTTP to manager calls.

Host, Origin, token and body size are checked for every route before it runs (api/guards.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ... import __version__
from ...datasets import MAX_POINTS
from ...sessions.commands import ReplaceData
from ...sessions.runstate import CommandFailed
from ...settings import schema
from ...userdata import MAX_CSV_BYTES, PointsError, parse_csv
from ..deps import CreatingClient, Manager, SessionDep

router = APIRouter(prefix="/api")


class CreateSession(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


@router.get("/health")
def health(request: Request, manager: Manager) -> dict[str, Any]:
    return {
        "status": "ok",
        "version": __version__,
        **request.app.state.device,
        "engine": manager.engine_stats(),
    }


@router.get("/schema")
def get_schema() -> dict[str, Any]:
    # what an uploaded CSV may hold, so that the page can say so before sending a file that is too big
    return {**schema(), "upload": {"max_bytes": MAX_CSV_BYTES, "max_points": MAX_POINTS}}


@router.post("/sessions", status_code=201)
async def create_session(body: CreateSession, client: CreatingClient, manager: Manager) -> dict[str, Any]:
    session = await manager.create(body.config, client)  # ConfigError, TooManySessions: errors.py
    return {"id": session.id, "watch_id": session.watch_id, "config": session.config.public()}


@router.get("/sessions/{session_id}")
def get_session(session: SessionDep) -> dict[str, Any]:
    return session.summary()


@router.post("/sessions/{session_id}/points")
async def upload_points(session: SessionDep, request: Request) -> dict[str, Any]:
    """Replace the session's own data with a CSV body (x1,x2,label); the data set becomes "custom"."""
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise PointsError("the file is not UTF-8 text") from None
    points, labels = parse_csv(text, session.accepted_config.problem)  # PointsError: errors.py
    try:
        await session.perform(ReplaceData((points, labels)))
    except CommandFailed as exc:  # the run's own check when its turn came (e.g. a multi-class data set)
        raise PointsError(exc.message) from None
    return {"points": len(points), "config": session.config.public()}


@router.delete("/sessions/{session_id}", status_code=204)
async def delete_session(session: SessionDep, manager: Manager) -> None:
    await manager.remove(session.id)
