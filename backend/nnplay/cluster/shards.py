"""What a gateway knows of the engine shards: which are alive (their leases in Redis), their Ray actor
handles (looked up by name), their last reported figures, who owns a run or a room (the directory in
Redis, filled by asking the shards), and where a new run or room goes.

Owner: ShardSet, on the gateway's event loop; the gateway polls the leases and the shards' figures in
turn, each every second (a call to a shard also ends as soon as its lease lapses).
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


class ShardLost(RuntimeError):
    """The shard's lease lapsed while it was being asked."""


class Moving(RuntimeError):
    """What was asked for belonged to a shard that is gone, and no other shard has taken it over yet."""


class ShardSet:
    def __init__(self, redis: aioredis.Redis, on_lost: Callable[[str], None]) -> None:
        self.redis = redis
        self.on_lost = on_lost  # a shard died or restarted: its tunnels end (pages reconnect)
        self.epochs: dict[str, int] = {}  # alive shard -> the epoch of its incarnation
        self.infos: dict[str, dict[str, Any]] = {}
        self._handles: dict[str, Any] = {}
        self._lost: dict[str, asyncio.Event] = {}  # set when the shard's lease lapses
        self._abandons: set[asyncio.Task[None]] = set()  # tickets being given up (kept: tasks are weak)

    # ---- liveness ---------------------------------------------------------------------------------

    async def poll_leases(self) -> list[str]:
        """Which shards hold a lease now (a lost or restarted one ends its tunnels); all shard names."""
        try:
            names = sorted(wire.as_text(n) for n in await self.redis.smembers(wire.SHARDS_SET))
            leases = {n: await self.redis.get(wire.shard_key(n)) for n in names}
        except RedisError:
            return sorted(self.epochs)  # Redis away: keep what was known
        for name, lease in leases.items():
            epoch = json.loads(lease)["epoch"] if lease else None
            known = self.epochs.get(name)
            if known is not None and epoch != known:
                log.warning("shard %s %s", name, "is gone" if epoch is None else "restarted")
                self.on_lost(name)
                self._lost.setdefault(name, asyncio.Event()).set()
                self._lost.pop(name, None)
            if epoch is None:
                self.epochs.pop(name, None)
                self.infos.pop(name, None)
            else:
                self.epochs[name] = epoch
        return names

    async def poll_infos(self, names: list[str]) -> None:
        # every shard, also those without a lease: a shard Ray restarted starts on its first call
        results = await asyncio.gather(
            *(self.call(n, "info", timeout_s=2) for n in names), return_exceptions=True
        )
        for name, result in zip(names, results, strict=True):
            if isinstance(result, dict) and name in self.epochs:
                self.infos[name] = result

    def alive(self) -> list[str]:
        return sorted(self.epochs)

    async def handle(self, name: str) -> Any:
        """The shard's actor handle, looked up by name once (off the loop: the lookup blocks) and kept: a
        handle outlives the actor's restarts."""
        if name not in self._handles:
            self._handles[name] = await asyncio.to_thread(ray.get_actor, name, NAMESPACE)
        return self._handles[name]

    async def call(self, name: str, method: str, *args: Any, timeout_s: float = CALL_TIMEOUT_S) -> Any:
        """Call a shard's method; ShardLost as soon as its lease lapses (a lost node's actor waits for a
        restart that may never come: its calls would hang until the timeout)."""
        reply = asyncio.ensure_future(getattr(await self.handle(name), method).remote(*args))
        lost = asyncio.ensure_future(self._lost.setdefault(name, asyncio.Event()).wait())
        try:
            done, _ = await asyncio.wait(
                {reply, lost}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
            if reply in done:
                return reply.result()
            raise ShardLost(name) if lost in done else TimeoutError(f"{name} did not answer {method}")
        finally:
            lost.cancel()
            if not reply.done():
                reply.cancel()

    def abandon(self, name: str, ticket: str) -> None:
        """Tell shard `name`, in the background, that the request of `ticket` was given up: the run it
        makes for it, now or later, is not kept (cluster/late_runs.py)."""

        async def tell() -> None:
            try:
                await self.call(name, "abandon", ticket)
            except Exception:  # the shard is gone or slow: its budget still removes a run made late
                log.warning("could not tell %s that request %s was given up", name, ticket)

        task = asyncio.get_running_loop().create_task(tell())
        self._abandons.add(task)
        task.add_done_callback(self._abandons.discard)

    # ---- the directory ------------------------------------------------------------------------------

    async def owner(self, kind: str, key: str) -> str | None:
        """The alive shard that owns `key` (a session id, a watch id or a room code), if any."""
        alive = self.alive()
        try:
            named = await self.redis.get(wire.directory_key(kind, key))
        except RedisError:
            named = None
        if named is not None and wire.as_text(named) in alive:
            return wire.as_text(named)
        answers = await asyncio.gather(
            *(self.call(n, "owns", kind, key) for n in alive), return_exceptions=True
        )
        for name, owns in zip(alive, answers, strict=True):
            if owns is True:
                await self.remember(kind, key, name)
                return name
        if named is not None and not await self._taken(wire.as_text(named)):
            # its shard is gone and its rooms and runs are being taken over: "try again", never "gone"
            raise Moving(f"{kind} {key} is moving to another engine; try again")
        return None

    async def _taken(self, shard: str) -> bool:
        """Whether a lost shard's rooms and kept runs have been taken over (what nobody owns is gone)."""
        try:
            return bool(await self.redis.exists(wire.taken_key(shard)))
        except RedisError:
            return False

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
