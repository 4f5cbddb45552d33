"""The kept runs of a cluster in Postgres: every engine shard's own runs (a client's playground or lab
runs, not a room's nor a sweep's) as they were at their last snapshot, each row owned by one shard and
written only with that shard's fencing epoch (pgstore.py's epoch), so that a lost shard's runs can be
taken over and restored by another with the same ids, and a shard frozen past its lease cannot overwrite
them when it wakes.

One connection, autocommit, used from the event loop's thread only (as the other stores are).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import psycopg

from ..sessions.snapshots import RunParts
from .pgstore import FencedOut

SCHEMA = """
CREATE TABLE IF NOT EXISTS kept_runs (
    id TEXT PRIMARY KEY,
    watch_id TEXT NOT NULL,
    client TEXT NOT NULL,
    shard TEXT NOT NULL,
    owner_epoch BIGINT NOT NULL,
    config TEXT NOT NULL,
    weights BYTEA NOT NULL,
    epoch INTEGER NOT NULL,
    own_data BYTEA,
    history TEXT NOT NULL,
    training BOOLEAN NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS kept_runs_shard ON kept_runs (shard);
"""
RETURNED = "id, watch_id, client, config, weights, epoch, own_data, history, training"


@dataclass(frozen=True)
class KeptRun:
    id: str
    watch_id: str
    client: str
    parts: RunParts


class KeptRuns:
    """The kept runs of `shard` (incarnation `owner_epoch`): save, delete, claim and take over."""

    def __init__(self, dsn: str, shard: str, owner_epoch: int) -> None:
        self.shard = shard
        self.owner_epoch = owner_epoch
        self._db = psycopg.connect(dsn, autocommit=True)
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(24)")  # shards start together
            self._db.execute(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def save(self, run_id: str, watch_id: str, client: str, parts: RunParts, new: bool) -> None:
        """Store a `new` run (a row of its own) or over its own row; FencedOut when another shard owns it
        now (or, for a run kept before, when its row is gone: taken over, then ended by its new owner)."""
        config, history = json.dumps(parts.config), json.dumps(parts.history)
        values = (config, parts.weights, parts.epoch, parts.own_data, history, parts.training, time.time())
        if new:
            cursor = self._db.execute(
                "INSERT INTO kept_runs (id, watch_id, client, shard, owner_epoch, config, weights, epoch, "
                "own_data, history, training, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                "%s, %s) ON CONFLICT (id) DO NOTHING",
                (run_id, watch_id, client, self.shard, self.owner_epoch, *values),
            )
        else:
            cursor = self._db.execute(
                "UPDATE kept_runs SET config = %s, weights = %s, epoch = %s, own_data = %s, history = %s, "
                "training = %s, updated_at = %s WHERE id = %s AND shard = %s AND owner_epoch = %s",
                (*values, run_id, self.shard, self.owner_epoch),
            )
        if cursor.rowcount == 0:
            raise FencedOut(f"run {run_id} belongs to another shard now: this write is refused")

    def delete(self, run_id: str) -> None:
        """Forget a run that ended here (deleted, expired); nothing if another shard owns it now."""
        self._db.execute(
            "DELETE FROM kept_runs WHERE id = %s AND shard = %s AND owner_epoch = %s",
            (run_id, self.shard, self.owner_epoch),
        )

    def claim(self) -> list[KeptRun]:
        """The runs this shard kept in a former incarnation, now this one's (the former is fenced out)."""
        return self.take_over(self.shard)

    def take_over(self, shard: str) -> list[KeptRun]:
        """Own the kept runs of `shard` (a lost peer's, or this shard's own after a restart)."""
        rows = self._db.execute(
            f"UPDATE kept_runs SET shard = %s, owner_epoch = %s WHERE shard = %s RETURNING {RETURNED}",
            (self.shard, self.owner_epoch, shard),
        ).fetchall()
        return [_kept(row) for row in rows]

    def owned_ids(self) -> set[str]:
        rows = self._db.execute(
            "SELECT id FROM kept_runs WHERE shard = %s AND owner_epoch = %s", (self.shard, self.owner_epoch)
        ).fetchall()
        return {run_id for (run_id,) in rows}


def _kept(row: tuple[Any, ...]) -> KeptRun:
    run_id, watch_id, client, config, weights, epoch, own_data, history, training = row
    parts = RunParts(
        config=json.loads(config),
        weights=bytes(weights),
        epoch=int(epoch),
        own_data=bytes(own_data) if own_data else None,
        training=bool(training),
        history=json.loads(history),
    )
    return KeptRun(run_id, watch_id, client, parts)
