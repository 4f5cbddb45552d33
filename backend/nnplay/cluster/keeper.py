"""A shard's own runs kept in Postgres (pgkept.py), so that they outlive the shard: a client's playground
and lab runs (a room's runs are kept by the classroom's store, a sweep's are not kept), each saved within
a second of being made and then every SNAPSHOT_INTERVAL_S while it changes (weights, epoch, settings, own
data, loss history, and whether it was training), and forgotten when it ends here. Another shard that takes
them over restores each under its own id and watch id, training on if it was: a page reconnects to the
same run and finds at most one snapshot interval of its epochs lost.

Owner: the shard's event loop (EngineShard runs `save_changed` every second and `drop_lost` with its
lease). A save the store refuses (another shard owns the run now: this one was frozen past its lease)
drops the run from memory, as `drop_lost` does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ..classroom.hub import SNAPSHOT_INTERVAL_S
from ..client_messages import Start
from ..engine.snapshot import SnapshotError
from ..schemas import ConfigError
from ..sessions import Session, SessionManager, TooManySessions
from ..sessions.snapshots import capture, restore, save_mark
from .pgkept import KeptRun, KeptRuns
from .pgstore import FencedOut

log = logging.getLogger(__name__)
CHECK_S = 1.0  # how often the shard looks for runs to save (a new run is kept within this)


class RunKeeper:
    def __init__(self, manager: SessionManager, kept: KeptRuns) -> None:
        self.manager = manager
        self.kept = kept
        self._saved: dict[str, tuple[tuple[int, int, bool], float]] = {}  # id -> (what, when) last saved
        self.saves = 0
        self.restored = 0

    def _own(self) -> dict[str, Session]:
        return {s.id: s for s in self.manager.sessions() if self.manager.is_own_run(s.id)}

    async def save_changed(self, force: bool = False) -> None:
        """Keep new runs, runs changed since their last save (every SNAPSHOT_INTERVAL_S at most, or now
        when `force`), and forget the runs that ended here."""
        own = self._own()
        for run_id in [run_id for run_id in self._saved if run_id not in own]:
            del self._saved[run_id]
            try:
                self.kept.delete(run_id)
            except Exception:
                log.exception("could not forget the kept run %s", run_id)
        now = time.monotonic()
        for session in own.values():
            saved = self._saved.get(session.id)
            mark = save_mark(session)
            if saved is not None:
                unchanged, recent = saved[0] == mark, now - saved[1] < SNAPSHOT_INTERVAL_S
                if unchanged or (recent and not force):
                    continue
            try:
                parts = await capture(session)
                self.kept.save(session.id, session.watch_id, session.client, parts, new=saved is None)
            except FencedOut:
                log.warning("run %s belongs to another shard now: dropped here", session.id)
                self._saved.pop(session.id, None)
                await self.manager.remove(session.id)
                continue
            except Exception:  # one bad run must not stop the others being kept
                log.exception("keeping run %s failed", session.id)
                continue
            self._saved[session.id] = (mark, now)
            self.saves += 1

    async def drop_lost(self) -> list[str]:
        """Forget the kept runs held here that the store says another shard owns now; their ids."""
        if not self._saved:
            return []
        try:
            owned = self.kept.owned_ids()
        except Exception:  # Postgres away: nothing is known, nothing is dropped
            log.exception("could not read which runs this shard keeps")
            return []
        lost = [run_id for run_id in self._saved if run_id not in owned]
        for run_id in lost:
            del self._saved[run_id]
            await self.manager.remove(run_id)
            log.warning("run %s belongs to another shard now: dropped here", run_id)
        return lost

    async def restore(self, runs: list[KeptRun]) -> list[KeptRun]:
        """Bring `runs` (taken over from a lost shard, or this shard's own from before a restart) back as
        sessions with their own ids, side by side; the ones restored."""
        results = await asyncio.gather(*(self._restore(run) for run in runs), return_exceptions=True)
        restored = [run for run, result in zip(runs, results, strict=True) if result is True]
        for run, result in zip(runs, results, strict=True):
            if result is not True:
                log.warning("kept run %s not restored: %r", run.id, result)
                self.kept.delete(run.id)  # nothing would ever restore it
        self.restored += len(restored)
        return restored

    async def _restore(self, run: KeptRun) -> bool:
        parts = run.parts
        try:
            session = await self.manager.create(
                parts.settings(), run.client, lab=parts.lab, session_id=run.id
            )
        except (ConfigError, TooManySessions, ValueError) as exc:
            raise RuntimeError(f"no session: {exc}") from None
        session.watch_id = run.watch_id
        try:
            restore(session, parts.weights, parts.epoch, parts.own_data)
        except SnapshotError as exc:  # it keeps its settings and starts from new weights
            log.warning("kept run %s: its weights could not be read (%s)", run.id, exc)
        else:
            session.publisher.history.restore(parts.history, parts.epoch)
        if parts.training:  # queued after the weights: it trains on from where it was
            session.handle(Start(type="start"))
        await session.settled()  # (never saved before its weights are back: that would lose them)
        self._saved[run.id] = (save_mark(session), time.monotonic())
        return True

    def stats(self) -> dict[str, Any]:
        return {"kept": len(self._saved), "saves": self.saves, "restored": self.restored}
