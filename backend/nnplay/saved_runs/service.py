"""Saved runs: save a live run under a name, list, reopen exactly where it was, delete; and the view of a
run (saved or live) that a comparison or an export reads.

Owner: SavedRuns, on the event loop (made by the app beside the session manager). A save reads the run's
state, epoch, config, own data and history together, in one synchronous step between two of its chunks
(they are assigned together on the event loop), so what is saved is one consistent moment of the run; the
bytes and its figures are made off the loop. A reopened run is a new session of the run's lab and config
that takes over the saved state, epoch and own data (the classroom's restore) and its loss history: it
trains on exactly as the saved run would have.
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from ..engine.snapshot import SnapshotError, state_to_bytes
from ..sessions import Session, SessionManager
from ..sessions.snapshots import pack_own_data, restore
from .figures import figures_of
from .store import RunExists, RunStore, SavedRunRow

MAX_NAME_CHARS = 64

__all__ = ["BadRunName", "RunExists", "RunView", "SavedRunNotFound", "SavedRuns", "check_name"]


class SavedRunNotFound(KeyError):
    """No saved run has this name."""


class BadRunName(ValueError):
    """A name a run cannot be saved under (empty, too long, invisible characters)."""


class RunNotReopened(ValueError):
    """A saved run that this server cannot reopen as it was (its settings or weights do not fit)."""


def check_name(name: str) -> str:
    """The name, NFKC-normalised and trimmed; raises BadRunName saying what is wrong."""
    text = unicodedata.normalize("NFKC", str(name)).strip()
    if not text:
        raise BadRunName("give the run a name (1 to 64 characters)")
    if len(text) > MAX_NAME_CHARS:
        raise BadRunName(f"a run's name has at most {MAX_NAME_CHARS} characters, got {len(text)}")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in text):
        raise BadRunName("a run's name may not hold control or invisible characters")
    if "/" in text or "\\" in text:  # a name is a path segment of /api/runs/{name}
        raise BadRunName("a run's name may not hold / or \\")
    return text


@dataclass(frozen=True)
class RunView:
    """A run as a comparison or an export reads it: where it is from, its settings, history, figures."""

    label: str  # its saved name, or "live run" and its epoch
    source: str  # "saved" | "live"
    lab: str
    config: dict[str, Any]
    epoch: int
    history: dict[str, list[Any]]
    figures: dict[str, Any]
    state: bytes | None = None  # the training state's bytes (exports of weights); None if not asked
    own_data: bytes | None = None

    def public(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "source": self.source,
            "lab": self.lab,
            "config": self.config,
            "epoch": self.epoch,
            "history": self.history,
            "figures": self.figures,
        }


class SavedRuns:
    """The server's saved runs (see the module docstring)."""

    def __init__(self, store: RunStore, manager: SessionManager) -> None:
        self.store = store
        self.manager = manager

    def close(self) -> None:
        self.store.close()

    async def save(self, session: Session, name: str, overwrite: bool = False) -> SavedRunRow:
        """Save the run of `session` now under `name`; raises BadRunName, RunExists."""
        view = await live_view(session, with_state=True)
        name = check_name(name)
        if not overwrite and self.store.get(name) is not None:
            raise RunExists(name)
        assert view.state is not None
        row = SavedRunRow(
            name=name,
            lab=view.lab,
            config=view.config,
            state=view.state,
            epoch=view.epoch,
            own_data=view.own_data,
            history=view.history,
            figures=view.figures,
            saved_at=time.time(),
        )
        self.store.put(row, overwrite)
        return row

    def get(self, name: str) -> SavedRunRow:
        row = self.store.get(name)
        if row is None:
            raise SavedRunNotFound(name)
        return row

    def listing(self) -> list[dict[str, Any]]:
        return [row.listing() for row in self.store.rows()]

    def delete(self, name: str) -> None:
        if not self.store.delete(name):
            raise SavedRunNotFound(name)

    async def reopen(self, name: str, client: str) -> Session:
        """A new session of `client` that continues the saved run `name` exactly where it was; raises
        SavedRunNotFound, ConfigError (settings this version refuses), RunNotReopened, TooManySessions."""
        row = self.get(name)
        session = await self.manager.create(row.config, client, lab=row.lab)
        try:
            restore(session, row.state, row.epoch, row.own_data)
        except SnapshotError as exc:
            await self.manager.remove(session.id)
            raise RunNotReopened(f"the saved run {name!r} cannot be reopened: {exc}") from None
        session.publisher.history.restore(row.history, row.epoch)
        await session.settled()
        return session

    def saved_view(self, name: str) -> RunView:
        row = self.get(name)
        return RunView(
            row.name,
            "saved",
            row.lab,
            row.config,
            row.epoch,
            row.history,
            row.figures,
            row.state,
            row.own_data,
        )


async def live_view(session: Session, with_state: bool = False) -> RunView:
    """A live run as it is now: its state, epoch, config, own data and history read together (one moment
    of the run), its figures evaluated from that state."""
    plan, state, epoch = session.plan, session.params, session.epoch
    own = session.family.own_data(session)
    history = session.publisher.history.to_json()
    frame = await session.publisher.make(plan, state, True, session.view)
    blob = await asyncio.to_thread(state_to_bytes, state) if with_state else None
    return RunView(
        label=f"live run (epoch {epoch})",
        source="live",
        lab=session.family.lab,
        config=plan.config.public(),
        epoch=epoch,
        history=history,
        figures=figures_of(frame, plan),
        state=blob,
        own_data=None if own is None else pack_own_data(own),
    )
