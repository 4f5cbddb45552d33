"""A room whose run is in another lab than the playground (here the image lab's CNN): its students are sent
to that lab's page, their forks are runs of that lab, its snapshots come back in that lab after a restart,
and a lesson of another lab is refused with a reason."""

from __future__ import annotations

import time

import httpx
import msgpack
import numpy as np
from test_images import create_image_session, image_client
from test_rooms_restart import server_process

from rooms_client import RoomHandle, create_room, open_socket, send


def _epoch_reaching(base: str, session_id: str, epoch: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while (now := httpx.get(f"{base}/api/sessions/{session_id}").json()["epoch"]) < epoch:
        assert time.monotonic() < deadline, f"epoch {now} after {timeout} s"
        time.sleep(0.1)
    return int(now)


def _image_room(base: str, config: dict | None = None) -> RoomHandle:
    response = create_image_session(base, config)
    assert response.status_code == 201, response.text
    return create_room(base, response.json()["id"])


def test_a_room_of_an_image_lab_run_sends_students_to_the_image_lab_and_forks_there(base_url):
    room = _image_room(base_url, {"learning_rate": 0.01})
    teacher = httpx.get(room.url("/teacher"), headers={"X-Teacher-Key": room.teacher_key}).json()
    assert teacher["lab"] == "images" and teacher["page"] == "/images.html"
    assert teacher["join_url"].endswith(f"/images.html?room={room.code}")
    ada = room.join("Ada")
    assert ada["lab"] == "images" and ada["page"] == "/images.html"
    fork = room.fork(ada)
    summary = httpx.get(f"{base_url}/api/sessions/{fork}").json()
    assert summary["lab"] == "images" and summary["config"]["learning_rate"] == 0.01
    me = httpx.get(room.url("/me"), headers={"X-Member-Token": ada["member_token"]}).json()
    assert me["lab"] == "images" and me["session_id"] == fork
    # A push reaches the image-lab fork with the image lab's settings (validated by that lab's table).
    pushed = room.as_teacher("push-config", {"changes": {"learning_rate": 0.02}, "keep_weights": True})
    assert pushed.status_code == 200, pushed.text
    assert httpx.get(f"{base_url}/api/sessions/{fork}").json()["config"]["learning_rate"] == 0.02
    refused = room.as_teacher("push-config", {"changes": {"hidden_layers": [3]}})
    assert refused.status_code == 422 and "hidden_layers" in refused.text, refused.text


def test_the_teacher_tiles_of_image_lab_forks_show_their_confusion_matrix(base_url):
    room = _image_room(base_url)
    fork = room.fork(room.join("Ada"))
    with image_client(base_url, fork) as own:
        own.send({"type": "step"})
        _epoch_reaching(base_url, fork, 1)
    with open_socket(base_url, f"/ws/rooms/{room.code}") as teacher:
        send(teacher, {"type": "auth", "teacher_key": room.teacher_key})
        while True:
            message = teacher.ws.recv(timeout=10)
            if isinstance(message, bytes):
                tile = msgpack.unpackb(message)["tiles"][0]
                break
    assert tile["name"] == "Ada" and tile["mode"] == "forked"
    assert tile["neurons"] is None and tile["state"] in {"paused", "running"}
    # no decision map: the confusion matrix's rows as shares (128 none, 255 all), a digit 2x2 cells
    picture = np.frombuffer(tile["grid"], np.uint8).reshape(20, 20)
    assert tile["grid_size"] == 20 and picture.min() >= 128
    assert picture.diagonal().mean() > picture.mean()  # after an epoch, most digits land on the diagonal


def test_a_lesson_of_another_lab_is_refused_and_the_room_keeps_its_lesson(base_url):
    room = _image_room(base_url)
    refused = room.as_teacher("lesson-next", {"lesson_id": "learning-rate"})
    assert refused.status_code == 409, refused.text
    assert "playground lab" in refused.text and "images lab" in refused.text
    assert httpx.get(room.url()).json()["lesson"] is None
    lessons = httpx.get(f"{base_url}/api/lessons").json()
    assert {lesson["lab"] for lesson in lessons} >= {"playground"}


def test_a_challenge_is_refused_in_another_labs_room_with_a_reason_and_set_in_a_playground_room(base_url):
    room = _image_room(base_url)
    refused = room.as_teacher("challenge", {"dataset": "spiral", "target_loss": 0.05})
    assert refused.status_code == 409, refused.text
    assert "images lab has no challenge" in refused.text
    assert httpx.get(room.url()).json()["challenge"] is None
    created = httpx.post(f"{base_url}/api/sessions", json={"config": {}}, timeout=120)
    playground = create_room(base_url, created.json()["id"])
    accepted = playground.as_teacher("challenge", {"dataset": "spiral", "target_loss": 0.05})
    assert accepted.status_code == 200, accepted.text
    assert httpx.get(playground.url()).json()["challenge"]["dataset"] == "spiral"


def test_an_image_lab_room_comes_back_in_the_image_lab_after_a_restart(tmp_path):
    log = tmp_path / "server.log"
    with server_process(tmp_path / "data", log) as base:
        room = _image_room(base, {"learning_rate": 0.005})
        ada = room.join("Ada")
        fork = room.fork(ada)
        with image_client(base, fork) as own:
            own.send({"type": "step"})
            own.send({"type": "step"})
            epoch_before = _epoch_reaching(base, fork, 2)
    with server_process(tmp_path / "data", log) as base:
        room = RoomHandle(base, room.code, room.teacher_key, "", "")
        me = httpx.get(room.url("/me"), headers={"X-Member-Token": ada["member_token"]}).json()
        assert me["lab"] == "images" and me["mode"] == "forked" and me["restore_note"] == ""
        summary = httpx.get(f"{base}/api/sessions/{me['session_id']}").json()
        assert summary["lab"] == "images" and summary["config"]["learning_rate"] == 0.005
        assert summary["epoch"] == epoch_before
        teacher = httpx.get(room.url("/teacher"), headers={"X-Teacher-Key": room.teacher_key}).json()
        assert teacher["lab"] == "images"
        assert httpx.get(f"{base}/api/sessions/{teacher['session_id']}").json()["lab"] == "images"


def test_a_generative_lab_room_has_its_own_challenge_and_a_sequence_lab_room_none(base_url):
    created = httpx.post(f"{base_url}/api/generative/sessions", json={"config": {}}, timeout=120)
    assert created.status_code == 201, created.text
    gan_room = create_room(base_url, created.json()["id"])
    teacher = httpx.get(gan_room.url("/teacher"), headers={"X-Teacher-Key": gan_room.teacher_key}).json()
    assert teacher["challenge_label"].startswith("ring, share of bad samples")
    set_ = gan_room.as_teacher("challenge", {})
    assert set_.status_code == 200, set_.text
    assert set_.json()["dataset"] == "ring" and set_.json()["target_loss"] == 0.2
    wrong = gan_room.as_teacher("challenge", {"dataset": "spiral"})
    assert wrong.status_code == 422 and "ring" in wrong.text, wrong.text
    created = httpx.post(f"{base_url}/api/sequences/sessions", json={"config": {}}, timeout=120)
    assert created.status_code == 201, created.text
    seq_room = create_room(base_url, created.json()["id"])
    teacher = httpx.get(seq_room.url("/teacher"), headers={"X-Teacher-Key": seq_room.teacher_key}).json()
    assert teacher["challenge_label"] is None
    refused = seq_room.as_teacher("challenge", {})
    assert refused.status_code == 409 and "no challenge" in refused.text, refused.text
