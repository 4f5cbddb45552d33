"""Saved runs in Postgres, for the cluster: the same calls as the SQLite store (saved_runs/store.py's
`RunStore`), one table that every engine shard reads and writes, so a run saved through one shard is
listed, compared and reopened through any. Saved runs belong to nobody (unlike rooms: no fencing);
names are unique across the cluster, and `put` refuses a taken name unless asked to replace it.

One connection, autocommit, used from the event loop's thread only (as the SQLite store is).
"""

from __future__ import annotations

import json
import time

import psycopg

from ..saved_runs.store import COLUMNS, RunExists, SavedRunRow, row_from_columns

SCHEMA = """
CREATE TABLE IF NOT EXISTS saved_runs (
    name TEXT PRIMARY KEY,
    lab TEXT NOT NULL,
    config TEXT NOT NULL,
    state BYTEA NOT NULL,
    epoch INTEGER NOT NULL,
    own_data BYTEA,
    history TEXT NOT NULL,
    figures TEXT NOT NULL,
    saved_at DOUBLE PRECISION NOT NULL
);
"""


class PostgresRunStore:
    """Every saved run of the cluster (see the module docstring)."""

    def __init__(self, dsn: str) -> None:
        self.path = dsn
        self._db = psycopg.connect(dsn, autocommit=True)
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(23)")  # shards start together
            self._db.execute(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def put(self, row: SavedRunRow, overwrite: bool = False) -> None:
        """Store `row`; raises RunExists if its name is taken and `overwrite` is False."""
        values = (
            row.name,
            row.lab,
            json.dumps(row.config),
            row.state,
            row.epoch,
            row.own_data,
            json.dumps(row.history),
            json.dumps(row.figures),
            row.saved_at or time.time(),
        )
        replace = (
            " ON CONFLICT (name) DO UPDATE SET lab = EXCLUDED.lab, config = EXCLUDED.config, state = "
            "EXCLUDED.state, epoch = EXCLUDED.epoch, own_data = EXCLUDED.own_data, history = "
            "EXCLUDED.history, figures = EXCLUDED.figures, saved_at = EXCLUDED.saved_at"
        )
        try:
            self._db.execute(
                f"INSERT INTO saved_runs ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                + (replace if overwrite else ""),
                values,
            )
        except psycopg.errors.UniqueViolation:
            raise RunExists(row.name) from None

    def get(self, name: str) -> SavedRunRow | None:
        found = self._db.execute(f"SELECT {COLUMNS} FROM saved_runs WHERE name = %s", (name,)).fetchone()
        return None if found is None else row_from_columns(found)

    def rows(self) -> list[SavedRunRow]:
        """Every saved run, the newest first."""
        found = self._db.execute(f"SELECT {COLUMNS} FROM saved_runs ORDER BY saved_at DESC").fetchall()
        return [row_from_columns(r) for r in found]

    def delete(self, name: str) -> bool:
        """Forget a saved run; whether there was one."""
        return self._db.execute("DELETE FROM saved_runs WHERE name = %s", (name,)).rowcount > 0
