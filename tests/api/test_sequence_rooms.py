"""A classroom room whose run is in the sequence lab: students are sent to the lab's page and fork
sequence runs there, pushes are checked by the lab's settings, its lessons run and the playground's are
refused, and the teacher's tiles show each run's hidden state."""

from __future__ import annotations

import time

import httpx
import msgpack
from test_sequences import create_sequence_session, sequence_client

from rooms_client import RoomHandle, create_room, open_socket, send


def _sequence_room(base: str, config: dict | None = None) -> RoomHandle:
    response = create_sequence_session(base, config)
    assert response.status_code == 201, response.text
    return create_room(base, response.json()["id"])


def test_a_room_of_a_sequence_run_forks_pushes_and_teaches_in_the_sequence_lab(base_url):
    # the lab's defaults (reverse, Transformer): the lesson's first step needs no new kernel
    room = _sequence_room(base_url, {"vocab": 6})
    teacher = httpx.get(room.url("/teacher"), headers={"X-Teacher-Key": room.teacher_key}).json()
    assert teacher["lab"] == "sequences" and teacher["join_url"].endswith(f"/sequences.html?room={room.code}")
    ada = room.join("Ada")
    assert ada["lab"] == "sequences" and ada["page"] == "/sequences.html"
    fork = room.fork(ada)
    summary = httpx.get(f"{base_url}/api/sequences/sessions/{fork}").json()
    assert summary["lab"] == "sequences" and summary["config"]["vocab"] == 6
    pushed = room.as_teacher("push-config", {"changes": {"learning_rate": 0.003}, "keep_weights": True})
    assert pushed.status_code == 200, pushed.text
    assert httpx.get(f"{base_url}/api/sessions/{fork}").json()["config"]["learning_rate"] == 0.003
    refused = room.as_teacher("push-config", {"changes": {"hidden_layers": [3]}})
    assert refused.status_code == 422 and "hidden_layers" in refused.text
    # a playground lesson is refused; the sequence lab's lesson sets the teacher's run and the fork
    assert room.as_teacher("lesson-next", {"lesson_id": "learning-rate"}).status_code == 409
    lesson = room.as_teacher("lesson-next", {"lesson_id": "what-attention-learns"})
    assert lesson.status_code == 200, lesson.text
    for run in (teacher["session_id"], fork):
        config = httpx.get(f"{base_url}/api/sessions/{run}").json()["config"]
        assert config["task"] == "reverse" and config["vocab"] == 8  # the step's config over the defaults


def test_the_teachers_tile_of_a_sequence_fork_shows_its_hidden_state(base_url):
    room = _sequence_room(base_url, {"task": "parity_dense", "model": "gru", "length": 6, "width": 8})
    fork = room.fork(room.join("Ada"))
    with sequence_client(base_url, fork) as own:
        own.send({"type": "step"})
        own.frame(lambda f: f["epoch"] >= 1, timeout=120)
    deadline = time.monotonic() + 30
    with open_socket(base_url, f"/ws/rooms/{room.code}") as teacher:
        send(teacher, {"type": "auth", "teacher_key": room.teacher_key})
        while time.monotonic() < deadline:
            message = teacher.ws.recv(timeout=10)
            if isinstance(message, bytes):
                tile = msgpack.unpackb(message)["tiles"][0]
                if tile.get("grid") is not None:
                    break
    assert tile["name"] == "Ada" and tile["grid"] is not None
    assert len(tile["grid"]) == 20 * 20
