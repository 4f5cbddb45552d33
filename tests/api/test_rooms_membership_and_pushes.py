"""A class in one state: pushes that leave every student's run alike (all afresh or all continued, as the
teacher chose), members who leave for good, and who is present or away."""

from __future__ import annotations

import time

import httpx

from live import open_client
from rooms_client import RoomHandle, create_room, open_socket, send


def _summary(base: str, session_id: str) -> dict:
    return dict(httpx.get(f"{base}/api/sessions/{session_id}").json())


def _drive(base: str, session_id: str, commands: list[dict], until_epoch: int = 0) -> None:
    """Send `commands` and wait until they are applied (a run at `until_epoch` or past it, or paused)."""
    with open_client(base, session_id) as client:
        for command in commands:
            client.send(command)
        if until_epoch:
            client.frame(lambda f: f["epoch"] >= until_epoch, timeout=60)
    deadline = time.monotonic() + 30
    while not _applied(base, session_id, commands):
        assert time.monotonic() < deadline, f"{commands} not applied"
        time.sleep(0.05)


def _applied(base: str, session_id: str, commands: list[dict]) -> bool:
    run = _summary(base, session_id)
    steps = sum(c["type"] == "step" for c in commands)
    changes = [c["changes"] for c in commands if c["type"] == "configure"]
    return all(run["config"][k] == v for c in changes for k, v in c.items()) and (
        not steps or (run["epoch"] == steps and run["state"] == "paused")
    )


def _first_frame_weights(base: str, session_id: str) -> list[bytes]:
    with open_client(base, session_id) as client:
        return list(client.frame()["weights"])


def _three_students_in_three_states(room: RoomHandle) -> dict[str, str]:
    forks = {name: room.fork(room.join(name)) for name in ("Ada", "Bob", "Cy")}
    base = room.base
    _drive(base, forks["Ada"], [{"type": "start"}], until_epoch=60)  # still training
    faster = {"type": "configure", "changes": {"learning_rate": 0.3}}
    _drive(base, forks["Bob"], [faster] + [{"type": "step"}] * 5)
    _drive(base, forks["Cy"], [{"type": "configure", "changes": {"hidden_layers": [3]}}, {"type": "step"}])
    states = {name: _summary(base, sid) for name, sid in forks.items()}
    assert states["Ada"]["state"] == "training" and states["Bob"]["epoch"] == 5
    assert states["Cy"]["config"]["hidden_layers"] == [3]
    return forks


def test_a_push_of_a_new_activation_starts_every_students_run_afresh_in_one_state(base_url):
    room = create_room(base_url)
    forks = _three_students_in_three_states(room)
    _drive(base_url, room.session_id, [{"type": "configure", "changes": {"activation": "relu"}}])
    teacher = _summary(base_url, room.session_id)["config"]
    with open_socket(base_url, f"/ws/rooms/{room.code}") as listener:
        listener.wait_for(lambda m: m.get("type") == "room")
        response = room.as_teacher("push-config")  # the teacher's whole config, every run afresh
        pushed = listener.wait_for(lambda m: m.get("type") == "pushed")
    report = response.json()
    assert report["mode"] == "fresh" and report["students"] == 3 and report["applied"] == 3
    assert pushed["runs"] == report["runs"]
    assert {(r["epoch"], r["state"]) for r in report["runs"]} == {(0, "paused")}
    runs = {name: _summary(base_url, sid) for name, sid in forks.items()}
    for name, run in runs.items():
        assert run["config"] == teacher, name
        assert (run["epoch"], run["state"]) == (0, "paused"), name
    # The same settings and seed: the same new weights, in every run.
    weights = [_first_frame_weights(base_url, sid) for sid in forks.values()]
    assert weights[0] == weights[1] == weights[2]


def test_a_continuing_push_keeps_every_runs_own_weights_and_epoch(base_url):
    room = create_room(base_url)
    forks = {name: room.fork(room.join(name)) for name in ("Ada", "Bob", "Cy")}
    for steps, sid in zip((3, 5, 7), forks.values(), strict=True):
        _drive(base_url, sid, [{"type": "step"}] * steps)
    before = {name: _first_frame_weights(base_url, sid) for name, sid in forks.items()}
    _drive(base_url, room.session_id, [{"type": "configure", "changes": {"activation": "relu"}}])
    report = room.as_teacher("push-config", {"keep_weights": True}).json()
    assert report["mode"] == "continue" and report["applied"] == 3
    assert [r["epoch"] for r in report["runs"]] == [3, 5, 7]
    teacher = _summary(base_url, room.session_id)["config"]
    for name, sid in forks.items():
        run = _summary(base_url, sid)
        assert run["config"] == teacher and run["state"] == "paused", name
        assert _first_frame_weights(base_url, sid) == before[name], name  # continued from its own weights


def test_leave_removes_the_member_and_their_run_and_frees_the_name(base_url):
    room = create_room(base_url)
    ada = room.join("Ada")
    fork = room.fork(ada)
    token = {"X-Member-Token": ada["member_token"]}
    with open_socket(base_url, f"/ws/rooms/{room.code}") as listener:
        listener.wait_for(lambda m: m.get("type") == "room" and len(m["students"]) == 1)
        response = httpx.post(room.url("/leave"), headers=token)
        assert response.status_code == 200 and response.json() == {"left": ada["member_id"]}
        listener.wait_for(lambda m: m.get("type") == "room" and m["students"] == [])
    assert httpx.get(f"{base_url}/api/sessions/{fork}").status_code == 404
    assert httpx.get(room.url("/me"), headers=token).status_code == 403  # the old token is spent
    again = room.join("Ada")  # the name is free again
    assert again["member_id"] != ada["member_id"]
    assert httpx.post(room.url("/leave")).status_code == 403  # leaving needs one's own token


def test_a_member_is_present_while_their_page_holds_the_room_socket_and_away_after(base_url):
    room = create_room(base_url)
    ada = room.join("Ada")

    def present(listener) -> bool:
        view = listener.wait_for(lambda m: m.get("type") == "room")
        return bool(view["students"][0]["present"])

    with open_socket(base_url, f"/ws/rooms/{room.code}") as teacher:
        assert present(teacher) is False
        with open_socket(base_url, f"/ws/rooms/{room.code}") as page:
            page.wait_for(lambda m: m.get("type") == "room")
            send(page, {"type": "auth", "member_token": ada["member_token"]})
            assert page.wait_for(lambda m: m.get("type") == "auth")["role"] == "student"
            assert present(teacher) is True
            send(page, {"type": "auth", "member_token": "not-a-token"})
            assert page.error()["code"] == "forbidden"
        assert present(teacher) is False  # the tab closed: away, still a member
    assert [s["name"] for s in httpx.get(room.url()).json()["students"]] == ["Ada"]


def test_a_members_auth_of_the_wrong_shape_is_refused_by_name_and_the_socket_lives_on(base_url):
    room = create_room(base_url)
    ada = room.join("Ada")
    with open_socket(base_url, f"/ws/rooms/{room.code}") as page:
        page.wait_for(lambda m: m.get("type") == "room")
        for message, field in (
            ({"type": "auth", "member_token": 5}, "member_token"),
            ({"type": "auth", "member_token": ["a"]}, "member_token"),
            ({"type": "auth", "member_token": "x" * 300}, "member_token"),
            ({"type": "auth", "member_token": ada["member_token"], "present": True}, "present"),
        ):
            send(page, message)
            error = page.error()
            assert (error["code"], error["field"]) == ("invalid_message", field), (message, error)
        assert httpx.get(room.url()).json()["students"][0]["present"] is False  # none of them counted
        send(page, {"type": "auth", "member_token": ada["member_token"]})
        auth = page.wait_for(lambda m: m.get("type") == "auth")
        assert auth == {"type": "auth", "role": "student", "member_id": ada["member_id"]}


def test_a_push_over_the_room_socket_is_validated_and_reports_each_run(base_url):
    room = create_room(base_url)
    ada = room.join("Ada")
    fork = room.fork(ada)
    _drive(base_url, fork, [{"type": "step"}] * 4)
    with open_socket(base_url, f"/ws/rooms/{room.code}") as teacher:
        teacher.wait_for(lambda m: m.get("type") == "room")
        key = room.teacher_key
        send(teacher, {"type": "push_config", "teacher_key": key, "keep_weights": "sometimes"})
        error = teacher.error()
        assert (error["code"], error["field"]) == ("invalid_message", "keep_weights")
        send(teacher, {"type": "push_config", "member_token": ada["member_token"], "keep_weights": True})
        assert teacher.error()["code"] == "forbidden"  # the key before the fields: a student gets no further
        assert _summary(base_url, fork)["epoch"] == 4  # neither reached the run
        changes = {"learning_rate": 0.1}
        send(teacher, {"type": "push_config", "teacher_key": key, "changes": changes, "keep_weights": True})
        pushed = teacher.wait_for(lambda m: m.get("type") == "pushed")
    assert pushed["changes"] == changes and pushed["mode"] == "continue"
    assert (pushed["students"], pushed["applied"]) == (1, 1)
    (run,) = pushed["runs"]
    assert (run["id"], run["name"], run["applied"], run["epoch"]) == (ada["member_id"], "Ada", True, 4)
    assert _summary(base_url, fork)["config"]["learning_rate"] == 0.1


def test_leave_takes_its_room_and_member_from_the_shared_dependencies(base_url):
    room = create_room(base_url)
    ada = room.join("Ada")
    token = {"X-Member-Token": ada["member_token"]}
    wrong_room = httpx.post(f"{base_url}/api/rooms/ZZZZZZ/leave", headers=token)
    assert wrong_room.status_code == 404 and "no room with code 'ZZZZZZ'" in wrong_room.json()["detail"]
    as_teacher = httpx.post(room.url("/leave"), headers={"X-Member-Token": room.teacher_key})
    assert as_teacher.status_code == 403 and "X-Member-Token" in as_teacher.json()["detail"]
    assert [s["name"] for s in httpx.get(room.url()).json()["students"]] == ["Ada"]
    assert httpx.post(room.url("/leave"), headers=token).json() == {"left": ada["member_id"]}
