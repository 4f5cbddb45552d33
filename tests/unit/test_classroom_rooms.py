"""Classroom pieces without a server: names, codes, the store, run snapshots, lessons."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from nnplay.classroom.lessons import LESSONS
from nnplay.classroom.rooms import (
    CODE_ALPHABET,
    BadName,
    RoomService,
    TooManyWrongCodes,
    check_name,
    normalize_code,
)
from nnplay.classroom.store import ClassroomStore, StoreError
from nnplay.engine.snapshot import SnapshotError, state_from_bytes, state_to_bytes
from nnplay.engine.trainer import Trainer
from nnplay.schemas import make_config


def test_room_codes_avoid_characters_that_look_alike(tmp_path):
    assert not set(CODE_ALPHABET) & set("0O1IL")
    service = RoomService(ClassroomStore(tmp_path))
    codes = [service.create()[0].code for _ in range(50)]
    assert all(len(c) == 6 and set(c) <= set(CODE_ALPHABET) for c in codes) and len(set(codes)) == 50
    assert normalize_code(" ab3-k7q ") == "AB3K7Q"


@pytest.mark.parametrize("name", ["Ada", "José", "anne-marie_2.0", "x" * 24, "  Bob  "])
def test_good_names_are_kept_trimmed(name):
    assert check_name(name) == name.strip()


@pytest.mark.parametrize("name", ["", "x" * 25, "<b>", "a/b", "tab\there", None, "😀"])
def test_bad_names_are_refused(name):
    with pytest.raises(BadName):
        check_name(name)


def test_the_store_keeps_rooms_members_and_digests_only(tmp_path):
    service = RoomService(ClassroomStore(tmp_path))
    room, key = service.create()
    _, token = service.join(room, "Ada")
    service.set_room(
        room, lesson_id="softmax", lesson_step=1, challenge={"dataset": "spiral", "target_loss": 0.05}
    )
    service.store.close()
    raw = (tmp_path / "classroom.sqlite3").read_bytes()
    assert key.encode() not in raw and token.encode() not in raw
    again = RoomService(ClassroomStore(tmp_path))
    restored = again.rooms[room.code]
    assert restored.lesson_step == 1 and restored.challenge == {"dataset": "spiral", "target_loss": 0.05}
    assert again.is_teacher(restored, key) and not again.is_teacher(restored, token)
    assert again.member_of(restored, token).name == "Ada" and again.member_of(restored, key) is None


def test_a_newer_schema_is_refused(tmp_path):
    ClassroomStore(tmp_path).close()
    with sqlite3.connect(tmp_path / "classroom.sqlite3") as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(StoreError, match="schema version 99"):
        ClassroomStore(tmp_path)


def test_a_version_1_file_is_migrated_and_a_snapshot_remembers_whether_its_run_was_training(tmp_path):
    with sqlite3.connect(tmp_path / "classroom.sqlite3") as db:  # the version 1 schema, one snapshot in it
        db.execute(
            "CREATE TABLE snapshots (owner TEXT PRIMARY KEY, config TEXT NOT NULL, weights BLOB NOT NULL, "
            "epoch INTEGER NOT NULL, points BLOB, updated_at REAL NOT NULL)"
        )
        db.execute("INSERT INTO snapshots VALUES ('old', '{}', x'00', 7, NULL, 0)")
        db.execute("PRAGMA user_version=1")
    store = ClassroomStore(tmp_path)
    old = store.snapshot("old")
    assert old is not None and old.epoch == 7 and old.training is False
    store.save_snapshot("new", {"noise": 5}, b"\x01", 3, None, training=True)
    assert store.snapshot("new").training is True
    store.close()
    with sqlite3.connect(tmp_path / "classroom.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert ClassroomStore(tmp_path).snapshot("new").training is True  # opened again: no second migration


def test_wrong_codes_are_limited_per_client(tmp_path):
    service = RoomService(ClassroomStore(tmp_path))
    room, _ = service.create()
    for _ in range(10):
        with pytest.raises(KeyError):
            service.lookup("ZZZZZZ", "10.0.0.1")
    with pytest.raises(TooManyWrongCodes):
        service.lookup(room.code, "10.0.0.1")
    assert service.lookup(room.code, "10.0.0.2") is room  # another client is not affected


def test_a_training_state_survives_bytes_exactly():
    trainer = Trainer(make_config(None, {"optimizer": "adam", "hidden_layers": [5, 3]}))
    state = trainer.train(trainer.init_params(), 20).params
    back = state_from_bytes(trainer.init_params(), state_to_bytes(state))
    for a, b in zip(np.asarray(state.params.w), np.asarray(back.params.w), strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(back.epoch) == int(state.epoch) == 20
    other = Trainer(make_config(None, {"optimizer": "sgd"})).init_params()
    with pytest.raises(SnapshotError):
        state_from_bytes(other, state_to_bytes(state))


def test_six_lessons_on_the_classic_topics_with_valid_steps():
    assert [lesson.id for lesson in LESSONS] == [
        "features",
        "layers",
        "learning-rate",
        "overfitting",
        "vanishing-gradients",
        "softmax",
    ]
    for lesson in LESSONS:
        assert len(lesson.steps) >= 2
        for step in lesson.steps:
            make_config(None, step.config)  # raises ConfigError on any bad setting
            assert step.title and step.explanation and step.question.endswith(("?", "."))
