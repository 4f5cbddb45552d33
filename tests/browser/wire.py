"""What the server sent a page over its websocket, decoded here (msgpack / JSON), not by the page's code."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import msgpack
import numpy as np
from playwright.sync_api import Page, WebSocket


class Wire:
    """Records every message the page's websockets receive; attach it before the page opens."""

    def __init__(self, page: Page) -> None:
        self._page = page
        self._payloads: list[str | bytes] = []
        self._decoded: list[dict[str, Any]] = []
        page.on("websocket", self._on_socket)

    def _on_socket(self, socket: WebSocket) -> None:
        socket.on("framereceived", self._on_payload)

    def _on_payload(self, payload: str | bytes) -> None:
        self._payloads.append(payload)  # Playwright calls this on the test's own thread

    def messages(self, kind: str) -> list[dict[str, Any]]:
        """Every received message of a type ("frame", "data", "status", ...), oldest first."""
        fresh = self._payloads[len(self._decoded) :]
        self._decoded += [msgpack.unpackb(p) if isinstance(p, bytes) else json.loads(p) for p in fresh]
        return [m for m in self._decoded if m.get("type") == kind]

    def count(self, kind: str) -> int:
        """How many messages of `kind` arrived so far: pass it as `since` to wait for a newer one."""
        return len(self.messages(kind))

    def wait_for(
        self,
        kind: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda _: True,
        *,
        since: int = 0,
        timeout_s: float = 10.0,
    ) -> dict[str, Any]:
        """The first message of `kind` after the first `since` ones that satisfies `predicate`."""
        waited_ms = 0.0
        while True:
            matching = [m for m in self.messages(kind)[since:] if predicate(m)]
            if matching:
                return matching[0]
            if waited_ms > timeout_s * 1000:
                raise AssertionError(f"no {kind} message matched within {timeout_s:.0f} s")
            # Playwright delivers events to Python only while it runs a call: wait through it, not sleep.
            self._page.wait_for_timeout(100)
            waited_ms += 100


def points_of(data: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """All points (n, 2) and labels (n,) of a `data` message, train and test together."""
    xs = np.concatenate(
        [np.frombuffer(data["train_x"], np.float32), np.frombuffer(data["test_x"], np.float32)]
    ).reshape(-1, 2)
    ys = np.concatenate(
        [np.frombuffer(data["train_y"], np.float32), np.frombuffer(data["test_y"], np.float32)]
    )
    return xs, ys
