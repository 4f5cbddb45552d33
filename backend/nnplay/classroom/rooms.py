"""Rooms and their members: codes, display names, the teacher key, member tokens, limits.

Owner: RoomService, on the event loop; every change is written through to the ClassroomStore, which
holds only digests of the secrets. Nothing here knows about sessions or HTTP.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .store import ClassroomStore

# Unambiguous on a projector and when read aloud: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
NAME_MAX = 24
NAME_PUNCTUATION = " -_."
DEFAULT_ROOM_SIZE = 100
WRONG_CODE_LIMIT = 10  # wrong codes per client within WRONG_CODE_WINDOW_S before 429
WRONG_CODE_WINDOW_S = 60.0


class RoomNotFound(KeyError):
    """No room has this code."""


class RoomFull(RuntimeError):
    """The room already has its maximum number of students."""


class TooManyWrongCodes(RuntimeError):
    """This client tried too many wrong codes lately."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(
            f"too many wrong room codes from this address; try again in {int(retry_after_s) + 1} s"
        )
        self.retry_after_s = retry_after_s


class BadName(ValueError):
    """A display name was refused; the message says why."""


LOCK_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_LOCKED = 40


def check_locked(names: object) -> list[str]:
    """The names of controls to lock (as in the page's hide= parameter); raises ValueError."""
    if not isinstance(names, list) or len(names) > MAX_LOCKED:
        raise ValueError(f"controls must be a list of at most {MAX_LOCKED} control names")
    bad = [n for n in names if not isinstance(n, str) or not LOCK_NAME.match(n)]
    if bad:
        raise ValueError(f"not a control name: {bad[0]!r} (letters, digits, - and _ only)")
    return list(dict.fromkeys(names))


class NotTeacher(PermissionError):
    """A teacher-only action without the room's teacher key."""


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def normalize_code(text: str) -> str:
    """Upper case without spaces or dashes, as people type codes ("ab3-k7q" -> "AB3K7Q")."""
    return "".join(ch for ch in text.upper() if ch not in " -")


def check_name(raw: object) -> str:
    """The display name, trimmed; raises BadName with a message a student understands."""
    if not isinstance(raw, str):
        raise BadName("name must be text")
    name = unicodedata.normalize("NFC", raw.strip())
    if not name:
        raise BadName("name must not be empty")
    if len(name) > NAME_MAX:
        raise BadName(f"name must be at most {NAME_MAX} characters, got {len(name)}")
    bad = sorted({ch for ch in name if not (ch.isalnum() or ch in NAME_PUNCTUATION)})
    if bad:
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise BadName(f"name may only use letters, digits, spaces and - _ . (not {shown})")
    return name


@dataclass
class Member:
    id: str
    name: str
    token_hash: bytes
    joined_at: float
    mode: str = "watching"  # watching | forked
    session_id: str | None = None  # the live forked session, if any (not stored: ids die with the server)
    reached: tuple[int, int] | None = None  # challenge: (neurons, epoch) of the best run that hit the target


@dataclass
class Room:
    code: str
    teacher_key_hash: bytes
    created_at: float
    members: dict[str, Member] = field(default_factory=dict)
    lesson_id: str = ""
    lesson_step: int = -1
    spotlight: str = ""  # a member id, or "" for the teacher's own run
    challenge: dict[str, Any] | None = None
    locked: list[str] = field(default_factory=list)  # controls hidden on students' pages (the hide= names)
    teacher_session_id: str | None = None

    def member_by_name(self, name: str) -> Member | None:
        key = name.casefold()
        return next((m for m in self.members.values() if m.name.casefold() == key), None)


class RoomService:
    """Creates rooms, admits members, checks keys and tokens, limits wrong codes."""

    def __init__(self, store: ClassroomStore, room_size: int = DEFAULT_ROOM_SIZE) -> None:
        self.store = store
        self.room_size = room_size
        self.rooms: dict[str, Room] = {}
        self._wrong_codes: dict[str, deque[float]] = {}
        self._load()

    def _load(self) -> None:
        for row in self.store.rooms():
            self.rooms[row.code] = Room(
                row.code,
                row.teacher_key_hash,
                row.created_at,
                {},
                row.lesson_id,
                row.lesson_step,
                row.spotlight,
                row.challenge,
                row.locked,
            )
        for m in self.store.members():
            room = self.rooms.get(m.room_code)
            if room is not None:
                room.members[m.id] = Member(m.id, m.name, m.token_hash, m.joined_at, m.mode)

    # ---- rooms ----------------------------------------------------------------------------------

    def create(self) -> tuple[Room, str]:
        """A new room and its teacher key (returned once; only its digest is kept)."""
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self.rooms:
                break
        key = secrets.token_urlsafe(24)
        room = Room(code, digest(key), time.time())
        self.store.add_room(code, room.teacher_key_hash)
        self.rooms[code] = room
        return room, key

    def lookup(self, code: str, client: str) -> Room:
        """The room of `code`; a wrong code counts against the client (TooManyWrongCodes past the limit)."""
        self._check_wrong_code_limit(client)
        room = self.rooms.get(normalize_code(code))
        if room is None:
            self._wrong_codes.setdefault(client, deque()).append(time.monotonic())
            raise RoomNotFound(code)
        return room

    def _check_wrong_code_limit(self, client: str) -> None:
        failures = self._wrong_codes.get(client)
        if not failures:
            return
        now = time.monotonic()
        while failures and now - failures[0] > WRONG_CODE_WINDOW_S:
            failures.popleft()
        if len(failures) >= WRONG_CODE_LIMIT:
            raise TooManyWrongCodes(WRONG_CODE_WINDOW_S - (now - failures[0]))
        if not failures:
            del self._wrong_codes[client]

    # ---- roles ----------------------------------------------------------------------------------

    @staticmethod
    def is_teacher(room: Room, key: str | None) -> bool:
        return bool(key) and secrets.compare_digest(digest(key or ""), room.teacher_key_hash)

    def require_teacher(self, room: Room, key: str | None, action: str) -> None:
        if not self.is_teacher(room, key):
            raise NotTeacher(f"only the teacher can {action}: this needs the room's teacher key")

    @staticmethod
    def member_of(room: Room, token: str | None) -> Member | None:
        if not token:
            return None
        wanted = digest(token)
        found = None
        for member in room.members.values():  # constant time per member; no early exit on a match
            if secrets.compare_digest(wanted, member.token_hash):
                found = member
        return found

    # ---- members --------------------------------------------------------------------------------

    def join(self, room: Room, raw_name: object) -> tuple[Member, str]:
        """Admit a student; raises BadName or RoomFull. Returns the member and its token (given once)."""
        name = check_name(raw_name)
        if room.member_by_name(name) is not None:
            raise BadName(f"the name {name!r} is already taken in this room; choose another")
        if len(room.members) >= self.room_size:
            raise RoomFull(f"the room is full: it already has {self.room_size} students")
        token = secrets.token_urlsafe(24)
        member = Member(secrets.token_urlsafe(8), name, digest(token), time.time())
        self.store.add_member(member.id, room.code, name, member.token_hash)
        room.members[member.id] = member
        return member, token

    def remove(self, room: Room, member_id: str) -> Member:
        member = room.members.pop(member_id, None)
        if member is None:
            raise KeyError(member_id)
        self.store.remove_member(member_id)
        if room.spotlight == member_id:
            self.set_room(room, spotlight="")
        return member

    def set_mode(self, member: Member, mode: str) -> None:
        member.mode = mode
        self.store.set_member_mode(member.id, mode)

    def set_room(self, room: Room, **fields: Any) -> None:
        """Change lesson_id, lesson_step, spotlight, challenge or locked, and store it."""
        for name, value in fields.items():
            setattr(room, name, value)
        self.store.update_room(room.code, **fields)
