"""Saved runs in Postgres, for the cluster: the same calls as the SQLite store (saved_runs/store.py's
`RunStore`), one table that every engine shard reads and writes, so a run saved through one shard is
listed, compared and reopened through any. Saved runs belong to nobody (unlike rooms: no fencing);
names are unique across the cluster, and `put` refuses a taken name unless asked to replace it.

One connection, autocommit, used from the event loop's thread only (as the SQLite store is).
"""

from __future__ import annotations

import psycopg

from ..saved_runs.store import COLUMNS, RunExists, SavedRunRow, SqlRunRows, row_values

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


class PostgresRunStore(SqlRunRows):
    """Every saved run of the cluster (see the module docstring)."""

    MARK = "%s"

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
        replace = (
            " ON CONFLICT (name) DO UPDATE SET lab = EXCLUDED.lab, config = EXCLUDED.config, state = "
            "EXCLUDED.state, epoch = EXCLUDED.epoch, own_data = EXCLUDED.own_data, history = "
            "EXCLUDED.history, figures = EXCLUDED.figures, saved_at = EXCLUDED.saved_at"
        )
        try:
            self._db.execute(
                f"INSERT INTO saved_runs ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                + (replace if overwrite else ""),
                row_values(row),
            )
        except psycopg.errors.UniqueViolation:
            raise RunExists(row.name) from None
