"""REST routes: health, the settings schema, sessions. Thin: they translate HTTP to manager calls.

Host, Origin, token and body size are checked for every route before it runs (api/guards.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ... import __version__
from ...datasets import MAX_POINTS
from ...schemas import ConfigError
from ...sessions import SessionNotFound, TooManySessions
from ...settings import schema
from ...userdata import MAX_CSV_BYTES, PointsError
from ..deps import creating_client, sessions_of

router = APIRouter(prefix="/api")


class CreateSession(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    return {
        "status": "ok",
        "version": __version__,
        **request.app.state.device,
        "engine": sessions_of(request).engine_stats(),
    }


@router.get("/schema")
def get_schema() -> dict[str, Any]:
    # what an uploaded CSV may hold, so that the page can say so before sending a file that is too big
    return {**schema(), "upload": {"max_bytes": MAX_CSV_BYTES, "max_points": MAX_POINTS}}


@router.post("/sessions", status_code=201)
async def create_session(body: CreateSession, request: Request) -> Any:
    client = creating_client(request)
    try:
        session = await sessions_of(request).create(body.config, client)
    except ConfigError as exc:
        return JSONResponse({"detail": [{"field": exc.field, "message": exc.message}]}, status_code=422)
    except TooManySessions as exc:
        raise HTTPException(429, str(exc)) from None
    return {"id": session.id, "watch_id": session.watch_id, "config": session.config.public()}


@router.get("/sessions/{session_id}")
def get_session(session_id: str, request: Request) -> dict[str, Any]:
    try:
        return sessions_of(request).get(session_id).summary()
    except SessionNotFound:
        raise HTTPException(404, f"no session with id {session_id!r} (it may have expired)") from None


@router.post("/sessions/{session_id}/points")
async def upload_points(session_id: str, request: Request) -> Any:
    """Replace the session's own data with a CSV body (x1,x2,label); the data set becomes "custom"."""
    try:
        session = sessions_of(request).get(session_id)
    except SessionNotFound:
        raise HTTPException(404, f"no session with id {session_id!r}") from None
    body = await request.body()
    try:
        count = await session.replace_points(body.decode("utf-8"))
    except UnicodeDecodeError:
        return JSONResponse({"detail": [{"field": "file", "message": "the file is not UTF-8 text"}]}, 422)
    except PointsError as exc:
        return JSONResponse({"detail": [{"field": "file", "message": str(exc)}]}, status_code=422)
    return {"points": count, "config": session.config.public()}


@router.delete("/sessions/{session_id}", status_code=204)
async def delete_session(session_id: str, request: Request) -> None:
    try:
        sessions_of(request).get(session_id)
    except SessionNotFound:
        raise HTTPException(404, f"no session with id {session_id!r}") from None
    await sessions_of(request).remove(session_id)
