"""Display names people can tell apart (classroom/names.py) and the store's schema upgrade for room
expiry; reference look-alikes written out by code point, not computed by the code under test."""

from __future__ import annotations

import sqlite3

import pytest

from nnplay.classroom.names import BadName, check_name, name_keys, skeleton
from nnplay.classroom.rooms import RoomService
from nnplay.classroom.store import ClassroomStore


def clash(a: str, b: str) -> bool:
    (fa, ca), (fb, cb) = name_keys(check_name(a)), name_keys(check_name(b))
    return fa == fb or ca == cb


@pytest.mark.parametrize(
    "lookalike",
    [
        "\u0410lice",  # CYRILLIC CAPITAL LETTER A
        "Al\u0456ce",  # CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
        "Al\u0131ce",  # LATIN SMALL LETTER DOTLESS I
        "AIice",  # LATIN CAPITAL LETTER I for l
        "A1ice",  # DIGIT ONE for l
        "\uff21lice",  # FULLWIDTH LATIN CAPITAL LETTER A
        "\U0001d400lice",  # MATHEMATICAL BOLD CAPITAL A
        "alice",
    ],
)
def test_names_that_look_like_alice_clash_with_it(lookalike):
    assert clash("Alice", lookalike)


@pytest.mark.parametrize("other", ["Alicia", "Alina", "Ali", "Alice B", "Elise", "Ann", "Am"])
def test_names_that_only_share_letters_do_not_clash(other):
    assert not clash("Alice", other)


def test_digit_zero_and_letter_o_clash_and_m_clashes_with_rn():
    assert clash("Oli", "0li") and clash("Kim", "Kirn")
    assert skeleton("m") == skeleton("rn")


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("\u3164", "invisible"),
        ("Bob\u3164", "invisible"),
        ("\uffa0", "invisible"),
        (" - ", "letter or digit"),
    ],
)
def test_invisible_or_letterless_names_are_refused(raw, why):
    with pytest.raises(BadName, match=why):
        check_name(raw)


def test_a_taken_look_alike_is_refused_on_joining(tmp_path):
    service = RoomService(ClassroomStore(tmp_path))
    room, _ = service.create()
    service.join(room, "Alice")
    with pytest.raises(BadName, match="already taken"):
        service.join(room, "\u0410lice")
    assert service.join(room, "Alicia")[0].name == "Alicia"


def test_a_version_1_store_gains_room_activity_from_its_creation_time(tmp_path):
    with sqlite3.connect(tmp_path / "classroom.sqlite3") as db:
        db.executescript(
            "CREATE TABLE rooms (code TEXT PRIMARY KEY, teacher_key_hash BLOB NOT NULL, "
            "created_at REAL NOT NULL, lesson_id TEXT NOT NULL DEFAULT '', lesson_step INTEGER NOT NULL "
            "DEFAULT -1, spotlight TEXT NOT NULL DEFAULT '', challenge TEXT NOT NULL DEFAULT '', "
            "locked TEXT NOT NULL DEFAULT '[]');"
            "INSERT INTO rooms (code, teacher_key_hash, created_at) VALUES ('ABCDEF', x'00', 1234.5);"
            "PRAGMA user_version=1;"
        )
    store = ClassroomStore(tmp_path)
    (row,) = store.rooms()
    assert row.code == "ABCDEF" and row.last_active == 1234.5
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == 2
