"""An engine shard: the whole single-process app (its engine, sessions, framer and the classroom's hub) in
one Ray actor, owning whole runs and the rooms placed on it; the gateways reach its routes through Ray
(HTTP, `request`) and Redis (websockets, cluster/tunnels.py), so nothing crosses the network between a
session and its engine.

Owner: EngineShard, on the actor's event loop (Ray runs an async actor's methods there, one at a time
between awaits, like the app's own event loop). It starts on its first call (Ray restarts re-run only the
constructor): its Postgres store takes a new fencing epoch and claims the shard's rooms, the app's lifespan
starts (the hub restores the runs that were training), then it renews its lease every half second and
watches its peers' leases: a peer whose lease has lapsed (its node is lost, or it is frozen) loses its
rooms and its kept runs to this shard, which restores their runs from their snapshots
(cluster/takeover.py, cluster/keeper.py). A peer that wakes up later is fenced out of the store and drops
what it no longer owns. The shard's own runs of no room are kept in Postgres as they change (keeper.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ..app import create_app
from ..classroom.rooms import normalize_code
from ..config import ServerSettings
from ..sessions import SessionNotFound
from . import asgi, routes, wire
from .keeper import CHECK_S, RunKeeper
from .late_runs import LateRuns
from .pgkept import KeptRun, KeptRuns
from .pgruns import PostgresRunStore
from .pgstore import PostgresStore
from .takeover import adopt_rooms, drop_lost_rooms
from .tunnels import ShardTunnels

log = logging.getLogger(__name__)


class EngineShard:
    def __init__(self, name: str, redis_url: str, pg_dsn: str, settings: dict[str, Any]) -> None:
        self.name = name
        self.redis_url = redis_url
        self.pg_dsn = pg_dsn
        self.settings = ServerSettings(**settings)
        self.node = os.environ.get("NNPLAY_NODE", "")
        self._started: asyncio.Future[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.started_at = time.time()
        self.taken_over: list[str] = []
        self.late_runs = LateRuns()  # runs made for requests a gateway may have given up on

    async def _ensure(self) -> None:
        if self._started is None:
            self._started = asyncio.ensure_future(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        self.store = PostgresStore(self.pg_dsn, self.name)
        self.app = create_app(self.settings, store=self.store, run_store=PostgresRunStore(self.pg_dsn))
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self.redis = aioredis.from_url(self.redis_url, socket_timeout=5, socket_connect_timeout=2)
        self.tunnels = ShardTunnels(self.app, self.redis, self.name)
        self.tunnels.start()
        # this shard's own runs from before a restart (a clean shutdown keeps them): back with their ids
        self.kept = KeptRuns(self.pg_dsn, self.name, self.store.epoch)
        self.keeper = RunKeeper(self.app.state.sessions, self.kept)
        await self._in_directory(await self.keeper.restore(self.kept.claim()), [])
        with contextlib.suppress(RedisError):
            await self.redis.delete(wire.taken_key(self.name))
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(t) for t in (self._lease(), self._watch_peers(), self._keep())]
        log.info("shard %s up (epoch %d)", self.name, self.store.epoch)

    # ---- what gateways call -----------------------------------------------------------------------

    async def info(self) -> dict[str, Any]:
        await self._ensure()
        manager = self.app.state.sessions
        buckets: dict[str, int] = {}
        for session in manager.sessions():
            bucket = _bucket_name(session.plan)
            buckets[bucket] = buckets.get(bucket, 0) + 1
        return {
            "name": self.name,
            "node": self.node,
            "pid": os.getpid(),
            "epoch": self.store.epoch,
            "sessions": len(manager),
            "rooms": len(self.app.state.classroom.service.rooms),
            "buckets": buckets,
            "tunnels": len(self.tunnels.tunnels),
            "duplicate_commands": self.tunnels.duplicates,
            "lost_sends": self.tunnels.lost_sends,
            "taken_over": self.taken_over,
            "kept_runs": self.keeper.stats(),
            "engine": manager.engine_stats(),
        }

    async def placement(self, lab: str, changes: dict[str, Any]) -> dict[str, Any]:
        """How loaded this shard is, and whether it already trains the bucket a new run of `changes` needs."""
        await self._ensure()
        manager = self.app.state.sessions
        try:
            family = manager.family(lab)
            bucket = _bucket_name(family.make_plan(family.make_config(None, changes), None, None))
        except Exception:  # a bad config: the owner's route will say what is wrong with it
            bucket = ""
        trains = sum(1 for s in manager.sessions() if bucket and _bucket_name(s.plan) == bucket)
        return {
            "sessions": len(manager),
            "rooms": len(self.app.state.classroom.service.rooms),
            "bucket": trains,
        }

    async def owns(self, kind: str, key: str) -> bool:
        await self._ensure()
        manager = self.app.state.sessions
        try:
            if kind == "session":
                manager.get(key)
            elif kind == "watch":
                manager.get_watched(key)
            elif kind == "room":
                return normalize_code(key) in self.app.state.classroom.service.rooms
            else:
                return False
        except SessionNotFound:
            return False
        return True

    async def request(
        self,
        method: str,
        path: str,
        query: str,
        headers: asgi.Headers,
        body: bytes,
        client: str,
        budget_s: float | None = None,
        ticket: str | None = None,
    ) -> tuple[int, asgi.Headers, bytes]:
        """The app's answer. A new run made after `budget_s` (the gateway has given up waiting: the page
        was told "try again", and a retry makes a new run), or for a `ticket` the gateway has abandoned, is
        removed again and the answer is that 503: else it would count against its client's runs, unknown
        to any page, until the idle reaper."""
        started = time.monotonic()
        await self._ensure()
        status, out, content = await asgi.request(self.app, method, path, query, headers, body, client)
        took_s = time.monotonic() - started
        if status in (200, 201) and routes.makes_run(method, path):
            run = asgi.json_object(content).get("id")
            late = budget_s is not None and took_s > budget_s
            if late or (ticket is not None and isinstance(run, str) and self.late_runs.made(ticket, run)):
                return await self._unmake_run(run, took_s)  # a run made late is not remembered as made
        return status, out, content

    async def abandon(self, ticket: str) -> None:
        """A gateway gave up waiting for the request of `ticket`: its run, made or yet to be, is not kept."""
        run = self.late_runs.abandon(ticket)
        if run is not None:
            await self._remove_run(run, "was made for a request its gateway gave up on")

    async def _unmake_run(self, run: object, took_s: float) -> tuple[int, asgi.Headers, bytes]:
        if isinstance(run, str):
            await self._remove_run(run, f"was made in {took_s:.0f} s, too late for its gateway")
        detail = "the engine took too long to make the run, and did not keep it; try again"
        headers = [("content-type", "application/json"), ("retry-after", "1")]
        return 503, headers, json.dumps({"detail": detail}).encode()

    async def _remove_run(self, run: str, why: str) -> None:
        """Remove a run no page heard of (gone already: nothing to do), and say why."""
        with contextlib.suppress(SessionNotFound):
            await self.app.state.sessions.remove(run)
        log.warning("shard %s: run %s %s: removed", self.name, run, why)

    async def open_socket(
        self, gateway: str, tunnel: str, path: str, query: str, headers: asgi.Headers, client: str
    ) -> int:
        await self._ensure()
        self.tunnels.open(gateway, tunnel, path, query, headers, client)
        return self.store.epoch

    async def shutdown(self) -> None:
        """Stop as a clean shutdown would: snapshots saved, sessions closed, lease given back."""
        if self._started is None:
            return
        await self._ensure()
        for task in self._tasks:
            task.cancel()
        await self.keeper.save_changed(force=True)  # kept as they are now: a restart restores them
        await self.tunnels.close()
        await self._lifespan.__aexit__(None, None, None)
        with contextlib.suppress(RedisError):
            await self.redis.delete(wire.shard_key(self.name))

    # ---- liveness and takeover ------------------------------------------------------------------

    async def _lease(self) -> None:
        value = json.dumps({"epoch": self.store.epoch, "node": self.node, "pid": os.getpid()})
        while True:
            try:
                await self.redis.set(wire.shard_key(self.name), value, px=wire.LEASE_MS)
                await self.redis.sadd(wire.SHARDS_SET, self.name)
                await self.redis.delete(wire.taken_key(self.name))  # alive: nothing of it is "taken"
            except RedisError:
                pass  # renewed when Redis is back; meanwhile the store's epoch still fences
            await drop_lost_rooms(self.app, self.store)
            await self.keeper.drop_lost()
            await asyncio.sleep(wire.RENEW_S)

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(CHECK_S)
            await self.keeper.save_changed()

    async def _in_directory(self, runs: list[KeptRun], codes: list[str]) -> None:
        """Name this shard the owner of restored runs and adopted rooms (before a page asks)."""
        named = [("room", code) for code in codes]
        named += [(kind, key) for run in runs for kind, key in (("session", run.id), ("watch", run.watch_id))]
        keys = [wire.directory_key(kind, key) for kind, key in named]
        if keys:
            with contextlib.suppress(RedisError):
                async with self.redis.pipeline(transaction=False) as pipe:
                    for key in keys:
                        pipe.set(key, self.name, ex=wire.DIRECTORY_TTL_S)
                    await pipe.execute()

    async def _watch_peers(self) -> None:
        missing_since: dict[str, float] = {}
        taken: set[str] = set()  # peers whose rooms and runs this shard has taken over since they were lost
        while True:
            await asyncio.sleep(wire.RENEW_S / 2)
            try:
                uptime_s = int((await self.redis.info("server"))["uptime_in_seconds"])
                peers = {wire.as_text(p) for p in await self.redis.smembers(wire.SHARDS_SET)} - {self.name}
                alive = {p for p in peers if await self.redis.exists(wire.shard_key(p))}
            except RedisError:
                missing_since.clear()  # nothing is known while Redis is away
                continue
            now = time.monotonic()
            for peer in peers:
                if peer in alive:
                    missing_since.pop(peer, None)
                    taken.discard(peer)
                    continue
                since = missing_since.setdefault(peer, now)
                # A restarted Redis has no leases at all: give every shard a lease's time to renew first.
                if now - since >= wire.RENEW_S / 2 and uptime_s * 1000 > 2 * wire.LEASE_MS:
                    await self._take_over(peer, now - since, peer not in taken)
                    taken.add(peer)

    async def _take_over(self, peer: str, missed_s: float, first: bool) -> None:
        """Take the lost `peer`'s rooms and kept runs (the store hands each to one shard) and restore their
        runs here; then say that what `peer` had is taken (a run of it that was never kept is gone)."""
        codes = self.store.take_over(peer)
        runs = self.kept.take_over(peer)
        if codes or runs:
            log.warning(
                "%s shard %s takes over %d rooms and %d runs of %s, %.1f s after its lease was first missed",
                time.strftime("%H:%M:%S"), self.name, len(codes), len(runs), peer, missed_s,
            )  # fmt: skip
        if codes:
            self.taken_over.extend(codes)
            await adopt_rooms(self.app, codes)
        restored = await self.keeper.restore(runs) if runs else []
        await self._in_directory(restored, codes)
        if first or codes or runs:
            with contextlib.suppress(RedisError):
                await self.redis.set(wire.taken_key(peer), self.name, ex=wire.DIRECTORY_TTL_S)


def _bucket_name(plan: Any) -> str:
    """The compiled bucket a plan's runs train in (its last, always usable, training use's key)."""
    return str(plan.train_uses()[-1].key)
