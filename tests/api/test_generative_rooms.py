"""A room opened from a generative-lab run: students go to the generative page, a fork is a generative run
with the teacher's own points, a push and the lab's lessons reach it, and its tile shows where its
samples are."""

from __future__ import annotations

import time

import httpx
import msgpack
import numpy as np
from test_generative import SMALL_GAN, create, lab_client

from rooms_client import create_room, open_socket, send

SQUARE = "\n".join(f"{x},{y}" for x in (-1, 0, 1) for y in (-1, 0, 1))


def test_a_room_of_a_gan_forks_in_the_generative_lab_with_the_own_points(base_url):
    teacher_run = create(base_url, SMALL_GAN)
    uploaded = httpx.post(
        f"{base_url}/api/generative/sessions/{teacher_run}/points", content=SQUARE, timeout=60
    )
    assert uploaded.status_code == 200, uploaded.text
    room = create_room(base_url, teacher_run)
    teacher = httpx.get(room.url("/teacher"), headers={"X-Teacher-Key": room.teacher_key}).json()
    assert teacher["lab"] == "generative" and teacher["join_url"].endswith(
        f"/generative.html?room={room.code}"
    )
    ada = room.join("Ada")
    fork = room.fork(ada)
    summary = httpx.get(f"{base_url}/api/sessions/{fork}").json()
    assert summary["lab"] == "generative" and summary["config"]["dataset"] == "custom"
    with lab_client(base_url, fork) as own:
        data = own.wait_for(lambda m: m.get("type") == "data", timeout=60)
        assert np.frombuffer(data["points"], "<f4").size == 9 * 2  # the teacher's own points came along
        own.send({"type": "step", "units": 20})
        own.frame(lambda f: f["updates"] >= 20, timeout=120)
    pushed = room.as_teacher("push-config", {"changes": {"d_steps": 3}, "keep_weights": True})
    assert pushed.status_code == 200, pushed.text
    assert httpx.get(f"{base_url}/api/sessions/{fork}").json()["config"]["d_steps"] == 3
    with open_socket(base_url, f"/ws/rooms/{room.code}") as watcher:
        send(watcher, {"type": "auth", "teacher_key": room.teacher_key})
        while not isinstance(message := watcher.ws.recv(timeout=30), bytes):
            pass
    tile = msgpack.unpackb(message)["tiles"][0]
    assert tile["name"] == "Ada" and tile["grid_size"] == 20 and tile["neurons"] == 32
    # a GAN's tile words its samples (the own points have no modes to count), not a "test loss"
    assert tile["figure"].endswith("% of samples near the data"), tile["figure"]
    picture = np.frombuffer(tile["grid"], np.uint8)
    assert picture.size == 400 and picture.max() == 255 and picture.min() == 128


def test_the_generative_lessons_are_served_and_a_room_of_a_gan_takes_its_lesson(base_url):
    lessons = {lesson["id"]: lesson for lesson in httpx.get(f"{base_url}/api/lessons").json()}
    assert lessons["gen-mode-collapse"]["lab"] == "generative"
    room = create_room(base_url, create(base_url, SMALL_GAN))
    started = room.as_teacher("lesson-next", {"lesson_id": "gen-mode-collapse"})
    assert started.status_code == 200, started.text
    assert httpx.get(room.url()).json()["lesson"]["id"] == "gen-mode-collapse"
    refused = room.as_teacher("lesson-next", {"lesson_id": "learning-rate"})
    assert refused.status_code == 409 and "playground lab" in refused.text


def test_a_gan_challenge_ranks_a_student_whose_generator_covers_every_mode(base_url):
    two_gaussians = {**SMALL_GAN, "dataset": "gaussians", "seed": 3}
    room = create_room(base_url, create(base_url, two_gaussians))
    set_ = room.as_teacher("challenge", {"dataset": "gaussians", "target_loss": 0.5})
    assert set_.status_code == 200, set_.text
    assert set_.json()["label"] == "gaussians, share of bad samples with every mode covered < 0.5"
    ada = room.join("Ada")
    fork = room.fork(ada)
    # The dashboard's clock scores the live runs of rooms someone listens to (the teacher's page), once a
    # second, and a place once reached is kept: the teacher listens while the run trains (a GAN's figures
    # swing from frame to frame, so the state it paused in may no longer meet the target).
    with open_socket(base_url, f"/ws/rooms/{room.code}") as teacher:
        send(teacher, {"type": "auth", "teacher_key": room.teacher_key})
        with lab_client(base_url, fork) as own:
            own.send({"type": "start"})
            frame = own.frame(lambda f: f["modes_covered"] == 2 and f["good_sample_share"] > 0.5, timeout=240)
            deadline = time.monotonic() + 30
            while not (board := httpx.get(room.url()).json()["leaderboard"]) and time.monotonic() < deadline:
                time.sleep(0.2)
            own.send({"type": "pause"})
    assert frame["modes"] == 2
    assert [(entry["name"], entry["neurons"]) for entry in board] == [("Ada", 32)]
