"""REST routes: health, the settings schema, sessions. Thin: they translate HTTP to manager calls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ... import __version__
from ...schemas import ConfigError
from ...sessions import SessionNotFound, TooManySessions
from ...settings import schema
from ...userdata import PointsError
from ..deps import sessions_of, token_ok

router = APIRouter(prefix="/api")


class CreateSession(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict)


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    return {"status": "ok", "version": __version__, **request.app.state.device}


@router.get("/schema")
def get_schema() -> dict[str, Any]:
    return schema()


def _require_token(request: Request) -> None:
    if not token_ok(request):
        raise HTTPException(401, "a valid token is required (?token=... or Authorization: Bearer ...)")


@router.post("/sessions", status_code=201)
async def create_session(body: CreateSession, request: Request) -> Any:
    _require_token(request)
    try:
        client = request.client.host if request.client else ""
        session = await sessions_of(request).create(body.config, client)
    except ConfigError as exc:
        return JSONResponse({"detail": [{"field": exc.field, "message": exc.message}]}, status_code=422)
    except TooManySessions as exc:
        raise HTTPException(429, str(exc)) from None
    return {"id": session.id, "watch_id": session.watch_id, "config": session.config.public()}


@router.get("/sessions/{session_id}")
def get_session(session_id: str, request: Request) -> dict[str, Any]:
    _require_token(request)
    try:
        return sessions_of(request).get(session_id).summary()
    except SessionNotFound:
        raise HTTPException(404, f"no session with id {session_id!r} (it may have expired)") from None


@router.post("/sessions/{session_id}/points")
async def upload_points(session_id: str, request: Request) -> Any:
    """Replace the session's own data with a CSV body (x1,x2,label); the data set becomes "custom"."""
    _require_token(request)
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
    _require_token(request)
    try:
        sessions_of(request).get(session_id)
    except SessionNotFound:
        raise HTTPException(404, f"no session with id {session_id!r}") from None
    await sessions_of(request).remove(session_id)
