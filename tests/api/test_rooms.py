"""Classroom rooms over the real app: roles, names, codes, limits, fork/watch, pushes, lessons, tiles."""

from __future__ import annotations

import httpx
import msgpack
import pytest

from live import open_client, serve
from rooms_client import create_room, open_socket, send

TEACHER_ACTIONS = [
    ("push-config", {"changes": {"learning_rate": 0.1}}),
    ("spotlight", {"member_id": ""}),
    ("remove", {"member_id": "x"}),
    ("reset-all", None),
    ("lesson-next", {"lesson_id": "features"}),
    ("challenge", {"dataset": "spiral", "target_loss": 0.05}),
    ("lock", {"controls": ["learning-rate"]}),
]


def test_create_room_gives_code_key_join_url_and_qr_and_the_room_never_shows_a_key(base_url):
    response = httpx.post(base_url + "/api/rooms")
    assert response.status_code == 201
    body = response.json()
    code, key = body["code"], body["teacher_key"]
    assert len(code) == 6 and not set(code) & set("01OIL") and code.isupper()
    assert body["join_url"].endswith(f"/?room={code}") and body["qr_svg"].startswith("<svg")
    room = httpx.get(f"{base_url}/api/rooms/{code.lower()}")  # codes are read case-insensitively
    assert room.status_code == 200
    assert room.json()["code"] == code and room.json()["students"] == [] and room.json()["lesson"] is None
    assert key not in room.text and body["session_id"] not in room.text


@pytest.mark.parametrize(("action", "body"), TEACHER_ACTIONS)
def test_every_teacher_only_action_is_refused_for_a_student(base_url, action, body):
    room = create_room(base_url)
    student = room.join("Mallory")
    attempts = [
        {"X-Member-Token": student["member_token"]},
        {"X-Teacher-Key": student["member_token"]},
        {"X-Teacher-Key": room.teacher_key[:-1] + ("A" if room.teacher_key[-1] != "A" else "B")},
        {},
    ]
    for headers in attempts:
        response = httpx.post(room.url(f"/{action}"), json=body, headers=headers)
        assert response.status_code == 403, (headers, response.text)
        assert "only the teacher can" in response.json()["detail"]
    assert room.as_teacher(action, body).status_code in (200, 404)  # remove of "x": no such student


def test_teacher_actions_over_the_room_socket_need_the_key(base_url):
    room = create_room(base_url)
    student = room.join("Eve")
    with open_socket(base_url, f"/ws/rooms/{room.code}") as socket:
        socket.wait_for(lambda m: m.get("type") == "room")
        for kind in ("push_config", "spotlight", "remove", "reset_all", "lesson_next", "challenge", "lock"):
            send(
                socket,
                {"type": kind, "teacher_key": student["member_token"], "member_id": student["member_id"]},
            )
            error = socket.error()
            assert error["code"] == "forbidden" and "only the teacher can" in error["message"]
        send(socket, {"type": "auth", "teacher_key": "wrong"})
        assert socket.error()["code"] == "forbidden"
    assert [s["name"] for s in httpx.get(room.url()).json()["students"]] == ["Eve"]  # nobody was removed


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 25, "at most 24 characters, got 25"),
        ("<script>", "letters, digits, spaces and - _ ."),
        ("Bob\n", None),  # trimmed: accepted
        (42, "must be text"),
    ],
)
def test_display_names_are_validated_with_clear_errors(base_url, name, fragment):
    room = create_room(base_url)
    response = httpx.post(room.url("/join"), json={"name": name})
    if fragment is None:
        assert response.status_code == 201 and response.json()["name"] == "Bob"
        return
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["field"] == "name" and fragment in detail["message"]


def test_names_are_unique_in_a_room_case_insensitively(base_url):
    room = create_room(base_url)
    room.join("Grace Hopper")
    response = httpx.post(room.url("/join"), json={"name": "grace HOPPER"})
    assert response.status_code == 422 and "already taken" in response.json()["detail"][0]["message"]
    assert create_room(base_url).join("grace hopper")["name"] == "grace hopper"  # another room: fine


def test_wrong_codes_are_404_and_a_guesser_backs_off_but_not_from_its_own_rooms_code():
    with serve() as base, httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as other:
        room = create_room(base)  # made from 127.0.0.1: the code is known there
        elsewhere = other.post(base + "/api/rooms").json()["code"]  # made from another address
        typo = [httpx.get(f"{base}/api/rooms/ZZZZZZ").status_code for _ in range(15)]
        assert typo == [404] * 15  # one typo made again and again is one wrong code
        statuses = [httpx.get(f"{base}/api/rooms/ZZZZZ{i}").status_code for i in range(2, 9)]
        statuses += [
            httpx.post(f"{base}/api/rooms/YYYYY{i}/join", json={"name": "a"}).status_code for i in (2, 3, 4)
        ]
        assert statuses == [404] * 10, statuses
        limited = httpx.get(f"{base}/api/rooms/ZZZZZ9")
        assert limited.status_code == 429 and "too many wrong room codes" in limited.json()["detail"]
        assert int(limited.headers["retry-after"]) > 0
        refused = httpx.get(f"{base}/api/rooms/{elsewhere}")
        assert refused.status_code == 429, "a right code this address never used is refused too"
        assert httpx.get(room.url()).status_code == 200, "the class's own room still opens"
        assert other.get(f"{base}/api/rooms/{room.code}").status_code == 200  # other addresses: unaffected


def test_a_full_room_says_so():
    with serve(room_size=2) as base:
        room = create_room(base)
        room.join("a")
        room.join("b")
        response = httpx.post(room.url("/join"), json={"name": "c"})
        assert response.status_code == 409 and "the room is full" in response.json()["detail"]


def test_a_fork_starts_from_the_teachers_config_weights_and_epoch(base_url):
    room = create_room(base_url)
    with open_client(base_url, room.session_id) as teacher:
        teacher.send({"type": "configure", "changes": {"learning_rate": 0.1, "hidden_layers": [5, 3]}})
        teacher.send({"type": "start"})
        teacher.frame(lambda f: f["epoch"] >= 40, timeout=60)
        teacher.send({"type": "pause"})
        teacher.wait_for(lambda m: m.get("type") == "status" and m["state"] == "paused")
        teacher.send({"type": "ping"})
        teacher.wait_for(lambda m: m.get("type") == "pong")
        summary = httpx.get(f"{base_url}/api/sessions/{room.session_id}").json()
        epoch = summary["epoch"]
    with open_client(base_url, room.session_id) as again:  # a late joiner gets the paused run's frame
        last = again.frame(lambda f: f["epoch"] == epoch)
    student = room.join("Alan")
    forked = room.fork(student)
    assert forked != room.session_id
    with open_client(base_url, forked) as own:
        frame = own.frame(lambda f: f["epoch"] == epoch)
    assert frame["weights"] == last["weights"] and frame["biases"] == last["biases"]
    assert frame["test_loss"] == pytest.approx(last["test_loss"], rel=1e-6)
    config = httpx.get(f"{base_url}/api/sessions/{forked}").json()["config"]
    assert config["learning_rate"] == 0.1 and config["hidden_layers"] == [5, 3]
    me = httpx.get(room.url("/me"), headers={"X-Member-Token": student["member_token"]}).json()
    assert me["mode"] == "forked" and me["session_id"] == forked
    back = httpx.post(room.url("/watch"), headers={"X-Member-Token": student["member_token"]})
    assert back.json() == {"watch_id": room.watch_id, "mode": "watching"}


def test_watching_is_read_only_and_never_reveals_the_session_id(base_url):
    room = create_room(base_url)
    with open_socket(base_url, f"/ws/watch/{room.watch_id}") as watcher:
        hello = watcher.wait_for(lambda m: m.get("type") == "hello")
        assert hello["read_only"] is True and "session" not in hello
        for command in ({"type": "start"}, {"type": "configure", "changes": {"learning_rate": 1}}):
            send(watcher, command)
            assert watcher.error()["code"] == "read_only"
        with open_client(base_url, room.session_id) as teacher:
            teacher.send({"type": "start"})
            assert watcher.frame(lambda f: f["epoch"] > 20, timeout=60)["epoch"] > 20
            teacher.send({"type": "pause"})
    assert httpx.get(f"{base_url}/api/sessions/{room.session_id}").json()["config"]["learning_rate"] == 0.03


def test_push_config_reaches_every_forked_students_run(base_url):
    room = create_room(base_url)
    students = [room.join(name) for name in ("a", "b", "c")]
    forks = [room.fork(s) for s in students[:2]]  # "c" only watches
    with open_client(base_url, forks[0]) as own:
        own.wait_for(lambda m: m.get("type") == "hello")
        response = room.as_teacher("push-config", {"changes": {"learning_rate": 0.3}})
        assert response.json()["students"] == 2 and response.json()["applied"] == 2
        assert own.wait_for(lambda m: m.get("type") == "config")["config"]["learning_rate"] == 0.3
    for session_id in forks:
        assert httpx.get(f"{base_url}/api/sessions/{session_id}").json()["config"]["learning_rate"] == 0.3
    bad = room.as_teacher("push-config", {"changes": {"learning_rate": 50}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "learning_rate"


def test_a_lesson_advances_for_the_teacher_the_forks_and_every_listener(base_url):
    room = create_room(base_url)
    fork = room.fork(room.join("Ada"))
    with open_socket(base_url, f"/ws/rooms/{room.code}") as listener:
        listener.wait_for(lambda m: m.get("type") == "room")
        first = room.as_teacher("lesson-next", {"lesson_id": "layers"}).json()
        assert first["step"] == 0 and first["current"]["title"] == "XOR needs a hidden layer"
        seen = listener.wait_for(lambda m: m.get("type") == "room" and m["lesson"] is not None)
        assert seen["lesson"]["current"]["question"] == first["current"]["question"]
        second = room.as_teacher("lesson-next").json()
        assert second["step"] == 1
        listener.wait_for(lambda m: m.get("type") == "room" and m["lesson"]["step"] == 1)
    for session_id in (room.session_id, fork):
        config = httpx.get(f"{base_url}/api/sessions/{session_id}").json()["config"]
        assert config["dataset"] == "xor" and config["hidden_layers"] == [2]
    for step in range(2, first["steps"]):  # on to the last step
        assert room.as_teacher("lesson-next").json()["step"] == step
    last = room.as_teacher("lesson-next")
    assert last.status_code == 409 and "last step" in last.json()["detail"]


def test_the_teachers_socket_gets_a_tile_per_student_and_a_students_does_not(base_url):
    room = create_room(base_url)
    ada = room.join("Ada")
    room.join("Bob")
    fork = room.fork(ada)
    with open_client(base_url, fork) as own:
        own.send({"type": "configure", "changes": {"hidden_layers": [3]}})
        own.send({"type": "start"})
        own.frame(lambda f: f["epoch"] > 10 and f["layers"] == [3], timeout=60)
    with (
        open_socket(base_url, f"/ws/rooms/{room.code}") as teacher,
        open_socket(base_url, f"/ws/rooms/{room.code}") as student,
    ):
        send(teacher, {"type": "auth", "teacher_key": room.teacher_key})
        teacher.wait_for(lambda m: m.get("type") == "auth")
        send(student, {"type": "ping"})
        tiles = teacher.wait_for(lambda m: m.get("type") == "tiles", timeout=10)["tiles"]
        by_name = {t["name"]: t for t in tiles}
        assert set(by_name) == {"Ada", "Bob"} and by_name["Bob"]["state"] == "watching"
        ada_tile = by_name["Ada"]
        assert len(ada_tile["grid"]) == 20 * 20 and ada_tile["epoch"] > 10 and ada_tile["neurons"] == 3
        assert {"name": "hidden_layers", "value": [3], "teacher": [4, 2]} in ada_tile["diff"]
        teacher.wait_for(lambda m: m.get("type") == "tiles", timeout=10)  # another tick has passed...
        send(student, {"type": "ping"})
        received = []
        while not received or received[-1].get("type") != "pong":
            received.append(student.next(5))
        assert [m["type"] for m in received if m["type"] == "tiles"] == []  # ...and the student got none


def test_spotlight_remove_and_reset_all(base_url):
    room = create_room(base_url)
    ada, bob = room.join("Ada"), room.join("Bob")
    fork = room.fork(ada)
    spot = room.as_teacher("spotlight", {"member_id": ada["member_id"]}).json()
    assert (
        spot["name"] == "Ada"
        and spot["watch_id"] == httpx.get(f"{base_url}/api/sessions/{fork}").json()["watch_id"]
    )
    assert httpx.get(room.url()).json()["spotlight"]["name"] == "Ada"
    assert room.as_teacher("spotlight", {"member_id": "nobody"}).status_code == 404
    assert room.as_teacher("reset-all").json() == {"students": 1}
    with open_socket(base_url, f"/ws/rooms/{room.code}") as listener:
        listener.wait_for(lambda m: m.get("type") == "room")
        assert room.as_teacher("remove", {"member_id": ada["member_id"]}).status_code == 200
        assert listener.wait_for(lambda m: m.get("type") == "removed")["member_id"] == ada["member_id"]
    after = httpx.get(room.url()).json()
    assert [s["name"] for s in after["students"]] == ["Bob"] and after["spotlight"]["name"] == ""
    assert httpx.get(f"{base_url}/api/sessions/{fork}").status_code == 404
    gone = httpx.get(room.url("/me"), headers={"X-Member-Token": ada["member_token"]})
    assert gone.status_code == 403
    assert httpx.get(room.url("/me"), headers={"X-Member-Token": bob["member_token"]}).json()["name"] == "Bob"


def test_a_challenge_ranks_runs_that_reach_the_target(base_url):
    room = create_room(base_url)
    ada = room.join("Ada")
    fork = room.fork(ada)
    assert room.as_teacher("challenge", {"dataset": "circle", "target_loss": 0.2}).status_code == 200
    bad = room.as_teacher("challenge", {"dataset": "moon-river", "target_loss": 0.2})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "dataset"
    with (
        open_socket(base_url, f"/ws/rooms/{room.code}") as listener,
        open_client(base_url, fork) as own,
    ):
        own.send({"type": "configure", "changes": {"learning_rate": 0.1, "hidden_layers": [3]}})
        own.send({"type": "start"})
        own.frame(lambda f: f["test_loss"] < 0.2 and f["layers"] == [3], timeout=90)
        seen = listener.wait_for(lambda m: m.get("type") == "room" and m["leaderboard"], timeout=10)
    entry = seen["leaderboard"][0]
    assert entry["name"] == "Ada" and entry["neurons"] == 3 and entry["rank"] == 1


def test_tiles_are_msgpack_with_uint8_grids(base_url):
    room = create_room(base_url)
    room.fork(room.join("Ada"))
    with open_socket(base_url, f"/ws/rooms/{room.code}") as teacher:
        send(teacher, {"type": "auth", "teacher_key": room.teacher_key})
        tile = None
        while tile is None or tile["grid"] is None:  # the fork's first frame may still be on its way
            message = teacher.ws.recv(timeout=10)
            if isinstance(message, bytes):
                tile = msgpack.unpackb(message)["tiles"][0]
    assert isinstance(tile["grid"], bytes) and len(tile["grid"]) == tile["grid_size"] ** 2 == 400


def test_locked_controls_reach_the_room_and_bad_names_are_refused(base_url):
    room = create_room(base_url)
    with open_socket(base_url, f"/ws/rooms/{room.code}") as listener:
        listener.wait_for(lambda m: m.get("type") == "room")
        assert room.as_teacher("lock", {"controls": ["learning-rate", "presets"]}).json() == {
            "locked": ["learning-rate", "presets"]
        }
        seen = listener.wait_for(lambda m: m.get("type") == "room" and m["locked"])
        assert seen["locked"] == ["learning-rate", "presets"]
    bad = room.as_teacher("lock", {"controls": ["<img src=x>"]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "controls"
    assert httpx.get(room.url()).json()["locked"] == ["learning-rate", "presets"]
