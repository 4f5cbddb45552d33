"""Helpers of the API tests: a real nnplay server (uvicorn on a free port, in a thread) and websocket clients.

A module of its own (not conftest) so that its name cannot clash with another folder's conftest."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgpack
from fastapi import FastAPI
from websockets.sync.client import ClientConnection, connect

from nnplay.inprocess import running_app, running_server

# Every test client comes from 127.0.0.1, so the shared server's rate limits (and its rooms per client) are
# lifted; the security and limits tests start servers with the real defaults or tighter ones.
UNLIMITED_RATES = {
    "session_creations_per_minute": 1e9,
    "session_creation_burst": 1_000_000,
    "ws_messages_per_second": 1e9,
    "ws_message_burst": 1_000_000,
    "room_creations_per_minute": 1e9,
    "room_creation_burst": 1_000_000,
    "room_joins_per_minute": 1e9,
    "room_join_burst": 1_000_000,
    "max_rooms": 1_000_000,
    "max_rooms_per_client": 1_000_000,
}


@contextlib.contextmanager
def serve(**settings: Any) -> Iterator[str]:
    """The real app on a free loopback port, in a thread (the benchmark's helper), rate limits lifted."""
    with running_server(**{**UNLIMITED_RATES, **settings}) as base:
        yield base


@contextlib.contextmanager
def serve_app(**settings: Any) -> Iterator[tuple[str, FastAPI]]:
    """As `serve`, and the app too, to look at its sessions from the test."""
    with running_app(**{**UNLIMITED_RATES, **settings}) as (base, app):
        yield base, app


class Client:
    """A websocket client that sorts what arrives into control messages and frames."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    def send(self, message: dict[str, Any] | str) -> None:
        self.ws.send(message if isinstance(message, str) else json.dumps(message))

    def next(self, timeout: float = 20) -> dict[str, Any]:
        raw = self.ws.recv(timeout=timeout)
        if isinstance(raw, bytes):
            return msgpack.unpackb(raw)
        return json.loads(raw, parse_constant=_no_nan)

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self.next(left)
            if predicate(message):
                return message
        raise AssertionError("timed out waiting for a message")

    def frame(
        self, predicate: Callable[[dict[str, Any]], bool] = lambda f: True, timeout: float = 30
    ) -> dict[str, Any]:
        return self.wait_for(lambda m: m.get("type") == "frame" and predicate(m), timeout)

    def error(self, timeout: float = 10) -> dict[str, Any]:
        return self.wait_for(lambda m: m.get("type") == "error", timeout)


def _no_nan(token: str) -> None:
    raise AssertionError(f"the server sent {token} in JSON")


def create_session(base: str, config: dict[str, Any] | None = None) -> str:
    response = httpx.post(base + "/api/sessions", json={"config": config or {}})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@contextlib.contextmanager
def open_client(base: str, session_id: str, **kwargs: Any) -> Iterator[Client]:
    with connect(base.replace("http", "ws") + f"/ws/sessions/{session_id}", **kwargs) as ws:
        yield Client(ws)


def handshake(base: str, path: str, source: str = "127.0.0.1") -> tuple[socket.socket | None, int]:
    """A raw socket past the websocket handshake of `path`, or None and the HTTP status it got."""
    port = urlsplit(base).port
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(1)
        if not chunk:
            break
        answer += chunk
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1") else 0
    if status != 101:
        sock.close()
        return None, status
    return sock, status
