"""The sessions of a server: created within bounds (per client, in total), found by id, expired."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Mapping
from typing import Any

from ..client_messages import Pause
from ..engine.call_timing import FRAMES_PER_SECOND
from ..engine.seam import Engine, shaped_zeros
from ..schemas import ConfigError
from .commands import Command
from .family import Family
from .limits import EVICT_OTHERS_AFTER_S, Blocked, Quota, Slot, eviction_candidate
from .publisher import FrameBudget
from .session import Session


class SessionNotFound(KeyError):
    """No session has this id (it never existed, or it expired)."""


class TooManySessions(RuntimeError):
    """The server's session limit is reached and none is idle enough to evict."""


class SessionManager:
    """Creates, finds and expires sessions, within a bound."""

    def __init__(
        self,
        engine: Engine,
        families: Mapping[str, Family],
        max_sessions: int = 64,
        idle_timeout_s: float = 3600.0,
        max_per_client: int = 16,
        frames_per_s: float = FRAMES_PER_SECOND,  # a CPU's (the app passes its device's: app.py)
        max_classroom_sessions: int = 256,
        max_sweep_sessions: int = 256,
    ) -> None:
        """`engine` trains every session (the app's, closed by the app); `families` are the labs by name.
        `frames_per_s`: the frames the server makes across its watched training sessions
        (publisher.FrameBudget). Classroom runs (a room's teacher run and its students' forks) have a
        bound of their own, `max_classroom_sessions`: a class of 100 must not be refused by the
        playground's limit, nor crowd out the playground. Every lab's sessions count against the same
        limits. The runs of sweeps (experiments/) have a bound of their own too, `max_sweep_sessions`: a
        32-run sweep must neither pass nor evict a client's playground sessions."""
        self.engine = engine
        self.families = families
        self.budget = FrameBudget(frames_per_s, self._watched_training)
        self.max_sessions = max_sessions
        self.max_classroom_sessions = max_classroom_sessions
        self.max_per_client = max_per_client
        self.idle_timeout_s = idle_timeout_s
        self._sessions: dict[str, Session] = {}
        # Each session holds a slot of one quota from before it is built until it is removed (limits.py):
        # its key is the client (address) that created it.
        self.playground = Quota(max_sessions, max_per_client)
        self.classroom = Quota(max_classroom_sessions)
        self.max_sweep_sessions = max_sweep_sessions
        self.sweeps = Quota(max_sweep_sessions)
        self._slots: dict[str, Slot] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def engine_stats(self) -> dict[str, Any]:
        """What the engine has done since start (for /api/health and benchmarks): compiles, kernels, frames
        made in batches and alone, training calls and chunks."""
        return {"sessions": len(self._sessions), **self.engine.stats()}

    def family(self, lab: str) -> Family:
        try:
            return self.families[lab]
        except KeyError:
            raise ConfigError("lab", f"no lab {lab!r}; the labs are {', '.join(self.families)}") from None

    async def create(
        self,
        changes: dict[str, Any] | None = None,
        client: str = "",
        classroom: bool = False,
        lab: str = "playground",
        sweep: bool = False,
        session_id: str | None = None,
    ) -> Session:
        """A new paused session from defaults + `changes`; raises ConfigError or TooManySessions.
        `session_id`: the id of a run this one continues (a cluster shard's restore of a lost peer's run;
        ValueError if a session has it); by default a new one.

        At a limit (per client, then in total) the least recently used session nobody watches makes room.
        A classroom run counts only against `max_classroom_sessions` (its room bounds its students).
        """
        family = self.family(lab)
        config = family.make_config(None, changes or {})
        if session_id is not None and session_id in self._sessions:
            raise ValueError(f"a session {session_id!r} exists already")
        slot, evicted = self._reserve(client, classroom, sweep)  # no await before this: the cap holds
        with slot:  # given back if the session cannot be built
            for old in evicted:
                await old.close()
            session_id = session_id or secrets.token_urlsafe(9)
            session = await asyncio.to_thread(
                Session, session_id, family, config, self.engine, self.budget, "" if classroom else client
            )
        self._sessions[session_id] = session
        self._slots[session_id] = slot
        if sweep:  # nobody looks at a sweep's run before it trains: no frame of its epoch 0
            session.needs_frame = False
        session.start_loop()
        return session

    def _reserve(self, client: str, classroom: bool, sweep: bool = False) -> tuple[Slot, list[Session]]:
        """A slot for one more session of `client`, and the sessions that made room for it (already
        taken out of the manager; the caller closes them). Synchronous: the check and the reservation are
        one step. Raises TooManySessions."""
        if classroom:
            slot = self.classroom.reserve(client)
            if slot is None:
                raise TooManySessions(
                    f"the server already runs {self.max_classroom_sessions} classroom runs (NNPLAY_MAX_"
                    "CLASSROOM_SESSIONS); watch the teacher's run, or try again when a room has closed"
                )
            return slot, []
        if sweep:
            slot = self.sweeps.reserve(client)
            if slot is None:
                raise TooManySessions(
                    f"the server already trains {self.max_sweep_sessions} runs of sweeps (NNPLAY_MAX_SWEEP_"
                    "SESSIONS); try again when a sweep has finished, or delete one"
                )
            return slot, []
        evicted: list[Session] = []
        while (blocked := self.playground.blocked(client)) is not None:
            victim = self._eviction_candidate(client, blocked)
            if victim is None:
                raise TooManySessions(self._refusal(blocked))
            evicted.append(self._detach(victim.id))
        slot = self.playground.reserve(client)
        assert slot is not None  # nothing awaited since `blocked` said there was room
        return slot, evicted

    def _eviction_candidate(self, client: str, blocked: Blocked) -> Session | None:
        playground = [
            (s, slot.key)
            for s in self._sessions.values()
            if (slot := self._slots[s.id]).quota is self.playground
        ]
        own = [s for s, owner in playground if owner == client]
        others = [s for s, owner in playground if owner != client]
        return eviction_candidate(own, others, blocked, time.monotonic(), EVICT_OTHERS_AFTER_S)

    def _refusal(self, blocked: Blocked) -> str:
        if blocked == "key":
            return f"this client already has {self.max_per_client} sessions open; close some and try again"
        return f"the server already runs {self.max_sessions} sessions; try again later"

    async def warm_up(self, lab: str) -> None:
        """Compile what a new run of `lab` with the default settings needs side by side: the draw of its
        first weights (the first page's run waits for it), its training kernel and its frame, the last
        two from zeros of its state's shapes so that they need not wait for the first."""
        family = self.family(lab)
        plan = await asyncio.to_thread(family.make_plan, family.make_config(None, {}), None, None)
        state = await asyncio.to_thread(shaped_zeros, lambda: family.fresh_state(plan))
        await asyncio.gather(
            asyncio.to_thread(family.fresh_state, plan),
            asyncio.wrap_future(self.engine.prepare(plan, state)),
            asyncio.wrap_future(self.engine.frame(plan, state, False)),
        )

    def _watched_training(self) -> int:
        return sum(s.state == "training" and s.fanout.any_visible for s in self._sessions.values())

    def get(self, session_id: str) -> Session:
        try:
            return self._sessions[session_id]
        except KeyError:
            raise SessionNotFound(session_id) from None

    def get_watched(self, watch_id: str) -> Session:
        """The session whose read-only view is `watch_id`."""
        for session in self._sessions.values():
            if secrets.compare_digest(session.watch_id, watch_id):
                return session
        raise SessionNotFound(watch_id)

    by_watch_id = get_watched

    def is_classroom_run(self, session_id: str) -> bool:
        """Whether the session is a classroom run (counted against max_classroom_sessions)."""
        slot = self._slots.get(session_id)
        return slot is not None and slot.quota is self.classroom

    def is_own_run(self, session_id: str) -> bool:
        """Whether the session is a client's own run (counted against max_sessions): not a classroom run
        nor a sweep's."""
        slot = self._slots.get(session_id)
        return slot is not None and slot.quota is self.playground

    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    def _detach(self, session_id: str) -> Session:
        """Take a session out of the manager and give back its slot (synchronous); the caller closes it."""
        session = self._sessions.pop(session_id)
        self._slots.pop(session_id).release()
        return session

    async def remove(self, session_id: str) -> None:
        if session_id in self._sessions:
            await self._detach(session_id).close()

    async def expire_idle(self, pause_unwatched_s: float = 300.0) -> int:
        """Remove sessions nobody watched for idle_timeout_s; pause training nobody watched for 5 min."""
        now = time.monotonic()
        for s in self._sessions.values():
            if not s.subscribers and s.state == "training" and now - s.last_active > pause_unwatched_s:
                s.enqueue(Command(Pause(type="pause")))
        expired = [
            s.id
            for s in self._sessions.values()
            if not s.subscribers and now - s.last_active > self.idle_timeout_s
        ]
        for session_id in expired:
            await self.remove(session_id)
        return len(expired)

    async def close(self) -> None:
        for session_id in list(self._sessions):
            await self.remove(session_id)
