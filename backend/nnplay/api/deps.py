"""Request-scoped helpers shared by the routes: settings, the session manager, origin and token checks."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from ..config import ServerSettings
from ..sessions import SessionManager


def settings_of(conn: HTTPConnection) -> ServerSettings:
    settings: ServerSettings = conn.app.state.settings
    return settings


def sessions_of(conn: HTTPConnection) -> SessionManager:
    manager: SessionManager = conn.app.state.sessions
    return manager


def origin_allowed(conn: HTTPConnection) -> bool:
    """Browsers always send Origin on websockets: accept the page's own host or an allow-listed origin.

    CORS does not protect websockets, so without this any site could drive a local session.
    A missing Origin means a non-browser client (CLI, tests), which the token (if set) guards.
    """
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    if origin in settings_of(conn).allowed_origins:
        return True
    return urlsplit(origin).netloc.lower() == (conn.headers.get("host") or "").lower()


def token_ok(conn: HTTPConnection) -> bool:
    expected = settings_of(conn).token
    if not expected:
        return True
    given = conn.query_params.get("token") or ""
    auth = conn.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        given = auth[7:]
    return secrets.compare_digest(given.encode(), expected.encode())
