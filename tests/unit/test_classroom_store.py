"""The classroom store's schema upgrades (classroom/store.py): every file an earlier nnplay wrote opens
with its rows as they were and the columns added since.

Version 2 was written by two lines of work in parallel: issue 25's (`rooms.last_active`, for idle rooms
to expire) and issue 24's (`snapshots.training`, for a training run to train again after a restart). The
files below are written with those schemas spelled out here, as each version's code wrote them, not
derived from the code under test.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from nnplay.classroom.rooms import RoomService
from nnplay.classroom.store import ClassroomStore

ROOMS_V1 = """CREATE TABLE rooms (
    code TEXT PRIMARY KEY,
    teacher_key_hash BLOB NOT NULL,
    created_at REAL NOT NULL,
    lesson_id TEXT NOT NULL DEFAULT '',
    lesson_step INTEGER NOT NULL DEFAULT -1,
    spotlight TEXT NOT NULL DEFAULT '',
    challenge TEXT NOT NULL DEFAULT '',
    locked TEXT NOT NULL DEFAULT '[]'{rooms_extra}
);"""
MEMBERS_V1 = """CREATE TABLE members (
    id TEXT PRIMARY KEY,
    room_code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    token_hash BLOB NOT NULL,
    joined_at REAL NOT NULL,
    mode TEXT NOT NULL DEFAULT 'watching',
    UNIQUE (room_code, name_key)
);"""
SNAPSHOTS_V1 = """CREATE TABLE snapshots (
    owner TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    weights BLOB NOT NULL,
    epoch INTEGER NOT NULL,
    points BLOB,
    updated_at REAL NOT NULL{snapshots_extra}
);"""
LAST_ACTIVE = ",\n    last_active REAL NOT NULL DEFAULT 0"  # issue 25's version 2
TRAINING = ",\n    training INTEGER NOT NULL DEFAULT 0"  # issue 24's version 2


def write_old_file(path: Path, version: int, rooms_extra: str = "", snapshots_extra: str = "") -> None:
    """A classroom file as an earlier nnplay left it: one room (made at t=1234.5), one forked member,
    and two snapshots ('teacher:ABCDEF' at epoch 7 and the member's at epoch 9)."""
    with sqlite3.connect(path / "classroom.sqlite3") as db:
        db.executescript(
            ROOMS_V1.format(rooms_extra=rooms_extra)
            + MEMBERS_V1
            + SNAPSHOTS_V1.format(snapshots_extra=snapshots_extra)
        )
        db.execute(
            "INSERT INTO rooms (code, teacher_key_hash, created_at, lesson_id, lesson_step) "
            "VALUES ('ABCDEF', x'00', 1234.5, 'xor', 1)"
        )
        db.execute(
            "INSERT INTO members (id, room_code, name, name_key, token_hash, joined_at, mode) "
            "VALUES ('m1', 'ABCDEF', 'Ada', 'ada', x'01', 1240.0, 'forked')"
        )
        for owner, epoch in (("teacher:ABCDEF", 7), ("m1", 9)):
            db.execute(
                "INSERT INTO snapshots (owner, config, weights, epoch, points, updated_at) "
                "VALUES (?, '{\"noise\": 5}', x'02', ?, NULL, 1250.0)",
                (owner, epoch),
            )
        if rooms_extra:  # issue 25's code wrote a room's activity when it made the room
            db.execute("UPDATE rooms SET last_active = created_at")
        db.execute(f"PRAGMA user_version={version}")


def file_version(path: Path) -> int:
    with sqlite3.connect(path / "classroom.sqlite3") as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def assert_rows_kept(store: ClassroomStore) -> None:
    """What every old file holds comes back as it was written."""
    (room,) = store.rooms()
    assert (room.code, room.created_at, room.lesson_id, room.lesson_step) == ("ABCDEF", 1234.5, "xor", 1)
    (member,) = store.members()
    assert (member.id, member.name, member.mode) == ("m1", "Ada", "forked")
    teacher, student = store.snapshot("teacher:ABCDEF"), store.snapshot("m1")
    assert teacher is not None and (teacher.epoch, teacher.config) == (7, {"noise": 5})
    assert student is not None and student.epoch == 9 and student.weights == b"\x02"


def test_a_version_1_file_gains_room_activity_from_its_creation_and_paused_snapshots(tmp_path):
    write_old_file(tmp_path, version=1)
    store = ClassroomStore(tmp_path)
    assert_rows_kept(store)
    assert store.rooms()[0].last_active == 1234.5  # last active when made: idle since, as it was
    assert store.snapshot("m1").training is False  # nothing said it trained: it comes back paused
    store.save_snapshot("m1", {"noise": 5}, b"\x03", 10, None, training=True)
    store.touch_room("ABCDEF", 5000.0)
    store.close()
    assert file_version(tmp_path) == 3
    again = ClassroomStore(tmp_path)  # opened again: no second upgrade, the new values stay
    assert again.snapshot("m1").training is True and again.rooms()[0].last_active == 5000.0


def test_issue_25s_version_2_file_keeps_room_activity_and_gains_paused_snapshots(tmp_path):
    write_old_file(tmp_path, version=2, rooms_extra=LAST_ACTIVE)
    with sqlite3.connect(tmp_path / "classroom.sqlite3") as db:
        db.execute("UPDATE rooms SET last_active = 4321.0")  # used after it was made
    store = ClassroomStore(tmp_path)
    assert_rows_kept(store)
    assert store.rooms()[0].last_active == 4321.0  # kept, not reset to its creation time
    assert store.snapshot("teacher:ABCDEF").training is False
    store.save_snapshot("teacher:ABCDEF", {"noise": 5}, b"\x03", 8, None, training=True)
    assert store.snapshot("teacher:ABCDEF").training is True
    store.close()
    assert file_version(tmp_path) == 3


def test_issue_24s_version_2_file_keeps_which_runs_trained_and_gains_room_activity(tmp_path):
    write_old_file(tmp_path, version=2, snapshots_extra=TRAINING)
    with sqlite3.connect(tmp_path / "classroom.sqlite3") as db:
        db.execute("UPDATE snapshots SET training = 1 WHERE owner = 'm1'")  # the student's run was training
    store = ClassroomStore(tmp_path)
    assert_rows_kept(store)
    assert store.snapshot("m1").training is True  # it trains again after the restart
    assert store.snapshot("teacher:ABCDEF").training is False
    assert store.rooms()[0].last_active == 1234.5
    store.close()
    assert file_version(tmp_path) == 3


@pytest.mark.parametrize(
    ("version", "rooms_extra", "snapshots_extra"),
    [(1, "", ""), (2, LAST_ACTIVE, ""), (2, "", TRAINING)],
    ids=["v1", "v2-issue-25", "v2-issue-24"],
)
def test_an_upgraded_file_loads_its_room_member_and_run_into_the_room_service(
    tmp_path, version, rooms_extra, snapshots_extra
):
    write_old_file(tmp_path, version, rooms_extra, snapshots_extra)
    service = RoomService(ClassroomStore(tmp_path))
    room = service.rooms["ABCDEF"]
    assert room.lesson_id == "xor" and room.lesson_step == 1 and room.last_active == 1234.5
    assert [(m.name, m.mode) for m in room.members.values()] == [("Ada", "forked")]


def test_a_current_file_opens_as_it_is(tmp_path):
    store = ClassroomStore(tmp_path)
    store.add_room("ABCDEF", b"\x00")
    store.save_snapshot("teacher:ABCDEF", {}, b"\x01", 3, None, training=True)
    store.close()
    again = ClassroomStore(tmp_path)
    assert again.snapshot("teacher:ABCDEF").training is True and [r.code for r in again.rooms()] == ["ABCDEF"]
    assert file_version(tmp_path) == 3
