"""The sessions of a server: created within bounds (per client, in total), found by id, expired."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Sized
from typing import Any, Protocol

from ..engine.seam import Engine
from ..schemas import ConfigError, Pause
from .commands import Command
from .family import Family
from .publisher import FrameBudget
from .session import Session


class Evictable(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def subscribers(self) -> Sized: ...
    @property
    def last_active(self) -> float: ...


async def evict_least_recent(
    candidates: Iterable[Evictable], remove: Callable[[str], Awaitable[None]]
) -> bool:
    """Remove the least recently active of `candidates` that nobody watches (False if all are watched):
    how a server at a session limit makes room, for the playground's and the image lab's sessions."""
    idle = [s for s in candidates if not s.subscribers]
    if not idle:
        return False
    await remove(min(idle, key=lambda s: s.last_active).id)
    return True


class SessionNotFound(KeyError):
    """No session has this id (it never existed, or it expired)."""


class TooManySessions(RuntimeError):
    """The server's session limit is reached and none is idle enough to evict."""


class SessionManager:
    """Creates, finds and expires the sessions of every lab, within a bound."""

    def __init__(
        self,
        engine: Engine,
        families: dict[str, Family],
        max_sessions: int = 64,
        idle_timeout_s: float = 3600.0,
        max_per_client: int = 16,
        frames_per_s: float = 600.0,
        max_classroom_sessions: int = 256,
    ) -> None:
        """`engine` trains every session (the app's, closed by the app); `families` are the labs by name.
        `frames_per_s`: the frames the server makes across its watched training sessions
        (publisher.FrameBudget). Classroom runs (a room's teacher run and its students' forks) have a
        bound of their own, `max_classroom_sessions`: a class of 100 must not be refused by the
        playground's limit, nor crowd out the playground."""
        self.engine = engine
        self.families = families
        self.budget = FrameBudget(frames_per_s, self._watched_training)
        self.max_sessions = max_sessions
        self.max_classroom_sessions = max_classroom_sessions
        self._classroom: set[str] = set()  # ids of classroom runs
        self.max_per_client = max_per_client
        self.idle_timeout_s = idle_timeout_s
        self._sessions: dict[str, Session] = {}
        self._owners: dict[str, str] = {}  # session id -> the client (address) that created it

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
    ) -> Session:
        """A new paused session of `lab` from its defaults + `changes`; raises ConfigError or
        TooManySessions.

        At a limit (per client, then in total) the least recently used session nobody watches makes room.
        A classroom run counts only against `max_classroom_sessions` (its room bounds its students).
        """
        family = self.family(lab)
        config = family.make_config(None, changes or {})
        if classroom:
            if len(self._classroom) >= self.max_classroom_sessions:
                raise TooManySessions(
                    f"the server already runs {self.max_classroom_sessions} classroom runs (NNPLAY_MAX_"
                    "CLASSROOM_SESSIONS); watch the teacher's run, or try again when a room has closed"
                )
        else:
            playground = [s for sid, s in self._sessions.items() if sid not in self._classroom]
            own = [s for s in playground if self._owners.get(s.id) == client]
            if len(own) >= self.max_per_client and not await self._evict_one(own):
                raise TooManySessions(
                    f"this client already has {self.max_per_client} sessions open; close some and try again"
                )
            if len(playground) >= self.max_sessions and not await self._evict_one(playground):
                raise TooManySessions(
                    f"the server already runs {self.max_sessions} sessions; try again later"
                )
        session_id = secrets.token_urlsafe(9)
        session = await asyncio.to_thread(
            Session, session_id, family, config, self.engine, self.budget, "" if classroom else client
        )
        self._sessions[session_id] = session
        self._owners[session_id] = client
        if classroom:
            self._classroom.add(session_id)
        session.start_loop()
        return session

    async def warm_up(self, lab: str) -> None:
        """Compile what a new run of `lab` with the default settings needs: its training kernel, then its
        frame (a throwaway session, never registered)."""
        family = self.family(lab)
        session = await asyncio.to_thread(
            Session, "warm-up", family, family.make_config(None, {}), self.engine, None
        )
        try:
            await asyncio.wrap_future(self.engine.prepare(session.plan, session.params))
            await session.publisher.make(session.plan, session.params, False, None)
        finally:
            await session.close()

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

    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    async def _evict_one(self, candidates: Iterable[Session]) -> bool:
        return await evict_least_recent(candidates, self.remove)

    async def remove(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        self._owners.pop(session_id, None)
        self._classroom.discard(session_id)
        if session is not None:
            await session.close()

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
