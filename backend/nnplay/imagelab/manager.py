"""The image lab's sessions: create, find, expire, close (owned by the event loop)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterable
from typing import Any

from ..sessions import SessionNotFound, TooManySessions
from ..sessions.manager import evict_least_recent
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
        self._owners: dict[str, str] = {}  # session id -> the client that created it

    async def create(self, changes: dict[str, Any] | None = None, client: str = "") -> ImageSession:
        """A new session (ImageConfigError if `changes` are invalid, TooManySessions if full)."""
        config = make_image_config(None, changes)
        await self.expire_idle()
        own = [s for s in self.sessions.values() if self._owners.get(s.id) == client]
        if len(own) >= self.max_per_client and not await self._evict_one(own):
            raise TooManySessions(
                f"this client already has {self.max_per_client} image-lab sessions open; close some and "
                "try again"
            )
        if len(self.sessions) >= self.max_sessions and not await self._evict_one(self.sessions.values()):
            raise TooManySessions(f"the image lab has {self.max_sessions} sessions running; try later")
        lab, state = await asyncio.to_thread(ImageSession.build, config)
        session = ImageSession(secrets.token_urlsafe(16), lab, state)
        self.sessions[session.id] = session
        self._owners[session.id] = client
        session.start_loop()
        return session

    async def _evict_one(self, candidates: Iterable[ImageSession]) -> bool:
        return await evict_least_recent(candidates, self.remove)

    def get(self, session_id: str) -> ImageSession:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise SessionNotFound(session_id) from None

    async def remove(self, session_id: str) -> None:
        session = self.sessions.pop(session_id, None)
        self._owners.pop(session_id, None)
        if session is not None:
            await session.close()

    async def expire_idle(self) -> None:
        now = time.monotonic()
        for session in list(self.sessions.values()):
            if not session.subscribers and now - session.last_active > self.idle_timeout_s:
                await self.remove(session.id)

    async def close(self) -> None:
        for session_id in list(self.sessions):
            await self.remove(session_id)
