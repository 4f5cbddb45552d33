"""Request-scoped helpers shared by the routes: settings, the session manager, origin, token and rate
checks. Host, Origin and token are enforced for every route by `guards`; these serve route code."""

from __future__ import annotations

import math

from fastapi import HTTPException
from starlette.requests import HTTPConnection

from ..config import ServerSettings
from ..sessions import SessionManager
from . import guards
from .ratelimit import RateLimiter


def settings_of(conn: HTTPConnection) -> ServerSettings:
    settings: ServerSettings = conn.app.state.settings
    return settings


def sessions_of(conn: HTTPConnection) -> SessionManager:
    manager: SessionManager = conn.app.state.sessions
    return manager


def origin_allowed(conn: HTTPConnection) -> bool:
    """The page's own origin, an allow-listed one, or none (a non-browser client)."""
    return guards.origin_allowed(conn.headers, settings_of(conn).allowed_origins)


def token_ok(conn: HTTPConnection) -> bool:
    return guards.token_ok(conn.headers, conn.query_params, settings_of(conn).token)


def client_of(conn: HTTPConnection) -> str:
    """The client's address: the key of its rate limits and of its share of sessions."""
    return conn.client.host if conn.client else ""


class RateLimits:
    """The server's token buckets per client address (one set per app, on `app.state.rate_limits`)."""

    def __init__(self, settings: ServerSettings) -> None:
        self.session_creations = RateLimiter(
            settings.session_creations_per_minute / 60.0, settings.session_creation_burst
        )
        self.ws_messages = RateLimiter(settings.ws_messages_per_second, settings.ws_message_burst)
        self._settings = settings

    def creation_refusal(self, client: str) -> tuple[str, float] | None:
        """None when `client` may create a session now; else (message, seconds to wait)."""
        if self.session_creations.allow(client):
            return None
        s = self._settings
        wait = self.session_creations.retry_after_s(client)
        return (
            f"too many new sessions from this address: the limit is {s.session_creations_per_minute:g} "
            f"per minute (bursts of {s.session_creation_burst}); try again in {math.ceil(wait)} s",
            wait,
        )

    def message_refusal(self, client: str) -> str | None:
        """None when `client` may send one more websocket message now; else why it was dropped."""
        if self.ws_messages.allow(client):
            return None
        s = self._settings
        return (
            f"too many messages: the limit is {s.ws_messages_per_second:g} per second (bursts of "
            f"{s.ws_message_burst}) per address; this message was dropped, the connection stays open"
        )


def rate_limits_of(conn: HTTPConnection) -> RateLimits:
    limits: RateLimits = conn.app.state.rate_limits
    return limits


def creating_client(conn: HTTPConnection) -> str:
    """The client asking to create a session (playground or image lab), if its creation rate allows it;
    else HTTP 429 saying when to retry."""
    client = client_of(conn)
    refusal = rate_limits_of(conn).creation_refusal(client)
    if refusal is not None:
        message, wait_s = refusal
        raise HTTPException(429, message, headers={"Retry-After": str(math.ceil(wait_s))})
    return client
