"""Open websockets per client address, on every route: 500 sockets from one client on one session drew
190 MB/s of frames and slowed an unrelated run to 0.60x.

`ConnectionLimit` counts a websocket from its handshake to its end, before the route runs (so every route,
added later too, is covered), in the same synchronous step as the check (sessions/limits.py); past the cap
the handshake is answered 429. Owned by the event loop.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..sessions.limits import Quota


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def too_many_connections(per_client: int) -> str:
    return (
        f"too many open connections from this address: the limit is {per_client} "
        "(NNPLAY_MAX_CONNECTIONS_PER_CLIENT); close some tabs and try again"
    )


class ConnectionLimit:
    """At most `per_client` open websockets per client address (429 at the handshake past it)."""

    def __init__(self, app: ASGIApp, per_client: int) -> None:
        self.app = app
        self.per_client = per_client
        self.open = Quota(None, per_client)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        slot = self.open.reserve(client_address(scope))
        if slot is None:
            detail = too_many_connections(self.per_client)
            await JSONResponse({"detail": detail}, status_code=429)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slot.release()
