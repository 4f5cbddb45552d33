"""A client's sweeps across a cluster's shards (each shard keeps the sweeps it trains): listed together,
and counted together against one server's limit (experiments/quota.py) when the client starts a new one.

Owner: the gateway's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from redis.exceptions import LockError, RedisError

from ..experiments.quota import room_for_one_more, too_many_sweeps
from . import wire
from .asgi import json_object
from .shards import ShardSet

RETRY_SWEEPS_S = 30  # as one server says (api/errors.py: a full server's)


class ClientSweeps:
    def __init__(self, redis: aioredis.Redis, shards: ShardSet) -> None:
        self.redis = redis
        self.shards = shards

    async def of_client(self, request: Request, client: str) -> list[tuple[str, dict[str, Any]]]:
        """The client's sweeps on every shard with the shard of each, the oldest first (a shard that does
        not answer is left out)."""
        headers = list(request.headers.items())
        args = ("request", "GET", "/api/sweeps", request.url.query, headers, b"", client)
        alive = self.shards.alive()
        answers = await asyncio.gather(
            *(self.shards.call(shard, *args) for shard in alive), return_exceptions=True
        )
        sweeps = [
            (shard, sweep)
            for shard, answer in zip(alive, answers, strict=True)
            if not isinstance(answer, BaseException) and answer[0] == 200
            for sweep in json_object(answer[2]).get("sweeps", [])
            if isinstance(sweep, dict)
        ]
        return sorted(sweeps, key=lambda item: item[1].get("created_at", 0))

    async def make_room(self, request: Request, client: str) -> Response | None:
        """As one server does: past a client's most sweeps, delete its oldest finished one to make room
        for a new one (None: go on), or refuse when all of them still train."""
        sweeps = await self.of_client(request, client)
        oldest = room_for_one_more([str(sweep.get("status")) for _, sweep in sweeps])
        if oldest is None:
            detail = too_many_sweeps(len(sweeps))
            return JSONResponse({"detail": detail}, 429, headers={"Retry-After": str(RETRY_SWEEPS_S)})
        if oldest >= 0:
            shard, sweep = sweeps[oldest]
            path, headers = f"/api/sweeps/{sweep['id']}", list(request.headers.items())
            with contextlib.suppress(Exception):  # gone meanwhile: there is room anyway
                await self.shards.call(
                    shard, "request", "DELETE", path, request.url.query, headers, b"", client
                )
        return None

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, client: str) -> AsyncIterator[None]:
        """One new sweep of a client at a time across the gateways (without Redis: at a time here)."""
        lock = self.redis.lock(f"{wire.PREFIX}sweeps:{client}", timeout=60, blocking_timeout=30)
        try:
            held = await lock.acquire()
        except RedisError:
            held = False
        try:
            yield
        finally:
            if held:
                with contextlib.suppress(RedisError, LockError):
                    await lock.release()
