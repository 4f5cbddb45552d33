"""Rooms end, and one room cannot hurt another, over real sockets: a teacher closes a room (REST or its
socket) and every page in it is told; idle rooms expire; what a teacher stores is validated on the way in;
a room whose state is broken leaves the other rooms' tiles and snapshots on time."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from live import Client, serve_app
from rooms_client import create_room, open_socket, send


def wait_until(condition, what: str, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling the server's own state


def closed_message(listener: Client) -> tuple[dict, int | None]:
    """The `closed` message a room socket gets, and the close code that follows it."""
    message = listener.wait_for(lambda m: m.get("type") == "closed")
    with pytest.raises(ConnectionClosed) as ended:
        while True:
            listener.next(10)
    return message, ended.value.rcvd.code if ended.value.rcvd else None


@pytest.mark.parametrize("how", ["rest", "socket"])
def test_a_teacher_closes_a_room_its_pages_are_told_and_its_runs_and_rows_go(how):
    with serve_app() as (base, app):
        own_run = httpx.post(base + "/api/sessions", json={}).json()["id"]  # the teacher page's own run
        room = create_room(base, own_run)
        ada = room.join("Ada")
        fork = room.fork(ada)
        hub = app.state.classroom
        with (
            open_socket(base, f"/ws/rooms/{room.code}") as student,
            open_socket(base, f"/ws/rooms/{room.code}") as teacher,
        ):
            student.wait_for(lambda m: m.get("type") == "room")
            teacher.wait_for(lambda m: m.get("type") == "room")
            refused = httpx.delete(room.url(), headers={"X-Teacher-Key": ada["member_token"]})
            assert refused.status_code == 403 and "only the teacher can close the room" in refused.text
            if how == "rest":
                closed = httpx.delete(room.url(), headers={"X-Teacher-Key": room.teacher_key})
                assert closed.status_code == 200 and closed.json() == {"closed": room.code}
            else:
                send(teacher, {"type": "close_room", "teacher_key": room.teacher_key})
            message, code = closed_message(student)
        assert message["code"] == room.code and "the teacher closed the room" in message["message"]
        assert code == 4404
        assert httpx.get(room.url()).status_code == 404
        assert httpx.get(f"{base}/api/sessions/{fork}").status_code == 404  # the room's runs end...
        assert httpx.get(f"{base}/api/sessions/{own_run}").status_code == 200  # ...the teacher's own stays
        assert hub.store.rooms() == [] and hub.store.members() == []
        assert (
            hub.store.snapshot(ada["member_id"]) is None
            and hub.store.snapshot(f"teacher:{room.code}") is None
        )
        assert hub.rooms.quota.count() == 0  # its place under NNPLAY_MAX_ROOMS is free again


def test_a_room_nobody_uses_expires_and_one_in_use_stays():
    with serve_app(room_idle_timeout_s=2) as (base, app):
        idle, used = create_room(base), create_room(base)
        hub = app.state.classroom
        with open_socket(base, f"/ws/rooms/{used.code}") as listener:
            listener.wait_for(lambda m: m.get("type") == "room")
            wait_until(lambda: idle.code not in hub.service.rooms, "the idle room to expire", timeout_s=20)
            assert used.code in hub.service.rooms, "a room with a listener expired"
        assert hub.store.snapshot(f"teacher:{idle.code}") is None
        assert httpx.get(idle.url()).status_code == 404


def test_a_challenge_or_lock_of_the_wrong_shape_is_refused_and_nothing_is_stored(base_url):
    room = create_room(base_url)
    with open_socket(base_url, f"/ws/rooms/{room.code}") as socket:
        socket.wait_for(lambda m: m.get("type") == "room")
        bad = [
            {"type": "challenge", "teacher_key": room.teacher_key, "challenge": {"what": 1}},
            {"type": "challenge", "teacher_key": room.teacher_key, "challenge": {"dataset": 7}},
            {"type": "challenge", "teacher_key": room.teacher_key, "challenge": "spiral"},
            {"type": "lock", "teacher_key": room.teacher_key, "controls": "everything"},
            {"type": "lesson_next", "teacher_key": room.teacher_key, "lesson_id": ["x"]},
        ]
        for message in bad:
            send(socket, message)
            error = socket.error()
            assert error["code"] == "invalid_message", (message, error)
        for raw in (
            '{"type": ["auth"]}',
            '{"type": 5}',
            '{"type": "auth", "teacher_key": 5}',
            '{"type": "remove", "teacher_key": {"a": 1}}',
        ):
            socket.ws.send(raw)  # a non-text type or key is an error, never a traceback
            assert socket.error()["code"] in ("invalid_message", "forbidden"), raw
        send(socket, {"type": "ping"})
        socket.wait_for(lambda m: m.get("type") == "pong")  # the connection lives on
    view = httpx.get(room.url()).json()
    assert view["challenge"] is None and view["locked"] == []
    refused = room.as_teacher("challenge", {"dataset": "spiral", "target_loss": 0.05, "what": 1})
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "what"


def test_a_broken_room_leaves_another_rooms_tiles_and_snapshots_on_time():
    window_s = 12.0
    with serve_app() as (base, app):
        hub = app.state.classroom
        broken, healthy = create_room(base), create_room(base)
        members = {}
        for room in (broken, healthy):
            member = room.join("Ada")
            members[room.code] = member["member_id"]
            session_id = room.fork(member)
            with open_socket(base, f"/ws/sessions/{session_id}") as run:
                send(run, {"type": "start"})
                run.wait_for(lambda m: m.get("type") == "frame")
        with (
            open_socket(base, f"/ws/rooms/{broken.code}") as first,
            open_socket(base, f"/ws/rooms/{healthy.code}") as second,
        ):
            for listener, room in ((first, broken), (second, healthy)):
                send(listener, {"type": "auth", "teacher_key": room.teacher_key})
                listener.wait_for(lambda m: m.get("type") == "auth")
            # What a challenge stored before they were validated looked like: it raised on every tick.
            hub.service.rooms[broken.code].challenge = {"what": 1}
            tiles, ages = 0, []
            deadline = time.monotonic() + window_s
            while time.monotonic() < deadline:
                try:
                    message = second.ws.recv(timeout=0.5)
                    tiles += isinstance(message, bytes) and b"tiles" in message
                except TimeoutError:
                    pass
                row = hub.store.snapshot(members[healthy.code])
                ages.append(time.time() - row.updated_at if row else float("inf"))
        assert tiles >= window_s / 2, f"the healthy room got {tiles} tile messages in {window_s:.0f} s"
        worst = max(ages[len(ages) // 2 :])  # after the first snapshot interval has passed
        assert worst < 8, f"the healthy room's run snapshot was {worst:.1f} s old (every 5 s when it changes)"


def test_a_stored_challenge_of_the_wrong_shape_is_dropped_when_the_rooms_are_loaded(tmp_path):
    with serve_app(data_dir=str(tmp_path)) as (base, app):
        room = create_room(base)
    from nnplay.classroom.store import ClassroomStore

    store = ClassroomStore(tmp_path)
    store.update_room(room.code, challenge={"what": 1})
    store.close()
    with serve_app(data_dir=str(tmp_path)) as (base, app):
        assert httpx.get(f"{base}/api/rooms/{room.code}").json()["challenge"] is None
        assert json.dumps(app.state.classroom.service.rooms[room.code].challenge) == "null"


def test_closing_a_room_ends_the_presence_of_its_members():
    with serve_app() as (base, app):
        room = create_room(base)
        ada = room.join("Ada")
        hub = app.state.classroom
        with open_socket(base, f"/ws/rooms/{room.code}") as page:
            page.wait_for(lambda m: m.get("type") == "room")
            send(page, {"type": "auth", "member_token": ada["member_token"]})
            page.wait_for(lambda m: m.get("type") == "auth")
            assert hub.presence.present(room.code) == {ada["member_id"]}
            closed = httpx.delete(room.url(), headers={"X-Teacher-Key": room.teacher_key})
            # Answered once the room is closed: nobody is present in it, whether or not the page's socket
            # has ended yet.
            assert closed.status_code == 200 and hub.presence.present(room.code) == set()
            message, code = closed_message(page)
        assert "the teacher closed the room" in message["message"] and code == 4404
        assert hub.presence.present(room.code) == set()
