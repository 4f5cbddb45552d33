"""The image lab's sessions: create, find, expire, close (owned by the event loop)."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from ..sessions import SessionNotFound, TooManySessions
from .config import make_image_config
from .session import ImageSession


class ImageSessionManager:
    def __init__(self, max_sessions: int = 16, idle_timeout_s: float = 3600.0) -> None:
        self.max_sessions = max_sessions
        self.idle_timeout_s = idle_timeout_s
        self.sessions: dict[str, ImageSession] = {}

    async def create(self, changes: dict[str, Any] | None = None) -> ImageSession:
        """A new session (ImageConfigError if `changes` are invalid, TooManySessions if full)."""
        config = make_image_config(None, changes)
        await self.expire_idle()
        if len(self.sessions) >= self.max_sessions:
            idle = [s for s in self.sessions.values() if not s.subscribers]
            if not idle:
                raise TooManySessions(f"the image lab has {self.max_sessions} sessions running; try later")
            await self.remove(min(idle, key=lambda s: s.last_active).id)
        lab, state = await asyncio.to_thread(ImageSession.build, config)
        session = ImageSession(secrets.token_urlsafe(16), lab, state)
        self.sessions[session.id] = session
        session.start_loop()
        return session

    def get(self, session_id: str) -> ImageSession:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise SessionNotFound(session_id) from None

    async def remove(self, session_id: str) -> None:
        session = self.sessions.pop(session_id, None)
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
