"""Display names that people can tell apart: checked, normalised, and compared by how they look.

A name is NFKC-normalised (fullwidth and mathematical letters become plain ones), its runs of spaces
collapse to one, and names made of invisible letters (the Hangul fillers) are refused. Two names clash when
they look alike: Unicode's confusables data (UTS #39, from the maintained `confusable_homoglyphs`
package) maps every character to a representative of the characters it can be mistaken for, and names
whose skeletons match, with or without case, are the same name ("Аlice" with a Cyrillic А, "Alıce" with a
dotless ı and "AIice" with a capital I all clash with "Alice"). Pure functions; the table is built once.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from importlib import resources

NAME_MAX = 24
NAME_PUNCTUATION = " -_."
# Letters (Unicode category Lo, so `isalnum`) that draw nothing: a name of them looks empty, and one
# inside a name looks like a space.
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
_DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")


class BadName(ValueError):
    """A display name was refused; the message says why."""


def check_name(raw: object) -> str:
    """The display name, normalised (NFKC, spaces collapsed, trimmed); raises BadName with a message a
    student understands."""
    if not isinstance(raw, str):
        raise BadName("name must be text")
    name = " ".join(unicodedata.normalize("NFKC", raw).split())
    if not name:
        raise BadName("name must not be empty")
    if len(name) > NAME_MAX:
        raise BadName(f"name must be at most {NAME_MAX} characters, got {len(name)}")
    if INVISIBLE_LETTERS & set(name):
        raise BadName("name must not contain invisible characters (such as the Hangul filler)")
    bad = sorted({ch for ch in name if not (ch.isalnum() or ch in NAME_PUNCTUATION)})
    if bad:
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise BadName(f"name may only use letters, digits, spaces and - _ . (not {shown})")
    if not any(ch.isalnum() for ch in name):
        raise BadName("name must have at least one letter or digit")
    return name


@functools.cache
def _representatives() -> dict[str, str]:
    """Each confusable character -> the representative of its class of look-alikes (an ASCII member
    where there is one, the longest such: "m" stands for "rn", as in UTS #39)."""
    data = json.loads(
        (resources.files("confusable_homoglyphs") / "confusables.json").read_text(encoding="utf-8")
    )
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for char, glyphs in data.items():
        for glyph in glyphs:
            a, b = root(char.translate(_DIRECTION_MARKS)), root(glyph["c"].translate(_DIRECTION_MARKS))
            if a != b:
                parent[a] = b
    classes: dict[str, list[str]] = {}
    for member in list(parent):
        classes.setdefault(root(member), []).append(member)
    table: dict[str, str] = {}
    for members in classes.values():
        rep = min(members, key=lambda m: (not m.isascii(), -len(m) if m.isascii() else len(m), m))
        table.update({m: rep for m in members if len(m) == 1 and m != rep})
    return table


def skeleton(text: str) -> str:
    """`text` with every character replaced by its look-alikes' representative (UTS #39's skeleton)."""
    table = _representatives()
    mapped = "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def name_keys(name: str) -> tuple[str, str]:
    """What a name looks like, with case (I and l) and without (A and a): two names clash when either
    key matches. The first is the one stored (store.py's unique name_key)."""
    return skeleton(name.casefold()), skeleton(name)
