"""Display names people can tell apart (classroom/names.py); reference look-alikes written out by code
point, not computed by the code under test. (The store's schema upgrades: test_classroom_store.py.)"""

from __future__ import annotations

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
