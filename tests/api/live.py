"""Helpers of the API tests: a real nnplay server (uvicorn on a free port, in a thread) and websocket clients.

A module of its own (not conftest) so that its name cannot clash with another folder's conftest."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import msgpack
import uvicorn
from websockets.sync.client import ClientConnection, connect

from nnplay.app import create_app
from nnplay.config import ServerSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(**settings: Any) -> Iterator[str]:
    port = free_port()
    app = create_app(ServerSettings(port=port, warmup=False, **settings))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/api/health").status_code == 200:
                break
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(15)


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
