"""Rooms survive a restart: a real `nnplay serve` process, stopped and started on the same data directory."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nnplay import inprocess

from live import open_client, serve_app
from rooms_client import RoomHandle, create_room


@contextlib.contextmanager
def server_process(data_dir: Path, log: Path) -> Iterator[str]:
    """`nnplay serve` on NNPLAY_DATA_DIR, stopped with SIGTERM (graceful: rooms are snapshotted)."""
    env = {"NNPLAY_DATA_DIR": str(data_dir), "NNPLAY_WARMUP": "false"}
    with inprocess.server_process(log, "--log-level", "warning", env=env) as base:
        yield base
    assert "Traceback" not in log.read_text()


def _train_and_pause(base: str, session_id: str, epochs: int, changes: dict) -> int:
    with open_client(base, session_id) as client:
        client.send({"type": "configure", "changes": changes})
        client.send({"type": "start"})
        client.frame(lambda f: f["epoch"] >= epochs, timeout=90)
        client.send({"type": "pause"})
        client.wait_for(lambda m: m.get("type") == "status" and m["state"] == "paused")
    return int(httpx.get(f"{base}/api/sessions/{session_id}").json()["epoch"])


def test_a_restart_on_the_same_data_dir_brings_back_rooms_members_lesson_and_runs(tmp_path):
    log = tmp_path / "server.log"
    with server_process(tmp_path / "data", log) as base:
        room = create_room(base)
        ada, bob = room.join("Ada"), room.join("Bob")
        room.as_teacher("lesson-next", {"lesson_id": "learning-rate"})
        room.as_teacher("lesson-next")
        teacher_epoch = _train_and_pause(base, room.session_id, 30, {"noise": 10})
        fork = room.fork(ada)
        ada_epoch = _train_and_pause(
            base, fork, teacher_epoch + 40, {"learning_rate": 0.1, "hidden_layers": [5]}
        )
        with open_client(base, fork) as client:
            weights = client.frame(lambda f: f["epoch"] == ada_epoch)["weights"]
        before = httpx.get(room.url()).json()
    with server_process(tmp_path / "data", log) as base:
        room = RoomHandle(base, room.code, room.teacher_key, "", "")
        after = httpx.get(room.url()).json()
        assert [s["name"] for s in after["students"]] == ["Ada", "Bob"]
        assert after["lesson"] == before["lesson"] and after["lesson"]["step"] == 1
        students = {s["name"]: s for s in after["students"]}
        assert students["Ada"]["mode"] == "forked" and students["Ada"]["epoch"] == ada_epoch
        assert students["Bob"]["mode"] == "watching"
        # The teacher pushes before any student is back: Ada's stored run is restored and gets it too
        # (continuing from its weights, as the teacher chose).
        pushed = room.as_teacher("push-config", {"changes": {"batch_size": 20}, "keep_weights": True})
        assert pushed.json()["students"] == 1 and pushed.json()["mode"] == "continue"
        # Ada's page reconnects: her run comes back with its config, weights and epoch.
        me = httpx.get(room.url("/me"), headers={"X-Member-Token": ada["member_token"]}).json()
        assert me["mode"] == "forked" and me["session_id"] and me["session_id"] != fork
        with open_client(base, me["session_id"]) as client:
            frame = client.frame(lambda f: f["epoch"] == ada_epoch)
        assert frame["weights"] == weights and frame["layers"] == [5]
        config = httpx.get(f"{base}/api/sessions/{me['session_id']}").json()["config"]
        assert config["learning_rate"] == 0.1 and config["batch_size"] == 20
        # The teacher's page reconnects with its key: the teacher's run is back too.
        teacher = httpx.get(room.url("/teacher"), headers={"X-Teacher-Key": room.teacher_key}).json()
        summary = httpx.get(f"{base}/api/sessions/{teacher['session_id']}").json()
        assert summary["config"]["noise"] == 10 and summary["config"]["learning_rate"] == 0.03
        with open_client(base, teacher["session_id"]) as client:
            client.frame(lambda f: f["epoch"] == teacher_epoch)
        assert httpx.get(room.url("/me"), headers={"X-Member-Token": bob["member_token"]}).json()["mode"] == (
            "watching"
        )
        assert httpx.get(room.url("/teacher"), headers={"X-Teacher-Key": "nope"}).status_code == 403


def test_runs_that_were_training_train_again_after_a_restart_without_anyone_asking(tmp_path):
    log = tmp_path / "server.log"
    with server_process(tmp_path / "data", log) as base:
        room = create_room(base)
        ada = room.join("Ada")
        fork = room.fork(ada)
        paused_epoch = _train_and_pause(base, room.session_id, 20, {})  # the teacher's run: paused
        with open_client(base, fork) as client:  # Ada's run: training when the server stops
            client.send({"type": "start"})
            client.frame(lambda f: f["epoch"] >= 50, timeout=90)
    with server_process(tmp_path / "data", log) as base:
        room = RoomHandle(base, room.code, room.teacher_key, "", "")

        def ada_run() -> dict:
            return dict(next(s for s in httpx.get(room.url()).json()["students"] if s["name"] == "Ada"))

        deadline = time.monotonic() + 90
        while not (ada_run()["state"] == "training" and ada_run()["epoch"] > 100):
            assert time.monotonic() < deadline, f"Ada's run did not train on: {ada_run()}"
            time.sleep(0.2)
        # Her page comes back to the run it left, training; the teacher's paused run stays paused.
        me = httpx.get(room.url("/me"), headers={"X-Member-Token": ada["member_token"]}).json()
        assert httpx.get(f"{base}/api/sessions/{me['session_id']}").json()["state"] == "training"
        assert me["restore_note"] == ""
        teacher = httpx.get(room.url("/teacher"), headers={"X-Teacher-Key": room.teacher_key}).json()
        summary = httpx.get(f"{base}/api/sessions/{teacher['session_id']}").json()
        assert summary["state"] == "paused"
        with open_client(base, teacher["session_id"]) as client:
            client.frame(lambda f: f["epoch"] == paused_epoch)


def _as_version_2_of(data_dir: Path, line_of_work: str) -> None:
    """Make the file what that line of work's version 2 wrote: issue 24's had no `rooms.last_active`,
    issue 25's no `snapshots.training` (each added its column last, so the rest is as it was)."""
    with sqlite3.connect(data_dir / "classroom.sqlite3") as db:
        if line_of_work == "issue-24":
            db.execute("ALTER TABLE rooms DROP COLUMN last_active")
        else:
            db.execute("ALTER TABLE snapshots DROP COLUMN training")
        db.execute("PRAGMA user_version=2")


@pytest.mark.parametrize("line_of_work", ["issue-24", "issue-25"])
def test_a_version_2_file_of_either_line_of_work_brings_its_room_and_runs_back(tmp_path, line_of_work):
    with serve_app(data_dir=str(tmp_path)) as (base, _):
        room = create_room(base)
        ada = room.join("Ada")
        fork = room.fork(ada)
        with open_client(base, fork) as client:  # Ada's run: training when the server stops
            client.send({"type": "start"})
            client.frame(lambda f: f["epoch"] >= 50, timeout=90)
    _as_version_2_of(tmp_path, line_of_work)
    with serve_app(data_dir=str(tmp_path)) as (base, app):
        room = RoomHandle(base, room.code, room.teacher_key, "", "")
        assert app.state.classroom.service.rooms[room.code].last_active > 0  # an idle clock that works
        me = httpx.get(room.url("/me"), headers={"X-Member-Token": ada["member_token"]}).json()
        run = httpx.get(f"{base}/api/sessions/{me['session_id']}").json()
        assert me["mode"] == "forked" and run["epoch"] >= 50
        if line_of_work == "issue-24":  # its file said the run was training: it trains on by itself
            with open_client(base, me["session_id"]) as client:
                client.frame(lambda f: f["epoch"] > run["epoch"] and f["state"] == "training", timeout=60)
        else:  # nothing said it was training: it is back, paused, where it was
            assert run["state"] == "paused"
