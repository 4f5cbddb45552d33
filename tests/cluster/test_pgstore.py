"""The Postgres store: the SQLite store's behaviour, and fencing by the owner's epoch (real Postgres)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nnplay.classroom.rooms import RoomService
from nnplay.cluster.pgstore import FencedOut, PostgresStore


def test_rooms_members_and_snapshots_round_trip_through_postgres(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn, "shard-0")
    store.add_room("ABCDEF", b"k" * 32)
    store.update_room("ABCDEF", lesson_id="features", lesson_step=2, locked=["learning_rate"])
    store.update_room("ABCDEF", challenge={"dataset": "spiral"})
    store.add_member("m1", "ABCDEF", "Ada", b"t" * 32)
    store.set_member_mode("m1", "forked")
    store.save_snapshot("m1", {"dataset": "spiral"}, b"weights", 120, b"points", training=True)
    store.save_snapshot("teacher:ABCDEF", {"dataset": "xor"}, b"w2", 7, None)
    store.save_snapshot("m1", {"dataset": "spiral"}, b"weights2", 130, b"points", training=True)

    (room,) = store.rooms()
    assert (room.code, room.lesson_id, room.lesson_step, room.locked) == (
        "ABCDEF",
        "features",
        2,
        ["learning_rate"],
    )
    assert room.challenge == {"dataset": "spiral"}
    (member,) = store.members()
    assert (member.id, member.name, member.mode, member.token_hash) == ("m1", "Ada", "forked", b"t" * 32)
    snap = store.snapshot("m1")
    assert snap is not None and (snap.weights, snap.epoch, snap.points, snap.training) == (
        b"weights2",
        130,
        b"points",
        True,
    )
    teacher = store.snapshot("teacher:ABCDEF")
    assert teacher is not None and teacher.points is None and not teacher.training
    store.remove_member("m1")
    assert store.members() == [] and store.snapshot("m1") is None
    store.delete_room("ABCDEF", ["teacher:ABCDEF"])
    assert store.rooms() == [] and store.snapshot("teacher:ABCDEF") is None


def test_a_shard_sees_only_its_own_rooms(postgres_dsn: str) -> None:
    a, b = PostgresStore(postgres_dsn, "shard-0"), PostgresStore(postgres_dsn, "shard-1")
    a.add_room("AAAAAA", b"k")
    b.add_room("BBBBBB", b"k")
    a.add_member("ma", "AAAAAA", "Ada", b"t")
    assert [r.code for r in a.rooms()] == ["AAAAAA"] and [m.id for m in a.members()] == ["ma"]
    assert [r.code for r in b.rooms()] == ["BBBBBB"] and b.members() == []


def test_a_restarted_shard_fences_out_its_former_incarnation(postgres_dsn: str) -> None:
    old = PostgresStore(postgres_dsn, "shard-0")
    old.add_room("ABCDEF", b"k")
    old.add_member("m1", "ABCDEF", "Ada", b"t")
    old.save_snapshot("m1", {"dataset": "spiral"}, b"good", 100, None)
    new = PostgresStore(postgres_dsn, "shard-0")  # the same shard, restarted: a new epoch claims its rooms
    assert new.epoch > old.epoch
    assert [r.code for r in new.rooms()] == ["ABCDEF"]
    new.save_snapshot("m1", {"dataset": "spiral"}, b"newer", 150, None)

    for stale_write in (
        lambda: old.save_snapshot("m1", {"dataset": "spiral"}, b"stale", 90, None),
        lambda: old.update_room("ABCDEF", lesson_step=5),
        lambda: old.touch_room("ABCDEF", 1.0),
        lambda: old.set_member_mode("m1", "watching"),
        lambda: old.add_member("m2", "ABCDEF", "Bob", b"t"),
        lambda: old.remove_member("m1"),
        lambda: old.delete_room("ABCDEF", ["m1"]),
    ):
        with pytest.raises(FencedOut):
            stale_write()
    snap = new.snapshot("m1")
    assert snap is not None and (snap.weights, snap.epoch) == (b"newer", 150)
    (room,) = new.rooms()
    assert room.lesson_step == -1 and [m.mode for m in new.members()] == ["watching"]
    assert old.rooms() == []


def test_taking_over_a_lost_shard_moves_its_rooms_and_refuses_the_lost_shards_writes(
    postgres_dsn: str,
) -> None:
    lost, survivor = PostgresStore(postgres_dsn, "shard-0"), PostgresStore(postgres_dsn, "shard-1")
    lost.add_room("ABCDEF", b"k")
    assert survivor.take_over("shard-0") == ["ABCDEF"]
    assert survivor.owns("ABCDEF") and not lost.owns("ABCDEF")
    with pytest.raises(FencedOut):
        lost.update_room("ABCDEF", spotlight="x")
    survivor.update_room("ABCDEF", spotlight="y")
    assert [r.spotlight for r in survivor.rooms()] == ["y"]


def test_the_room_service_keeps_rooms_and_members_in_postgres_across_a_restart(postgres_dsn: str) -> None:
    service = RoomService(PostgresStore(postgres_dsn, "shard-0"))
    room, _key = service.create()
    member, _token = service.join(room, "Ada")
    service.set_room(room, lesson_id="features", lesson_step=1)
    again = RoomService(PostgresStore(postgres_dsn, "shard-0"))
    back = again.rooms[room.code]
    assert (back.lesson_id, back.lesson_step, list(back.members)) == ("features", 1, [member.id])
    with pytest.raises(FencedOut):  # the first incarnation can no longer write
        service.join(room, "Bob")


def test_saved_runs_in_postgres_are_every_shards_and_names_stay_unique(postgres_dsn: str) -> None:
    from nnplay.cluster.pgruns import PostgresRunStore
    from nnplay.saved_runs.store import RunExists, SavedRunRow

    one, two = PostgresRunStore(postgres_dsn), PostgresRunStore(postgres_dsn)  # two shards' stores
    row = SavedRunRow(
        "spiral 8x8", "playground", {"dataset": "spiral"}, b"\x00state\xff", 120, None,
        {"epoch": [0, 120], "test_loss": [0.5, 0.1]}, {"test_loss": 0.1}, 1000.0,
    )  # fmt: skip
    one.put(row)
    assert two.get("spiral 8x8") == row  # bytes, JSON and figures round-trip
    with pytest.raises(RunExists):
        two.put(replace(row, epoch=200))
    two.put(replace(row, epoch=200, own_data=b"points", saved_at=2000.0), overwrite=True)
    assert one.get("spiral 8x8").epoch == 200 and one.get("spiral 8x8").own_data == b"points"
    one.put(replace(row, name="older", saved_at=10.0))
    assert [r.name for r in two.rows()] == ["spiral 8x8", "older"]  # the newest first
    assert one.delete("older") and not two.delete("older") and two.get("older") is None
    one.close()
    two.close()
