"""Saved runs kept under a name: the store interface (`RunStore`) and its SQLite implementation.

A saved run is everything needed to reopen it exactly where it was: its lab and config, its training
state (weights, optimizer state, the schedule's clock) as bytes (engine/snapshot.py), its epoch, its own
data (packed as the classroom packs it), its loss history and its final figures (losses, accuracy, the
decision map, the confusion matrix: what a comparison shows without training anything).

`SqliteRunStore` keeps them in `<data_dir>/runs.sqlite3`, beside the classroom's file and made the same way
(classroom/store.py): one connection used from the event loop's thread only, WAL mode, a schema version in
PRAGMA user_version (a newer file is refused). Another store (the cluster's Postgres) implements the same
`RunStore` calls. Names are unique; `put` refuses an existing name unless asked to replace it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..classroom.store import open_sqlite

SCHEMA_VERSION = 1
FILE_NAME = "runs.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS saved_runs (
    name TEXT PRIMARY KEY,
    lab TEXT NOT NULL,
    config TEXT NOT NULL,
    state BLOB NOT NULL,
    epoch INTEGER NOT NULL,
    own_data BLOB,
    history TEXT NOT NULL,
    figures TEXT NOT NULL,
    saved_at REAL NOT NULL
);
"""


class RunExists(ValueError):
    """A saved run of this name exists and replacing it was not asked for."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"a saved run named {name!r} already exists: choose another name, or ask to overwrite it"
        )
        self.name = name


@dataclass(frozen=True)
class SavedRunRow:
    name: str
    lab: str
    config: dict[str, Any]  # the run's public config (what it trains with)
    state: bytes  # engine.snapshot.state_to_bytes of its training state
    epoch: int
    own_data: bytes | None  # classroom.runs.pack_own_data of its own points, if it has some
    history: dict[str, list[Any]]  # {"epoch": [...], "train_loss": [...], "test_loss": [...]}
    figures: dict[str, Any]  # final figures (sessions' summary names) and pictures, JSON-ready
    saved_at: float

    def listing(self) -> dict[str, Any]:
        """What a list of saved runs shows of it (no bytes)."""
        figures = {k: v for k, v in self.figures.items() if k in LISTED_FIGURES}
        return {
            "name": self.name,
            "lab": self.lab,
            "epoch": self.epoch,
            "saved_at": self.saved_at,
            "config": self.config,
            **figures,
        }


LISTED_FIGURES = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


class RunStore(Protocol):
    """What saved runs ask of a store. Calls are synchronous, on the event loop."""

    def put(self, row: SavedRunRow, overwrite: bool = False) -> None: ...
    def get(self, name: str) -> SavedRunRow | None: ...
    def rows(self) -> list[SavedRunRow]: ...
    def delete(self, name: str) -> bool: ...
    def close(self) -> None: ...


class SqlRunRows:
    """The saved_runs table's reads and deletes over a DB-API connection `_db` (SQLite's, psycopg's) whose
    parameters are written `MARK`; each store writes rows its own way (`put`, with `row_values`)."""

    MARK = "?"
    _db: Any

    def get(self, name: str) -> SavedRunRow | None:
        query = f"SELECT {COLUMNS} FROM saved_runs WHERE name = {self.MARK}"
        found = self._db.execute(query, (name,)).fetchone()
        return None if found is None else row_from_columns(found)

    def rows(self) -> list[SavedRunRow]:
        """Every saved run, the newest first."""
        found = self._db.execute(f"SELECT {COLUMNS} FROM saved_runs ORDER BY saved_at DESC").fetchall()
        return [row_from_columns(r) for r in found]

    def delete(self, name: str) -> bool:
        """Forget a saved run; whether there was one."""
        return bool(
            self._db.execute(f"DELETE FROM saved_runs WHERE name = {self.MARK}", (name,)).rowcount > 0
        )


class SqliteRunStore(SqlRunRows):
    """Saved runs in `<data_dir>/runs.sqlite3` (see the module docstring)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME
        self._db, _ = open_sqlite(self.path, SCHEMA_VERSION)
        self._db.executescript(SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def put(self, row: SavedRunRow, overwrite: bool = False) -> None:
        """Store `row`; raises RunExists if its name is taken and `overwrite` is False."""
        verb = "INSERT OR REPLACE" if overwrite else "INSERT"
        try:
            self._db.execute(
                f"{verb} INTO saved_runs ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row_values(row)
            )
        except sqlite3.IntegrityError:
            raise RunExists(row.name) from None


COLUMNS = "name, lab, config, state, epoch, own_data, history, figures, saved_at"


def row_values(row: SavedRunRow) -> tuple[Any, ...]:
    """A row's values in the order of COLUMNS, as a store writes them (JSON text, bytes; now if unsaved)."""
    return (
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


def row_from_columns(found: tuple[Any, ...]) -> SavedRunRow:
    """A row of COLUMNS, as a store's query returns it (SQLite's or Postgres's)."""
    name, lab, config, state, epoch, own, history, figures, saved_at = found
    return SavedRunRow(
        name,
        lab,
        json.loads(config),
        bytes(state),
        int(epoch),
        None if own is None else bytes(own),
        json.loads(history),
        json.loads(figures),
        float(saved_at),
    )
