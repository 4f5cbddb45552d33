"""Helpers of the classroom API tests: rooms, members and the room/watch websockets over real sockets."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.sync.client import connect

from live import Client


@dataclass
class RoomHandle:
    base: str
    code: str
    teacher_key: str
    session_id: str  # the teacher's run
    watch_id: str

    def url(self, tail: str = "") -> str:
        return f"{self.base}/api/rooms/{self.code}{tail}"

    def as_teacher(self, action: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(self.url(f"/{action}"), json=body, headers={"X-Teacher-Key": self.teacher_key})

    def join(self, name: str) -> dict[str, Any]:
        response = httpx.post(self.url("/join"), json={"name": name})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def fork(self, member: dict[str, Any]) -> str:
        response = httpx.post(self.url("/fork"), headers={"X-Member-Token": member["member_token"]})
        assert response.status_code == 200, response.text
        return str(response.json()["session_id"])


def create_room(base: str, session_id: str | None = None) -> RoomHandle:
    response = httpx.post(base + "/api/rooms", json={"session_id": session_id} if session_id else None)
    assert response.status_code == 201, response.text
    body = response.json()
    return RoomHandle(base, body["code"], body["teacher_key"], body["session_id"], body["watch_id"])


@contextlib.contextmanager
def open_socket(base: str, path: str) -> Iterator[Client]:
    with connect(base.replace("http", "ws") + path) as ws:
        yield Client(ws)


def send(client: Client, message: dict[str, Any]) -> None:
    client.ws.send(json.dumps(message))
