"""The classroom's durable state in one SQLite file: rooms, members and snapshots of their runs.

One connection, used from the event loop's thread only (the owner of all room state); WAL mode, so a
crash loses at most the last write. Keys and tokens are stored as SHA-256 digests, never as they are.
The schema has a version (PRAGMA user_version); a newer file than this code knows is refused, an older one
is upgraded in one transaction (`_upgrade`): version 3 has both columns that were added after version 1.
Two lines of work each wrote a "version 2" with one of them (`rooms.last_active`, for idle rooms to expire;
`snapshots.training`, for a training run to train again after a restart), so a file's version number does
not say which columns it has: the upgrade adds each column the file lacks.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

SCHEMA_VERSION = 3  # 2: rooms.last_active OR snapshots.training (see above); 3: both
FILE_NAME = "classroom.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY,
    teacher_key_hash BLOB NOT NULL,
    created_at REAL NOT NULL,
    lesson_id TEXT NOT NULL DEFAULT '',
    lesson_step INTEGER NOT NULL DEFAULT -1,
    spotlight TEXT NOT NULL DEFAULT '',
    challenge TEXT NOT NULL DEFAULT '',
    locked TEXT NOT NULL DEFAULT '[]',
    last_active REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS members (
    id TEXT PRIMARY KEY,
    room_code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    token_hash BLOB NOT NULL,
    joined_at REAL NOT NULL,
    mode TEXT NOT NULL DEFAULT 'watching',
    UNIQUE (room_code, name_key)
);
CREATE TABLE IF NOT EXISTS snapshots (
    owner TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    weights BLOB NOT NULL,
    epoch INTEGER NOT NULL,
    points BLOB,
    updated_at REAL NOT NULL,
    training INTEGER NOT NULL DEFAULT 0
);
"""
# The columns added since version 1: (table, column, its declaration, what an older file's rows get).
ADDED_COLUMNS = (
    # a version 1 room (or one of a version 2 without it) was last active when it was made
    ("rooms", "last_active", "REAL NOT NULL DEFAULT 0", "UPDATE rooms SET last_active = created_at"),
    # a snapshot saved before this column says nothing of training: its run comes back paused, as it did
    ("snapshots", "training", "INTEGER NOT NULL DEFAULT 0", None),
)


class StoreError(RuntimeError):
    """The data file cannot be used (e.g. written by a newer nnplay)."""


@dataclass(frozen=True)
class RoomRow:
    code: str
    teacher_key_hash: bytes
    created_at: float
    lesson_id: str
    lesson_step: int
    spotlight: str
    challenge: dict[str, Any] | None
    locked: list[str]
    last_active: float


@dataclass(frozen=True)
class MemberRow:
    id: str
    room_code: str
    name: str
    token_hash: bytes
    joined_at: float
    mode: str


@dataclass(frozen=True)
class SnapshotRow:
    owner: str  # a member id, or "teacher:<room code>" for the teacher's run
    config: dict[str, Any]
    weights: bytes
    epoch: int
    points: bytes | None
    updated_at: float
    training: bool = False  # the run was training when it was saved: it trains again when restored


class RoomStore(Protocol):
    """What the classroom asks of its store: SQLite (ClassroomStore, the default) or another behind the same
    calls (the cluster's Postgres store, cluster/pgstore.py). Calls are synchronous, on the event loop."""

    def close(self) -> None: ...
    def add_room(self, code: str, teacher_key_hash: bytes) -> None: ...
    def touch_room(self, code: str, last_active: float) -> None: ...
    def delete_room(self, code: str, snapshot_owners: list[str]) -> None: ...
    def rooms(self) -> list[RoomRow]: ...
    def update_room(self, code: str, **fields: Any) -> None: ...
    def add_member(self, member_id: str, room_code: str, name: str, token_hash: bytes) -> None: ...
    def members(self) -> list[MemberRow]: ...
    def set_member_mode(self, member_id: str, mode: str) -> None: ...
    def remove_member(self, member_id: str) -> None: ...
    def save_snapshot(
        self,
        owner: str,
        config: dict[str, Any],
        weights: bytes,
        epoch: int,
        points: bytes | None,
        training: bool = False,
    ) -> None: ...
    def snapshot(self, owner: str) -> SnapshotRow | None: ...
    def delete_snapshot(self, owner: str) -> None: ...


def open_sqlite(path: Path, known_version: int) -> tuple[sqlite3.Connection, int]:
    """`path` opened as the stores here keep their files (autocommit, WAL, its directory made), and its
    schema version (0: a new file); StoreError if a newer nnplay wrote it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > known_version:
        db.close()
        raise StoreError(f"{path} has schema version {version}; this nnplay knows up to {known_version}")
    return db, version


class ClassroomStore:
    """Rooms, members and run snapshots in `<data_dir>/classroom.sqlite3`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME
        self._db, version = open_sqlite(self.path, SCHEMA_VERSION)
        self._db.execute("PRAGMA foreign_keys=ON")
        if version == 0:  # a new file: the current schema at once
            self._db.executescript(SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        elif version < SCHEMA_VERSION:
            self._upgrade()

    def _upgrade(self) -> None:
        """Bring an older file to SCHEMA_VERSION: the columns it lacks, then the version, all or nothing."""
        with self._db:
            self._db.execute("BEGIN")
            for statement in SCHEMA.split(";"):  # any table the file lacks (none, for files nnplay wrote)
                if statement.strip():
                    self._db.execute(statement)
            for table, column, declaration, backfill in ADDED_COLUMNS:
                columns = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                    if backfill is not None:
                        self._db.execute(backfill)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    # ---- rooms ----------------------------------------------------------------------------------

    def add_room(self, code: str, teacher_key_hash: bytes) -> None:
        self._db.execute(
            "INSERT INTO rooms (code, teacher_key_hash, created_at, last_active) VALUES (?, ?, ?, ?)",
            (code, teacher_key_hash, time.time(), time.time()),
        )

    def touch_room(self, code: str, last_active: float) -> None:
        self._db.execute("UPDATE rooms SET last_active = ? WHERE code = ?", (last_active, code))

    def delete_room(self, code: str, snapshot_owners: list[str]) -> None:
        """The room, its members and the snapshots of its runs, in one transaction."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "DELETE FROM snapshots WHERE owner = ?", [(owner,) for owner in snapshot_owners]
            )
            self._db.execute("DELETE FROM members WHERE room_code = ?", (code,))
            self._db.execute("DELETE FROM rooms WHERE code = ?", (code,))

    def rooms(self) -> list[RoomRow]:
        rows = self._db.execute(
            "SELECT code, teacher_key_hash, created_at, lesson_id, lesson_step, spotlight, challenge, "
            "locked, last_active FROM rooms"
        ).fetchall()
        return [
            RoomRow(
                code,
                bytes(key),
                created,
                lesson,
                step,
                spot,
                json.loads(ch) if ch else None,
                json.loads(lk),
                active,
            )
            for code, key, created, lesson, step, spot, ch, lk, active in rows
        ]

    def update_room(self, code: str, **fields: Any) -> None:
        allowed = {"lesson_id", "lesson_step", "spotlight", "challenge", "locked"}
        if not fields or not set(fields) <= allowed:
            raise ValueError(f"room fields are {sorted(allowed)}")
        values = [
            (json.dumps(v) if v is not None else "")
            if k == "challenge"
            else json.dumps(v)
            if k == "locked"
            else v
            for k, v in fields.items()
        ]
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self._db.execute(f"UPDATE rooms SET {assignments} WHERE code = ?", (*values, code))

    # ---- members --------------------------------------------------------------------------------

    def add_member(self, member_id: str, room_code: str, name: str, token_hash: bytes) -> None:
        self._db.execute(
            "INSERT INTO members (id, room_code, name, name_key, token_hash, joined_at) VALUES (?,?,?,?,?,?)",
            (member_id, room_code, name, name.casefold(), token_hash, time.time()),
        )

    def members(self) -> list[MemberRow]:
        rows = self._db.execute(
            "SELECT id, room_code, name, token_hash, joined_at, mode FROM members ORDER BY joined_at"
        ).fetchall()
        return [
            MemberRow(i, room, name, bytes(token), joined, mode)
            for i, room, name, token, joined, mode in rows
        ]

    def set_member_mode(self, member_id: str, mode: str) -> None:
        self._db.execute("UPDATE members SET mode = ? WHERE id = ?", (mode, member_id))

    def remove_member(self, member_id: str) -> None:
        self._db.execute("DELETE FROM members WHERE id = ?", (member_id,))
        self._db.execute("DELETE FROM snapshots WHERE owner = ?", (member_id,))

    # ---- snapshots of runs ----------------------------------------------------------------------

    def save_snapshot(
        self,
        owner: str,
        config: dict[str, Any],
        weights: bytes,
        epoch: int,
        points: bytes | None,
        training: bool = False,
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO snapshots (owner, config, weights, epoch, points, updated_at, training) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (owner, json.dumps(config), weights, epoch, points, time.time(), int(training)),
        )

    def snapshot(self, owner: str) -> SnapshotRow | None:
        row = self._db.execute(
            "SELECT owner, config, weights, epoch, points, updated_at, training FROM snapshots "
            "WHERE owner = ?",
            (owner,),
        ).fetchone()
        if row is None:
            return None
        owner_, config, weights, epoch, points, updated, training = row
        blob = points and bytes(points)
        return SnapshotRow(owner_, json.loads(config), bytes(weights), epoch, blob, updated, bool(training))

    def delete_snapshot(self, owner: str) -> None:
        self._db.execute("DELETE FROM snapshots WHERE owner = ?", (owner,))
