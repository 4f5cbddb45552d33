"""Helpers of the API tests: a real nnplay server (uvicorn on a free port, in a thread) and websocket clients.

A module of its own (not conftest) so that its name cannot clash with another folder's conftest."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import msgpack
from fastapi import FastAPI
from websockets.sync.client import ClientConnection, connect

from nnplay.inprocess import running_app, running_server

# Every test client comes from 127.0.0.1, so the shared server's rate limits are lifted; the security tests
# start servers with the real defaults or tighter ones.
UNLIMITED_RATES = {
    "session_creations_per_minute": 1e9,
    "session_creation_burst": 1_000_000,
    "ws_messages_per_second": 1e9,
    "ws_message_burst": 1_000_000,
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
