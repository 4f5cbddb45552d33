"""The image lab's sessions: create, find, expire, close (owned by the event loop)."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from ..sessions import SessionNotFound, TooManySessions
from ..sessions.limits import EVICT_OTHERS_AFTER_S, Quota, Slot, eviction_candidate
from .config import make_image_config
from .session import ImageSession


class ImageSessionManager:
    """At most `max_sessions` in all and `max_per_client` per client (address); at a limit the least
    recently active session nobody watches (the client's own first) makes room. The app's reaper calls
    `expire_idle` every 30 s."""

    def __init__(
        self, max_sessions: int = 16, idle_timeout_s: float = 3600.0, max_per_client: int = 16
    ) -> None:
        self.max_sessions = max_sessions
        self.idle_timeout_s = idle_timeout_s
        self.max_per_client = max_per_client
        self.sessions: dict[str, ImageSession] = {}
        self.quota = Quota(max_sessions, max_per_client)  # sessions/limits.py: taken before any await
        self._slots: dict[str, Slot] = {}  # session id -> its slot (keyed by the client that created it)

    async def create(self, changes: dict[str, Any] | None = None, client: str = "") -> ImageSession:
        """A new session (ImageConfigError if `changes` are invalid, TooManySessions if full)."""
        config = make_image_config(None, changes)
        await self.expire_idle()
        slot, evicted = self._reserve(client)  # no await between the check and the reservation
        with slot:  # given back if the session cannot be built
            for old in evicted:
                await old.close()
            lab, state = await asyncio.to_thread(ImageSession.build, config)
        session = ImageSession(secrets.token_urlsafe(16), lab, state)
        self.sessions[session.id] = session
        self._slots[session.id] = slot
        session.start_loop()
        return session

    def _reserve(self, client: str) -> tuple[Slot, list[ImageSession]]:
        """A slot for `client` and the sessions that made room (taken out; the caller closes them)."""
        evicted = []
        while (blocked := self.quota.blocked(client)) is not None:
            own = [s for s in self.sessions.values() if self._slots[s.id].key == client]
            others = [s for s in self.sessions.values() if self._slots[s.id].key != client]
            victim = eviction_candidate(own, others, blocked, time.monotonic(), EVICT_OTHERS_AFTER_S)
            if victim is None:
                raise TooManySessions(
                    f"this client already has {self.max_per_client} image-lab sessions open; close some "
                    "and try again"
                    if blocked == "key"
                    else f"the image lab has {self.max_sessions} sessions running; try later"
                )
            evicted.append(self._detach(victim.id))
        slot = self.quota.reserve(client)
        assert slot is not None  # nothing awaited since `blocked` said there was room
        return slot, evicted

    def _detach(self, session_id: str) -> ImageSession:
        self._slots.pop(session_id).release()
        return self.sessions.pop(session_id)

    def get(self, session_id: str) -> ImageSession:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise SessionNotFound(session_id) from None

    async def remove(self, session_id: str) -> None:
        if session_id in self.sessions:
            await self._detach(session_id).close()

    async def expire_idle(self) -> None:
        now = time.monotonic()
        for session in list(self.sessions.values()):
            if not session.subscribers and now - session.last_active > self.idle_timeout_s:
                await self.remove(session.id)

    async def close(self) -> None:
        for session_id in list(self.sessions):
            await self.remove(session_id)
