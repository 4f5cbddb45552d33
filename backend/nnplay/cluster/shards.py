"""What a gateway knows of the engine shards: which are alive (their leases in Redis), their Ray actor
handles (looked up by name), their last reported figures, who owns a run or a room (the directory in
Redis, filled by asking the shards), and where a new run or room goes.

Owner: ShardSet, on the gateway's event loop; `poll` refreshes it every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

import ray
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from . import wire

log = logging.getLogger(__name__)
NAMESPACE = "nnplay"
CALL_TIMEOUT_S = 5.0


class NoShard(RuntimeError):
    """No engine shard is alive."""


class ShardSet:
    def __init__(self, redis: aioredis.Redis, on_lost: Callable[[str], None]) -> None:
        self.redis = redis
        self.on_lost = on_lost  # a shard died or restarted: its tunnels end (pages reconnect)
        self.epochs: dict[str, int] = {}  # alive shard -> the epoch of its incarnation
        self.infos: dict[str, dict[str, Any]] = {}
        self._handles: dict[str, Any] = {}

    # ---- liveness ---------------------------------------------------------------------------------

    async def poll(self) -> None:
        try:
            names = sorted(_text(n) for n in await self.redis.smembers(wire.SHARDS_SET))
            leases = {n: await self.redis.get(wire.shard_key(n)) for n in names}
        except RedisError:
            return  # Redis away: keep what was known
        for name, lease in leases.items():
            epoch = json.loads(lease)["epoch"] if lease else None
            known = self.epochs.get(name)
            if known is not None and epoch != known:
                log.warning("shard %s %s", name, "is gone" if epoch is None else "restarted")
                self.on_lost(name)
                self._handles.pop(name, None)
            if epoch is None:
                self.epochs.pop(name, None)
                self.infos.pop(name, None)
            else:
                self.epochs[name] = epoch
        results = await asyncio.gather(*(self.call(n, "info") for n in self.epochs), return_exceptions=True)
        for name, result in zip(list(self.epochs), results, strict=True):
            if isinstance(result, dict):
                self.infos[name] = result

    def alive(self) -> list[str]:
        return sorted(self.epochs)

    def handle(self, name: str) -> Any:
        if name not in self._handles:
            self._handles[name] = ray.get_actor(name, namespace=NAMESPACE)
        return self._handles[name]

    async def call(self, name: str, method: str, *args: Any, timeout_s: float = CALL_TIMEOUT_S) -> Any:
        ref = getattr(self.handle(name), method).remote(*args)
        try:
            return await asyncio.wait_for(ref, timeout_s)
        except Exception:
            self._handles.pop(name, None)  # looked up again next time (Ray may have restarted it)
            raise

    # ---- the directory ------------------------------------------------------------------------------

    async def owner(self, kind: str, key: str) -> str | None:
        """The alive shard that owns `key` (a session id, a watch id or a room code), if any."""
        alive = self.alive()
        try:
            named = await self.redis.get(wire.directory_key(kind, key))
        except RedisError:
            named = None
        if named is not None and _text(named) in alive:
            return _text(named)
        answers = await asyncio.gather(
            *(self.call(n, "owns", kind, key) for n in alive), return_exceptions=True
        )
        for name, owns in zip(alive, answers, strict=True):
            if owns is True:
                await self.remember(kind, key, name)
                return name
        return None

    async def remember(self, kind: str, key: str, shard: str) -> None:
        with contextlib.suppress(RedisError):  # if not, found again by asking the shards
            await self.redis.set(wire.directory_key(kind, key), shard, ex=wire.DIRECTORY_TTL_S)

    # ---- placement ----------------------------------------------------------------------------------

    async def place_run(self, lab: str, changes: dict[str, Any]) -> str:
        """The least-loaded shard that already trains the new run's bucket, else the least-loaded one."""
        alive = self.alive()
        if not alive:
            raise NoShard("no engine shard is alive")
        loads = await asyncio.gather(
            *(self.call(n, "placement", lab, changes) for n in alive), return_exceptions=True
        )
        known = [(name, load) for name, load in zip(alive, loads, strict=True) if isinstance(load, dict)]
        if not known:
            raise NoShard("no engine shard answers")
        training = [(name, load) for name, load in known if load["bucket"] > 0]
        pool = training or known
        return min(pool, key=lambda item: (item[1]["sessions"], item[0]))[0]

    async def place_room(self) -> str:
        alive = self.alive()
        if not alive:
            raise NoShard("no engine shard is alive")
        infos = [(n, self.infos.get(n, {})) for n in alive]
        return min(infos, key=lambda item: (item[1].get("rooms", 0), item[1].get("sessions", 0), item[0]))[0]

    def any(self, key: str = "") -> str:
        alive = self.alive()
        if not alive:
            raise NoShard("no engine shard is alive")
        return alive[hash(key) % len(alive)]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
