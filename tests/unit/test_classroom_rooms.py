"""Classroom pieces without a server: names, codes, the store, run snapshots, lessons."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from nnplay.classroom.guesses import WrongCodes
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
from nnplay.families.mlp.trainer import Trainer
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


@pytest.mark.parametrize(
    ("name", "kept"),
    [("tab\there", "tab here"), ("Ada  Lovelace", "Ada Lovelace"), ("\uff21\uff44\uff41", "Ada")],
)
def test_names_are_normalised_nfkc_with_single_spaces(name, kept):
    assert check_name(name) == kept


@pytest.mark.parametrize("name", ["", "x" * 25, "<b>", "a/b", None, "😀", "\u3164", "Ada\u3164", " . "])
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


def test_wrong_codes_back_off_per_address_for_distinct_codes_only(tmp_path):
    service = RoomService(ClassroomStore(tmp_path))
    room, _ = service.create()
    used, _ = service.create()
    assert service.lookup(used.code, "10.0.0.1") is used  # this address has used this code
    for _ in range(30):  # a whole class making the same typo counts once
        with pytest.raises(KeyError):
            service.lookup("ZZZZZZ", "10.0.0.1")
    for i in range(2, 12):  # eleven different wrong codes: a guesser
        with pytest.raises(KeyError):
            service.lookup(f"ZZZZZ{i}" if i < 10 else f"ZZZZ{i}", "10.0.0.1")
    with pytest.raises(TooManyWrongCodes) as refused:  # a code it never used: refused, right or wrong
        service.lookup(room.code, "10.0.0.1")
    assert "too many wrong room codes" in str(refused.value) and refused.value.retry_after_s > 0
    assert service.lookup(used.code, "10.0.0.1") is used  # the class's own code still opens
    assert service.lookup(room.code, "10.0.0.2") is room  # another address is not affected


def test_repeated_lockouts_back_off_longer():
    clock = [0.0]
    codes = WrongCodes(clock=lambda: clock[0])
    waits = []
    for round_ in range(3):
        for i in range(11):
            codes.wrong("10.0.0.1", f"R{round_}C{i}")
        with pytest.raises(TooManyWrongCodes) as refused:
            codes.check("10.0.0.1", "ANY")
        waits.append(refused.value.retry_after_s)
        clock[0] += refused.value.retry_after_s + 1  # the guesser waits, then goes on at once
    assert waits == [30.0, 60.0, 120.0]


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
    playground = [lesson for lesson in LESSONS if lesson.lab == "playground"]  # other labs': their tests
    assert [lesson.id for lesson in playground] == [
        "features",
        "layers",
        "learning-rate",
        "overfitting",
        "vanishing-gradients",
        "softmax",
    ]
    for lesson in playground:
        assert len(lesson.steps) >= 2
        for step in lesson.steps:
            make_config(None, step.config)  # raises ConfigError on any bad setting
            assert step.title and step.explanation and step.question.endswith(("?", "."))
