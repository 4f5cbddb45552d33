"""Rooms and their members: codes, display names, the teacher key, member tokens, limits.

Owner: RoomService, on the event loop; every change is written through to the RoomStore, which
holds only digests of the secrets. Nothing here knows about sessions or HTTP.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from .guesses import TooManyWrongCodes, WrongCodes
from .names import NAME_MAX, NAME_PUNCTUATION, BadName, check_name, name_keys
from .store import RoomStore

__all__ = ["NAME_MAX", "NAME_PUNCTUATION", "BadName", "TooManyWrongCodes", "check_name"]
log = logging.getLogger(__name__)

# Unambiguous on a projector and when read aloud: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
DEFAULT_ROOM_SIZE = 100
TOUCH_STORE_S = 60.0  # a room's last activity is written to the store at most this often


class RoomNotFound(KeyError):
    """No room has this code."""


class RoomFull(RuntimeError):
    """The room already has its maximum number of students."""


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


def teacher_snapshot_owner(code: str) -> str:
    """The snapshot owner of a room's teacher run (a member's run is stored under the member's id)."""
    return f"teacher:{code}"


def _valid_challenge(code: str, spec: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored challenge as the messages' model accepts it; None (and a warning) if it does not: one
    stored before challenges were validated must not break the room's dashboard."""
    from .messages import Challenge  # messages imports this module's check_locked

    if spec is None:
        return None
    try:
        return Challenge.model_validate(spec).model_dump(exclude_none=True)
    except ValueError:
        log.warning("room %s: its stored challenge %r is not valid; dropped", code, spec)
        return None


class NotTeacher(PermissionError):
    """A teacher-only action without the room's teacher key."""


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def normalize_code(text: str) -> str:
    """Upper case without spaces or dashes, as people type codes ("ab3-k7q" -> "AB3K7Q")."""
    return "".join(ch for ch in text.upper() if ch not in " -")


@dataclass
class Member:
    id: str
    name: str
    token_hash: bytes
    joined_at: float
    mode: str = "watching"  # watching | forked
    session_id: str | None = None  # the live forked session, if any (not stored: ids die with the server)
    reached: tuple[int, int] | None = None  # challenge: (neurons, epoch) of the best run that hit the target
    reached_via: str = ""  # what that run was: "run" (the member's own) or "sweep" (a run of an entry)
    # Sweeps entered in the challenge: sweep id -> its runs' session ids. In memory, as Room.sweep.
    entries: dict[str, list[str]] = field(default_factory=dict)


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
    last_active: float = 0.0  # time.time() of the last request, socket or dashboard tick it had
    # The sweep the teacher shows the class ({id, lab, run_count, varied}), or None. Not stored: a sweep
    # lives in the server's memory, so after a restart there is none to show.
    sweep: dict[str, Any] | None = None

    def member_by_name(self, name: str) -> Member | None:
        """The member whose name looks like `name` (names.py: confusables, with or without case)."""
        folded, cased = name_keys(name)
        for member in self.members.values():
            other_folded, other_cased = name_keys(member.name)
            if folded == other_folded or cased == other_cased:
                return member
        return None


class RoomService:
    """Creates rooms, admits members, checks keys and tokens, limits wrong codes."""

    def __init__(self, store: RoomStore, room_size: int = DEFAULT_ROOM_SIZE) -> None:
        self.store = store
        self.room_size = room_size
        self.rooms: dict[str, Room] = {}
        self.wrong_codes = WrongCodes()
        self._stored_activity: dict[str, float] = {}  # code -> last_active as last written
        self.load()

    def load(self, codes: set[str] | None = None) -> list[str]:
        """Add the store's rooms (those of `codes`, or all) that this service does not hold yet, with their
        members; the codes added. At start-up that is every room; later, rooms another process wrote (the
        cluster's shards take over a lost shard's rooms this way)."""
        added = []
        for row in self.store.rooms():
            if row.code in self.rooms or (codes is not None and row.code not in codes):
                continue
            added.append(row.code)
            self.rooms[row.code] = Room(
                row.code,
                row.teacher_key_hash,
                row.created_at,
                {},
                row.lesson_id,
                row.lesson_step,
                row.spotlight,
                _valid_challenge(row.code, row.challenge),
                row.locked,
                last_active=row.last_active,
            )
            self._stored_activity[row.code] = row.last_active
        for m in self.store.members():
            room = self.rooms.get(m.room_code)
            if room is not None and m.room_code in added:
                room.members[m.id] = Member(m.id, m.name, m.token_hash, m.joined_at, m.mode)
        return added

    # ---- rooms ----------------------------------------------------------------------------------

    def create(self) -> tuple[Room, str]:
        """A new room and its teacher key (returned once; only its digest is kept)."""
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self.rooms:
                break
        key = secrets.token_urlsafe(24)
        now = time.time()
        room = Room(code, digest(key), now, last_active=now)
        self.store.add_room(code, room.teacher_key_hash)
        self.rooms[code] = room
        self._stored_activity[code] = now
        return room, key

    def lookup(self, code: str, client: str) -> Room:
        """The room of `code`; a wrong code counts against the client (guesses.py: TooManyWrongCodes while
        it backs off, except for codes it has used before)."""
        wanted = normalize_code(code)
        self.wrong_codes.check(client, wanted)
        room = self.rooms.get(wanted)
        if room is None:
            self.wrong_codes.wrong(client, wanted)
            raise RoomNotFound(code)
        self.wrong_codes.right(client, wanted)
        self.touch(room)
        return room

    def touch(self, room: Room) -> None:
        """The room is in use now (written through to the store at most every TOUCH_STORE_S)."""
        room.last_active = time.time()
        if room.last_active - self._stored_activity.get(room.code, 0.0) >= TOUCH_STORE_S:
            self.store.touch_room(room.code, room.last_active)
            self._stored_activity[room.code] = room.last_active

    def close(self, room: Room) -> None:
        """Forget the room: its row, its members and its runs' snapshots."""
        self.rooms.pop(room.code, None)
        self._stored_activity.pop(room.code, None)
        self.store.delete_room(room.code, [teacher_snapshot_owner(room.code), *room.members])

    # ---- roles ----------------------------------------------------------------------------------

    @staticmethod
    def is_teacher(room: Room, key: object) -> bool:
        """Whether `key` (anything a client sent) is the room's teacher key, compared in constant time."""
        return (
            isinstance(key, str) and bool(key) and secrets.compare_digest(digest(key), room.teacher_key_hash)
        )

    def require_teacher(self, room: Room, key: object, action: str) -> None:
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
