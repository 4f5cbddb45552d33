"""One sweep on the server: its runs are sessions of the SessionManager (counted against its sweep quota),
started together so that runs of one architecture share an engine bucket and its one call per tick, and
followed by one task on the event loop (what it knows of each run: record.py).

The follower looks at every run about 15 times a second: its state and epoch, and the newest frame it
published (losses and decision map, when the sweep is watched: a page following the sweep subscribes to
each run as a hidden viewer, which makes the runs publish a cheap frame every half second). When a run
stops (its epochs, a stop rule, divergence, a person's stop) the follower evaluates its final state once,
on the engine, and keeps its figures. It touches its runs while they train, so the manager's idle rules
do not pause them.

Owner: the event loop. Only the follower (and `stop`, `watch`, `unwatch`) change the records; readers take
`view()` snapshots. Runs are never changed by the sweep after they stop: "open this run" copies one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from ..client_messages import Pause, Start
from ..engine.seam import CompileRefused
from ..sessions import Session, SessionManager, SessionNotFound, stopping
from ..sessions.commands import Command
from ..sessions.family import FIGURE_LABELS, Stamp
from ..sessions.runstate import RUNNING
from .plan import PlannedRun, SweepSpec
from .record import RunRecord, shows_stop
from .stats import best_group, group_summary

log = logging.getLogger(__name__)
FOLLOW_INTERVAL_S = 1 / 15  # the sweep's page hears of its runs this often
STOP_FRAME_WAIT_S = 1.0  # a stopped run's loop publishes the frame of where it stopped within this


class Sweep:
    """One sweep's runs, its follower and what it has found (see the module docstring)."""

    def __init__(
        self,
        sweep_id: str,
        spec: SweepSpec,
        planned: list[PlannedRun],
        client: str,
        labels: dict[str, str] | None = None,
    ) -> None:
        self.id = sweep_id
        self.spec = spec
        self.unit = stopping.unit(planned[0].config)  # what its epochs count ("step" in the sequence lab)
        self.labels = labels or dict(FIGURE_LABELS)  # its figures in words, as its lab measures them
        self.client = client
        self.runs = [RunRecord(run) for run in planned]
        self.status = "starting"  # starting | running | done | stopped
        self.created_at = time.time()
        self.started = time.perf_counter()
        self.wall_s: float | None = None  # from the request to the last run's final figures
        self.version = 0  # bumped after every look at the runs
        self.watchers = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._done = asyncio.Event()

    # ---- lifecycle ------------------------------------------------------------------------------

    async def launch(self, manager: SessionManager) -> None:
        """Create every run's session (all or none: TooManySessions leaves none behind), start them in one
        turn of the event loop, and follow them."""
        lab = self.spec.lab
        made = await asyncio.gather(
            *(manager.create(r.plan.config.public(), self.client, lab=lab, sweep=True) for r in self.runs),
            return_exceptions=True,
        )
        failure = next((m for m in made if isinstance(m, BaseException)), None)
        if failure is not None:
            for session in made:
                if isinstance(session, Session):
                    await manager.remove(session.id)
            raise failure
        sessions = [m for m in made if isinstance(m, Session)]
        for record, session in zip(self.runs, sessions, strict=True):
            record.session_id, record.state = session.id, "compiling"
        try:
            await self._prepare(manager, sessions)
            # every run's start is applied before the follower first looks (none seen paused at 0)
            await asyncio.gather(*(session.perform(Start(type="start")) for session in sessions))
        except BaseException:  # cancelled (the request went away) too: no run is left behind
            for session in sessions:
                await manager.remove(session.id)
            raise
        self.status = "running"
        self._task = asyncio.get_running_loop().create_task(self._follow(manager), name=f"sweep-{self.id}")

    async def _prepare(self, manager: SessionManager, sessions: list[Session]) -> None:
        """Compile the kernel each architecture's runs train in together before any of them starts: no
        run then trains alone (in a shard of its own) while it compiles. Runs of one kernel share it."""
        kinds: dict[Any, list[Session]] = {}
        for session in sessions:
            kinds.setdefault(session.plan.train_uses()[0].key, []).append(session)
        compiles = []
        for group in kinds.values():
            with contextlib.suppress(CompileRefused):  # a full compile queue: they train as they can
                future = manager.engine.prepare_runs(group[0].plan, group[0].params, len(group), self.client)
                compiles.append(asyncio.wrap_future(future))
        for outcome in await asyncio.gather(*compiles, return_exceptions=True):
            if isinstance(outcome, Exception):  # the runs meet the failure when they train
                log.warning("sweep %s: a shared kernel failed to compile: %s", self.id, outcome)

    async def finished(self) -> None:
        await self._done.wait()

    async def close(self, manager: SessionManager) -> None:
        """End the follower and remove every run's session."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for record in self.runs:
            await manager.remove(record.session_id)
        self._done.set()

    def stop(self, manager: SessionManager) -> None:
        """Pause every run that still trains; the follower gives each its final figures."""
        if self.status != "running":
            return
        self.status = "stopping"
        for record in self.runs:
            with contextlib.suppress(SessionNotFound):
                if not record.final:
                    manager.get(record.session_id).enqueue(Command(Pause(type="pause")))

    # ---- watching -------------------------------------------------------------------------------

    def watch(self, manager: SessionManager) -> None:
        """A page follows the sweep: its runs publish frames (as to a hidden tab: a few a second)."""
        self.watchers += 1
        if self.watchers == 1:
            for record in self.runs:
                record.subscribe(manager)

    def unwatch(self, manager: SessionManager) -> None:
        self.watchers = max(0, self.watchers - 1)
        if self.watchers == 0:
            for record in self.runs:
                record.unsubscribe(manager)

    async def changed(self, version: int, timeout_s: float = 1.0) -> int:
        """Wait until the sweep's version passes `version` (or the timeout); the version now."""
        if self.version <= version:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout_s)
        return self.version

    def _bump(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    # ---- the follower ---------------------------------------------------------------------------

    async def _follow(self, manager: SessionManager) -> None:
        waiters: dict[int, asyncio.Task[None]] = {}
        try:
            while True:
                stopped: list[tuple[RunRecord, Session]] = []
                for record in self.runs:
                    if not record.final:
                        session = self._look(manager, record)
                        if session is not None and session.state not in RUNNING:
                            stopped.append((record, session))
                if stopped:
                    await asyncio.gather(*(self._finish(manager, r, s) for r, s in stopped))
                self._bump()
                if all(record.final for record in self.runs):
                    break
                await self._until_one_stops(manager, waiters)
            self.status = "stopped" if self.status == "stopping" else "done"
            self.wall_s = time.perf_counter() - self.started
        except Exception:  # a failure of the follower never takes the server down
            log.exception("sweep %s: following its runs failed", self.id)
            self.status = "failed"
        finally:
            for waiter in waiters.values():
                waiter.cancel()
            for record in self.runs:
                record.unsubscribe(manager)
            self._bump()
            self._done.set()

    async def _until_one_stops(self, manager: SessionManager, waiters: dict[int, asyncio.Task[None]]) -> None:
        """Wait FOLLOW_INTERVAL_S, or less: until a run's loop goes idle (it stopped and published where;
        a training run's never does), so the last run's figures come the moment it stops."""
        for record in self.runs:
            index = record.plan.index
            if record.final or index in waiters:
                continue
            with contextlib.suppress(SessionNotFound):
                waiters[index] = asyncio.ensure_future(manager.get(record.session_id).idle())
        if waiters:
            done, _ = await asyncio.wait(
                waiters.values(), timeout=FOLLOW_INTERVAL_S, return_when="FIRST_COMPLETED"
            )
            for index in [i for i, waiter in waiters.items() if waiter in done]:
                del waiters[index]
        else:
            await asyncio.sleep(FOLLOW_INTERVAL_S)

    def _look(self, manager: SessionManager, record: RunRecord) -> Session | None:
        try:
            session = manager.get(record.session_id)
        except SessionNotFound:
            record.state, record.final = "gone", True
            record.message = "its session ended before it finished (deleted, or idle too long)"
            return None
        session.touch()  # the sweep watches it: idle rules must not pause it
        record.epoch = session.epoch
        if session.state in RUNNING:
            record.state = session.state
        if session.last_frame is not None and record.subscriber is not None:
            record.take_frame(session.last_frame, session.family)
        if self.watchers and record.subscriber is None:
            record.subscribe(manager)
        return session

    async def _finish(self, manager: SessionManager, record: RunRecord, session: Session) -> None:
        """The run stopped: its figures, last point and picture from the frame its run loop published of
        where it stopped, or (none within STOP_FRAME_WAIT_S) from an evaluation of its final state."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(session.idle(), STOP_FRAME_WAIT_S)
        frame = session.last_frame
        if frame is None or not shows_stop(frame, session):
            plan = session.plan
            made = await asyncio.wrap_future(manager.engine.frame(plan, session.params, False))
            stamp = Stamp(
                session.epoch, float(session.epoch), session.state, session.config_version, 0.0, 0, plan
            )
            frame = session.family.encode_frame(made, stamp)
        record.seen = None
        record.take_frame(frame, session.family)
        record.epoch, record.message = session.epoch, session.message
        if session.state in ("diverged", "stalled"):
            record.state = session.state
        else:
            cut_short = self.status == "stopping" and session.epoch < self.spec.epochs
            record.state = "stopped" if cut_short else "done"
        record.final = True
        record.unsubscribe(manager)

    # ---- what it shows --------------------------------------------------------------------------

    def session_ids(self) -> list[str]:
        """The sessions of its runs (those created so far)."""
        return [record.session_id for record in self.runs if record.session_id]

    def summary(self) -> dict[str, Any]:
        """The sweep without its runs' curves and pictures (lists of sweeps)."""
        return {
            "id": self.id,
            "lab": self.spec.lab,
            "status": self.status,
            "mode": self.spec.mode,
            "epochs": self.spec.epochs,
            "unit": self.unit,
            "figures": self.labels,
            "varied": [axis.name for axis in self.spec.axes],
            "seeds": list(self.spec.seeds),
            "run_count": len(self.runs),
            "finished_runs": sum(record.final for record in self.runs),
            "created_at": self.created_at,
            "wall_s": self.wall_s if self.wall_s is not None else time.perf_counter() - self.started,
        }

    def view(self, since: dict[int, tuple[int, int, int]] | None = None) -> dict[str, Any]:
        """The whole sweep; with `since` (run index -> (history version, points, picture version) a client
        already has) only what is new to it: the history from where it is, the picture if it changed."""
        runs = []
        for record in self.runs:
            had = (since or {}).get(record.plan.index)
            start = had[1] if had is not None and had[0] == record.history_version else 0
            picture = had is None or had[2] != record.thumbnail_version
            runs.append(record.public(min(start, len(record.history)), picture))
        rows = group_summary([{**run, "varied": run["varied"]} for run in runs])
        return {**self.summary(), "runs": runs, "groups": rows, "best_group": best_group(rows)}

    def result(self) -> dict[str, Any]:
        """What `nnplay sweep --json` prints: every run's config and final figures, the groups' spread
        over seeds and the wall time."""
        runs = [
            {
                **{k: v for k, v in record.public().items() if not k.startswith(("history", "thumbnail"))},
                "config": record.plan.config.public(),
            }
            for record in self.runs
        ]
        rows = group_summary(runs)
        return {**self.summary(), "runs": runs, "groups": rows, "best_group": best_group(rows)}
