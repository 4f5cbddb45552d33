"""Pure ASGI middleware that keeps a localhost server closed to other web pages.

What each guard stops (README, "Threat model"):
- Host (starlette's TrustedHostMiddleware, see `install_guards`): DNS rebinding, where a foreign page
  makes its own host name resolve to 127.0.0.1 and so becomes "same origin" with this server.
- `OriginGuard`: a page on another origin opening a websocket (CORS does not cover websockets) or
  sending a state-changing request (a "simple" cross-origin POST is sent without a CORS preflight).
- `TokenGuard`: everyone without the token, when one is set (serving beyond localhost).
- `BodyLimit`: request bodies past the limit, counted as they arrive (chunked uploads too): 64 KiB, as
  a websocket message; a CSV upload of one's own points 300 KB.
- uvicorn's `ProxyHeadersMiddleware`, only for the proxies in NNPLAY_TRUSTED_PROXIES: their
  X-Forwarded-For names the client; nobody else's does (by default, nobody's).
- `connections.ConnectionLimit`: open websockets per client address, on every route.
- `SecurityHeaders`: CSP (`connect-src 'self'`), nosniff and no referrer on every HTTP response.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..config import ServerSettings
from .connections import ConnectionLimit

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
GUARDED_PREFIXES = ("/api/", "/ws/")  # every REST and websocket route; the static page stays open
UPLOAD_PATHS = re.compile(r"/api/sessions/[^/]+/points")  # bodies that are files (CSV), not messages


def origin_allowed(headers: Headers, allowed_origins: Iterable[str]) -> bool:
    """A missing Origin is a non-browser client (CLI, tests), guarded by the token; a present one must be
    this server's own (same host and port as the Host header) or listed in NNPLAY_ALLOWED_ORIGINS."""
    origin = headers.get("origin")
    if origin is None:
        return True
    if origin in allowed_origins:
        return True
    return urlsplit(origin).netloc.lower() == (headers.get("host") or "").lower()


def token_ok(headers: Headers, query: QueryParams, expected: str | None) -> bool:
    """The token from `?token=` or `Authorization: Bearer`, compared in constant time."""
    if not expected:
        return True
    given = query.get("token") or ""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        given = auth[7:]
    return secrets.compare_digest(given.encode(), expected.encode())


async def deny(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    """A JSON refusal; on a websocket it is the HTTP answer to the handshake (starlette translates)."""
    await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Reads the body before the app runs, counting bytes as they arrive; past `max_bytes` (`upload_bytes`
    for a file upload) it answers 413 at once, whatever Content-Length says (or when there is none: a
    chunked upload)."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = max_bytes if upload_bytes is None else upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if UPLOAD_PATHS.fullmatch(scope["path"]) else self.max_bytes
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send, f"{declared} bytes", limit)
            return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":  # the client went away before its body ended
                break
            size += len(message.get("body", b""))
            if size > limit:
                await self._too_large(scope, receive, send, f"over {limit} bytes", limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send, size: str, limit: int) -> None:
        detail = f"request body is {size}; the limit is {limit} bytes"
        await deny(scope, receive, send, 413, detail)


class OriginGuard:
    """Refuses websockets and state-changing requests whose Origin is foreign (403)."""

    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str]) -> None:
        self.app = app
        self.allowed_origins = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = scope["type"] == "websocket" or (
            scope["type"] == "http" and scope["method"] in STATE_CHANGING
        )
        if not guarded:  # reads, and the lifespan scope (which has no headers)
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not origin_allowed(headers, self.allowed_origins):
            action = "open a websocket" if scope["type"] == "websocket" else f"send {scope['method']}"
            detail = (
                f"origin {headers.get('origin')!r} may not {action} here: only this server's own page "
                "and the origins in NNPLAY_ALLOWED_ORIGINS may"
            )
            await deny(scope, receive, send, 403, detail)
            return
        await self.app(scope, receive, send)


class TokenGuard:
    """When a token is set, every /api and /ws route requires it (401)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.token
            and scope["type"] in ("http", "websocket")
            and scope["path"].startswith(GUARDED_PREFIXES)
            and not token_ok(Headers(scope=scope), QueryParams(scope.get("query_string", b"")), self.token)
        ):
            detail = "a valid token is required (?token=... or Authorization: Bearer ...)"
            await deny(scope, receive, send, 401, detail)
            return
        await self.app(scope, receive, send)


def install_guards(app: Starlette, settings: ServerSettings) -> None:
    """Add the guards to `app`; a request meets them in this order: trusted proxies' client address,
    Host, security headers, Origin, token, connections per client, body limit (starlette runs the
    middleware added last first)."""
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, upload_bytes=settings.max_upload_bytes)
    app.add_middleware(ConnectionLimit, per_client=settings.max_connections_per_client)
    app.add_middleware(TokenGuard, token=settings.token)
    app.add_middleware(OriginGuard, allowed_origins=settings.allowed_origins)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts(), www_redirect=False)
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
