"""The classroom's store in Postgres, for the cluster: the same calls as the SQLite store (RoomStore), each
room owned by one engine shard and written only with that owner's fencing epoch.

Ownership: every room row names its shard and the epoch of the shard's incarnation that owns it. Opening
the store takes a new epoch from a Postgres sequence (monotonic, durable: Redis may restart, Postgres is the
record) and claims the rooms the shard owned before (its previous incarnation is fenced out from then on);
`take_over(lost)` moves another shard's rooms here the same way. Every write checks, in its transaction and
under a row lock of the room, that the room's epoch is still this store's; if not it raises FencedOut and
writes nothing, so a shard that was frozen past its lease and wakes up cannot overwrite its successor.

Reads see this shard's rooms only (`rooms()`, `members()`); snapshots are read by owner as in SQLite.
One connection, autocommit, used from the event loop's thread only (as the SQLite store is).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from ..classroom.store import MemberRow, RoomRow, SnapshotRow, StoreError

TEACHER_PREFIX = "teacher:"  # classroom.rooms.teacher_snapshot_owner

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS shard_epochs;
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY,
    teacher_key_hash BYTEA NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    lesson_id TEXT NOT NULL DEFAULT '',
    lesson_step INTEGER NOT NULL DEFAULT -1,
    spotlight TEXT NOT NULL DEFAULT '',
    challenge TEXT NOT NULL DEFAULT '',
    locked TEXT NOT NULL DEFAULT '[]',
    last_active DOUBLE PRECISION NOT NULL DEFAULT 0,
    shard TEXT NOT NULL,
    epoch BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS rooms_shard ON rooms (shard);
CREATE TABLE IF NOT EXISTS members (
    id TEXT PRIMARY KEY,
    room_code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    joined_at DOUBLE PRECISION NOT NULL,
    mode TEXT NOT NULL DEFAULT 'watching',
    UNIQUE (room_code, name_key)
);
CREATE TABLE IF NOT EXISTS snapshots (
    owner TEXT PRIMARY KEY,
    room_code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    config TEXT NOT NULL,
    weights BYTEA NOT NULL,
    epoch INTEGER NOT NULL,
    points BYTEA,
    updated_at DOUBLE PRECISION NOT NULL,
    training BOOLEAN NOT NULL DEFAULT FALSE
);
"""
ROOM_FIELDS = {"lesson_id", "lesson_step", "spotlight", "challenge", "locked"}


class FencedOut(StoreError):
    """A write by a shard that no longer owns the room (another incarnation or shard took it over)."""


class PostgresStore:
    """Rooms, members and snapshots of the rooms owned by `shard`, fenced by this incarnation's epoch."""

    def __init__(self, dsn: str, shard: str) -> None:
        self.shard = shard
        self.path = dsn  # what the app logs as the store's place
        self._db = psycopg.connect(dsn, autocommit=True)
        with self._db.transaction():
            # one schema creation at a time: shards start together
            self._db.execute("SELECT pg_advisory_xact_lock(22)")
            self._db.execute(SCHEMA)
        row = self._db.execute("SELECT nextval('shard_epochs')").fetchone()
        assert row is not None
        self.epoch: int = row[0]
        self.take_over(shard)  # the rooms this shard owned before: a former incarnation is fenced out

    def close(self) -> None:
        self._db.close()

    def take_over(self, shard: str) -> list[str]:
        """Own the rooms of `shard` (this shard's own after a restart, or a lost one's); their codes."""
        rows = self._db.execute(
            "UPDATE rooms SET shard = %s, epoch = %s WHERE shard = %s RETURNING code",
            (self.shard, self.epoch, shard),
        ).fetchall()
        return [code for (code,) in rows]

    def owned_codes(self) -> set[str]:
        rows = self._db.execute(
            "SELECT code FROM rooms WHERE shard = %s AND epoch = %s", (self.shard, self.epoch)
        ).fetchall()
        return {code for (code,) in rows}

    def owns(self, code: str) -> bool:
        row = self._db.execute("SELECT epoch FROM rooms WHERE code = %s", (code,)).fetchone()
        return row is not None and row[0] == self.epoch

    @contextmanager
    def _fenced(self, code: str | None) -> Iterator[psycopg.Connection[Any]]:
        """A transaction in which room `code` is locked and still this store's (else FencedOut)."""
        with self._db.transaction():
            if code is not None:
                row = self._db.execute(
                    "SELECT epoch, shard FROM rooms WHERE code = %s FOR UPDATE", (code,)
                ).fetchone()
                if row is not None and row[0] != self.epoch:
                    raise FencedOut(
                        f"room {code} belongs to {row[1]} (epoch {row[0]}), not to {self.shard} "
                        f"(epoch {self.epoch}): this write is refused"
                    )
            yield self._db

    def _room_of(self, owner: str) -> str | None:
        if owner.startswith(TEACHER_PREFIX):
            return owner[len(TEACHER_PREFIX) :]
        row = self._db.execute("SELECT room_code FROM members WHERE id = %s", (owner,)).fetchone()
        return None if row is None else str(row[0])

    # ---- rooms ----------------------------------------------------------------------------------

    def add_room(self, code: str, teacher_key_hash: bytes) -> None:
        now = time.time()
        self._db.execute(
            "INSERT INTO rooms (code, teacher_key_hash, created_at, last_active, shard, epoch) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (code, teacher_key_hash, now, now, self.shard, self.epoch),
        )

    def touch_room(self, code: str, last_active: float) -> None:
        with self._fenced(code) as db:
            db.execute("UPDATE rooms SET last_active = %s WHERE code = %s", (last_active, code))

    def delete_room(self, code: str, snapshot_owners: list[str]) -> None:
        with self._fenced(code) as db:  # members and snapshots go with it (ON DELETE CASCADE)
            db.execute("DELETE FROM snapshots WHERE owner = ANY(%s)", (snapshot_owners,))
            db.execute("DELETE FROM rooms WHERE code = %s", (code,))

    def rooms(self) -> list[RoomRow]:
        rows = self._db.execute(
            "SELECT code, teacher_key_hash, created_at, lesson_id, lesson_step, spotlight, challenge, "
            "locked, last_active FROM rooms WHERE shard = %s AND epoch = %s",
            (self.shard, self.epoch),
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
        if not fields or not set(fields) <= ROOM_FIELDS:
            raise ValueError(f"room fields are {sorted(ROOM_FIELDS)}")
        values = [
            ((json.dumps(v) if v is not None else "") if k == "challenge" else json.dumps(v))
            if k in ("challenge", "locked")
            else v
            for k, v in fields.items()
        ]
        assignments = ", ".join(f"{name} = %s" for name in fields)
        with self._fenced(code) as db:
            db.execute(f"UPDATE rooms SET {assignments} WHERE code = %s", (*values, code))

    # ---- members --------------------------------------------------------------------------------

    def add_member(self, member_id: str, room_code: str, name: str, token_hash: bytes) -> None:
        with self._fenced(room_code) as db:
            db.execute(
                "INSERT INTO members (id, room_code, name, name_key, token_hash, joined_at) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (member_id, room_code, name, name.casefold(), token_hash, time.time()),
            )

    def members(self) -> list[MemberRow]:
        rows = self._db.execute(
            "SELECT m.id, m.room_code, m.name, m.token_hash, m.joined_at, m.mode FROM members m "
            "JOIN rooms r ON r.code = m.room_code WHERE r.shard = %s AND r.epoch = %s ORDER BY m.joined_at",
            (self.shard, self.epoch),
        ).fetchall()
        return [
            MemberRow(i, room, name, bytes(tok), joined, mode) for i, room, name, tok, joined, mode in rows
        ]

    def set_member_mode(self, member_id: str, mode: str) -> None:
        with self._fenced(self._room_of(member_id)) as db:
            db.execute("UPDATE members SET mode = %s WHERE id = %s", (mode, member_id))

    def remove_member(self, member_id: str) -> None:
        with self._fenced(self._room_of(member_id)) as db:
            db.execute("DELETE FROM snapshots WHERE owner = %s", (member_id,))
            db.execute("DELETE FROM members WHERE id = %s", (member_id,))

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
        code = self._room_of(owner)
        if code is None:  # a member removed meanwhile: nothing of theirs is kept
            return
        with self._fenced(code) as db:
            db.execute(
                "INSERT INTO snapshots (owner, room_code, config, weights, epoch, points, updated_at, "
                "training) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (owner) DO UPDATE SET "
                "config = EXCLUDED.config, weights = EXCLUDED.weights, epoch = EXCLUDED.epoch, "
                "points = EXCLUDED.points, updated_at = EXCLUDED.updated_at, training = EXCLUDED.training",
                (owner, code, json.dumps(config), weights, epoch, points, time.time(), training),
            )

    def snapshot(self, owner: str) -> SnapshotRow | None:
        row = self._db.execute(
            "SELECT owner, config, weights, epoch, points, updated_at, training FROM snapshots "
            "WHERE owner = %s",
            (owner,),
        ).fetchone()
        if row is None:
            return None
        owner_, config, weights, epoch, points, updated, training = row
        blob = bytes(points) if points else None
        return SnapshotRow(owner_, json.loads(config), bytes(weights), epoch, blob, updated, bool(training))

    def delete_snapshot(self, owner: str) -> None:
        with self._fenced(self._room_of(owner)) as db:
            db.execute("DELETE FROM snapshots WHERE owner = %s", (owner,))
