"""The routes' dependencies (FastAPI `Depends`): the server's parts, the client and its rate limits, the
session of a path, the room of a code with its teacher or member. Each lookup, header and refusal is
written once here; a route names what it needs (`session: SessionDep`, `room: TeacherRoom`) and stays
thin. The core's typed errors become HTTP problems in `errors.py`.

Host, Origin, token, body size and connections per client are enforced for every route by `guards`
before any of these run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException
from starlette.requests import HTTPConnection

from ..classroom.hub import ClassroomHub
from ..classroom.messages import TEACHER_ACTIONS
from ..classroom.rooms import Member, Room
from ..config import ServerSettings
from ..experiments.runs import Sweep
from ..experiments.sweeps import SweepManager
from ..sessions import Session, SessionManager, SessionNotFound
from ..sessions.limits import Quota
from . import guards
from .ratelimit import CreationLimit, RateLimiter, creation_limits, message_limit


def settings_of(conn: HTTPConnection) -> ServerSettings:
    settings: ServerSettings = conn.app.state.settings
    return settings


def sessions_of(conn: HTTPConnection) -> SessionManager:
    manager: SessionManager = conn.app.state.sessions
    return manager


def sweeps_of(conn: HTTPConnection) -> SweepManager:
    sweeps: SweepManager = conn.app.state.sweeps
    return sweeps


def get_sweep(sweep_id: str, conn: HTTPConnection) -> Sweep:
    """The sweep of the path's `sweep_id` (SweepNotFound -> 404 in errors.py)."""
    return sweeps_of(conn).get(sweep_id)


def hub_of(conn: HTTPConnection) -> ClassroomHub:
    hub: ClassroomHub = conn.app.state.classroom
    return hub


def origin_allowed(conn: HTTPConnection) -> bool:
    """The page's own origin, an allow-listed one, or none (a non-browser client)."""
    return guards.origin_allowed(conn.headers, settings_of(conn).allowed_origins)


def token_ok(conn: HTTPConnection) -> bool:
    return guards.token_ok(conn.headers, conn.query_params, settings_of(conn).token)


def client_of(conn: HTTPConnection) -> str:
    """The client's address: the key of its rate limits and of its share of sessions, rooms and
    connections (a trusted proxy's X-Forwarded-For has already replaced it: guards.py)."""
    return conn.client.host if conn.client else ""


class RateLimits:
    """The server's token buckets per client address, and its count of sockets per session (one set per
    app, on `app.state.rate_limits`)."""

    def __init__(self, settings: ServerSettings) -> None:
        s = settings
        self.limits = creation_limits(s)
        self.session_creations, self.room_creations, self.room_joins = (
            RateLimiter(limit.rate_per_s, limit.burst) for limit in self.limits.values()
        )
        self.messages = message_limit(s)
        self.ws_messages = RateLimiter(self.messages.rate_per_s, self.messages.burst)
        # Sockets driving one session (each gets every frame), keyed by session id.
        self.session_sockets = Quota(None, s.max_sockets_per_session)

    def creation_refusal(self, client: str) -> tuple[str, float] | None:
        """None when `client` may create a session now; else (message, seconds to wait)."""
        return _refusal(self.session_creations, client, self.limits["session"])

    def room_creation_refusal(self, client: str) -> tuple[str, float] | None:
        return _refusal(self.room_creations, client, self.limits["room"])

    def join_refusal(self, client: str) -> tuple[str, float] | None:
        return _refusal(self.room_joins, client, self.limits["join"])

    def message_refusal(self, client: str) -> str | None:
        """None when `client` may send one more websocket message now; else why it was dropped."""
        return None if self.ws_messages.allow(client) else self.messages.words


def _refusal(bucket: RateLimiter, client: str, limit: CreationLimit) -> tuple[str, float] | None:
    if bucket.allow(client):
        return None
    return limit.refusal(bucket.retry_after_s(client))


def rate_limits_of(conn: HTTPConnection) -> RateLimits:
    limits: RateLimits = conn.app.state.rate_limits
    return limits


def _allowed(refusal: tuple[str, float] | None) -> None:
    """Nothing when the rate allows it; else HTTP 429 saying when to retry."""
    if refusal is not None:
        message, wait_s = refusal
        raise HTTPException(429, message, headers={"Retry-After": str(max(1, math.ceil(wait_s)))})


def creating_client(conn: HTTPConnection) -> str:
    """The client asking to create a session (playground or image lab), if its creation rate allows it."""
    client = client_of(conn)
    _allowed(rate_limits_of(conn).creation_refusal(client))
    return client


def room_creating_client(conn: HTTPConnection) -> str:
    client = client_of(conn)
    _allowed(rate_limits_of(conn).room_creation_refusal(client))
    return client


def joining_client(conn: HTTPConnection) -> str:
    client = client_of(conn)
    _allowed(rate_limits_of(conn).join_refusal(client))
    return client


def get_session(session_id: str, conn: HTTPConnection) -> Session:
    """The session of the path's `session_id` (SessionNotFound -> 404 in errors.py)."""
    return sessions_of(conn).get(session_id)


def lab_session(lab: str) -> Callable[[str, HTTPConnection], Session]:
    """A dependency giving the path's session if it is one of `lab`'s (a session of another lab is not
    found): a lab's routes write `Annotated[Session, Depends(lab_session("sequences"))]`."""

    def get(session_id: str, conn: HTTPConnection) -> Session:
        session = sessions_of(conn).get(session_id)
        if session.family.lab != lab:
            raise SessionNotFound(session_id)
        return session

    return get


def get_room(code: str, conn: HTTPConnection) -> Room:
    """The room of the path's `code`; a wrong code counts against the client (404, then 429)."""
    return hub_of(conn).service.lookup(code, client_of(conn))


def teacher_room(
    room: Annotated[Room, Depends(get_room)],
    conn: HTTPConnection,
    x_teacher_key: Annotated[str | None, Header()] = None,
) -> Room:
    """The room, if the request carries its teacher key (X-Teacher-Key); else 403 naming the action (the
    route's function name in messages.TEACHER_ACTIONS)."""
    endpoint = getattr(conn.scope.get("endpoint"), "__name__", "")
    action = TEACHER_ACTIONS.get(endpoint, "do this")
    hub_of(conn).service.require_teacher(room, x_teacher_key, action)
    return room


def room_member(
    room: Annotated[Room, Depends(get_room)],
    conn: HTTPConnection,
    x_member_token: Annotated[str | None, Header()] = None,
) -> Member:
    """The member whose token (X-Member-Token) the request carries; else 403."""
    member = hub_of(conn).service.member_of(room, x_member_token)
    if member is None:
        raise HTTPException(403, "this needs your member token from joining the room (X-Member-Token)")
    return member


SettingsDep = Annotated[ServerSettings, Depends(settings_of)]
Manager = Annotated[SessionManager, Depends(sessions_of)]
Hub = Annotated[ClassroomHub, Depends(hub_of)]
Client = Annotated[str, Depends(client_of)]
CreatingClient = Annotated[str, Depends(creating_client)]
RoomCreatingClient = Annotated[str, Depends(room_creating_client)]
JoiningClient = Annotated[str, Depends(joining_client)]
SessionDep = Annotated[Session, Depends(get_session)]
RoomDep = Annotated[Room, Depends(get_room)]
TeacherRoom = Annotated[Room, Depends(teacher_room)]
MemberDep = Annotated[Member, Depends(room_member)]
Sweeps = Annotated[SweepManager, Depends(sweeps_of)]
SweepDep = Annotated[Sweep, Depends(get_sweep)]
