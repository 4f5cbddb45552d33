"""Driving the app's own routes inside an engine shard without a server: one HTTP request, or one
websocket whose messages come from and go to callables (the shard's tunnels, cluster/tunnels.py).

The gateway has already done what the edge does (Host, Origin, token, the client's address behind
HAProxy): the shard's app sees the page's headers and the client's address as the gateway saw them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Message

Headers = list[tuple[str, str]]


def json_object(raw: bytes) -> dict[str, Any]:
    """A body's JSON object ({} when it is empty, not JSON, or not an object)."""
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _scope(kind: str, path: str, query: str, headers: Headers, client: str) -> dict[str, Any]:
    return {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "http" if kind == "http" else "ws",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "client": (client, 0),
        "server": ("127.0.0.1", 0),
        "extensions": {"websocket.http.response": {}},
    }


async def request(
    app: ASGIApp, method: str, path: str, query: str, headers: Headers, body: bytes, client: str
) -> tuple[int, Headers, bytes]:
    """The app's response to one HTTP request: status, headers, body."""
    scope = {**_scope("http", path, query, headers, client), "method": method}
    delivered = False
    status = 500
    out_headers: Headers = []
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never goes away mid-request
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        nonlocal status, out_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, out_headers, b"".join(chunks)


async def websocket(
    app: ASGIApp,
    path: str,
    query: str,
    headers: Headers,
    client: str,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """Run the app's websocket route for `path`; `receive` gives websocket.connect first."""
    await app(_scope("websocket", path, query, headers, client), receive, send)
