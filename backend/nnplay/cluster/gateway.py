"""A stateless gateway: the app's edge (Host, Origin, token, body limits, connections per client, the
client's address from HAProxy) in front of the engine shards. Any number run behind HAProxy; none holds
anything a page needs after it dies (a page reconnects through another).

- `/api/health`: this gateway's name and the cluster's counts (what each shard last reported).
- Other `/api/...` requests go to the shard that owns their run or room (cluster/routes.py: the owner in
  cluster/shards.py's directory),
  new runs to the least-loaded shard that already trains their bucket, new rooms to the shard with the
  fewest rooms (or to the shard of the run a room is made from), the rest to any shard; the shard runs
  the app's own route (cluster/shard.py). `GET /api/sessions/{id}` says which shard owns the run (`shard`).
- `/ws/...`: a tunnel to the owning shard through Redis (cluster/gateway_tunnels.py); read-only watchers
  of one run share one tunnel per gateway (cluster/watch_groups.py).

Owner: the gateway's event loop. Its app: cluster/gateway_app.py (`python -m nnplay.cluster.gateway_app`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import secrets
from typing import Any

import ray
import redis.asyncio as aioredis
from fastapi import Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response
from redis.exceptions import RedisError

from .. import __version__
from ..api.connections import too_many_connections
from ..api.ratelimit import CreationLimit
from ..protocol import error_message
from . import routes, wire
from .gateway_sweeps import ClientSweeps
from .gateway_tunnels import GatewayTunnels, Inbox, next_control, send_loop, try_again
from .shards import CALL_TIMEOUT_S, NAMESPACE, Moving, NoShard, ShardLost, ShardSet
from .shared_limits import SharedConnections, SharedLimits
from .watch_groups import WatchGroups

log = logging.getLogger(__name__)
MESSAGES = "message"  # the limits' kind of a page's websocket messages (the others: creations, LIMITED)
LIMITED = (  # POSTs that create something, limited per client address across the gateways (kind, path)
    ("session", re.compile(r"^/api/(?:(?:images|sequences|generative)/)?sessions$|^/api/sweeps$")),
    ("session", re.compile(r"^/api/sweeps/[^/]+/runs/\d+/open$|^/api/runs/[^/]+/open$")),
    ("room", re.compile(r"^/api/rooms$")),
    ("join", re.compile(r"^/api/rooms/[^/]+/join$")),
)
# A request that makes or saves something may wait on the shard's work (a new shape's first compile, a save
# while a kernel compiles: over 5 s on a loaded 2-core machine, where the gateway then answered 503 "try
# again" to a request the shard was still doing); reads keep the shards' CALL_TIMEOUT_S. A lost shard is
# told apart by its lease (ShardLost), not by this timeout. The shard gets it as its budget and removes a
# run it makes later than that (EngineShard.request); the gateway waits REPLY_GRACE_S longer, then
# abandons the request's ticket (the shard removes its run, made or yet to be: cluster/late_runs.py).
REQUEST_TIMEOUT_S = 30.0
REPLY_GRACE_S = 10.0
DROPPED_HEADERS = {"content-length", "content-security-policy", "x-content-type-options", "referrer-policy"}


class Gateway:
    def __init__(
        self,
        name: str,
        redis_url: str,
        ray_address: str,
        limits: dict[str, CreationLimit] | None = None,
        connections_per_client: int | None = None,
    ) -> None:
        """`limits` and `connections_per_client` are counted per client across the gateways (None: only
        each shard's and this gateway's own)."""
        self.name = name
        self.redis = aioredis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
        self.limits = SharedLimits(self.redis, limits) if limits else None
        self.connections = (
            None
            if connections_per_client is None
            else SharedConnections(self.redis, name, connections_per_client, wire.gateway_key(""))
        )
        self.ray_address = ray_address
        self.tunnels = GatewayTunnels(self.redis, name)
        self.shards = ShardSet(self.redis, self.tunnels.shard_lost)
        self.watch_groups = WatchGroups(self.tunnels)
        self.sweeps = ClientSweeps(self.redis, self.shards)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if not ray.is_initialized():
            ray.init(
                address=self.ray_address,
                namespace=NAMESPACE,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
        self.tunnels.start()
        await self._beat()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="gateway")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.tunnels.close()
        with contextlib.suppress(RedisError):
            await self.redis.delete(wire.gateway_key(self.name))

    async def _beat(self) -> None:
        with contextlib.suppress(RedisError):
            await self.redis.set(wire.gateway_key(self.name), "1", px=wire.LEASE_MS)
        if self.connections is not None:
            await self.connections.refresh()
        await self.shards.poll_infos(await self.shards.poll_leases())

    async def _loop(self) -> None:
        """The leases and the shards' figures in turn, each every second (a shard Ray restarted is
        started by its first call)."""
        beat = 0
        while True:
            await asyncio.sleep(wire.RENEW_S)
            beat += 1
            try:
                if beat % 2:
                    await self.shards.poll_leases()
                else:
                    await self._beat()
            except Exception:
                log.exception("gateway %s: polling the shards failed", self.name)

    def health(self) -> dict[str, Any]:
        infos = self.shards.infos
        return {
            "status": "ok" if self.shards.alive() else "degraded",
            "version": __version__,
            "gateway": self.name,
            "cluster": {
                "shards": {n: infos.get(n, {"name": n}) for n in self.shards.alive()},
                "alive_shards": len(self.shards.alive()),
                "sessions": sum(i.get("sessions", 0) for i in infos.values()),
                "rooms": sum(i.get("rooms", 0) for i in infos.values()),
                "tunnels": len(self.tunnels.inboxes),
                "watchers": sum(len(g.watchers) for g in self.watch_groups.groups.values()),
                "gaps": self.tunnels.gaps,
            },
        }

    # ---- HTTP -------------------------------------------------------------------------------------

    async def route(self, method: str, path: str, body: bytes) -> str:
        """The shard that answers this request (cluster/routes.py)."""
        return await routes.route(self.shards, method, path, body)

    async def forward(self, request: Request) -> Response:
        body = await request.body()
        path, method = request.url.path, request.method
        client = request.client.host if request.client else ""
        refused = await self._limited(method, path, client)
        if refused is not None:
            message, wait_s = refused
            return JSONResponse(
                {"detail": message}, 429, headers={"Retry-After": str(max(1, math.ceil(wait_s)))}
            )
        if method == "GET" and path == "/api/sweeps":  # each shard keeps the sweeps it trains
            sweeps = [sweep for _, sweep in await self.sweeps.of_client(request, client)]
            return JSONResponse({"sweeps": sweeps})
        if method == "POST" and path == "/api/sweeps":  # a client's sweeps are counted on every shard
            async with self.sweeps.one_at_a_time(client):
                no_room = await self.sweeps.make_room(request, client)
                return no_room or await self._forward(request, method, path, body, client)
        return await self._forward(request, method, path, body, client)

    async def _forward(self, request: Request, method: str, path: str, body: bytes, client: str) -> Response:
        shard, ticket = None, secrets.token_hex(8) if routes.makes_run(method, path) else None
        try:
            shard = await self.route(method, path, body)
            reading = method == "GET"
            status, headers, content = await self.shards.call(
                shard, "request", method, path, request.url.query, list(request.headers.items()), body,
                client, None if reading else REQUEST_TIMEOUT_S, ticket,
                timeout_s=CALL_TIMEOUT_S if reading else REQUEST_TIMEOUT_S + REPLY_GRACE_S,
            )  # fmt: skip
        except (NoShard, Moving, ShardLost) as exc:
            return JSONResponse({"detail": f"{exc}; try again shortly"}, 503, headers={"Retry-After": "1"})
        except Exception as exc:
            log.exception("forwarding %s %s failed", method, path)
            if isinstance(exc, TimeoutError) and shard is not None and ticket is not None:
                self.shards.abandon(shard, ticket)  # the run it makes for this request is not kept
            return JSONResponse(
                {"detail": "the engine did not answer; try again"}, 503, headers={"Retry-After": "1"}
            )
        if status in (200, 201):
            content = await routes.learn(self.shards, method, path, shard, content)
        kept = [(k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS]
        response = Response(content, status)
        for k, v in kept:
            response.headers.append(k, v)
        return response

    async def _message_refusal(self, client: str) -> str | None:
        """Why a page's message is dropped (one too many for its client, counted across the gateways), or
        None to send it on."""
        if self.limits is None or MESSAGES not in self.limits.limits:
            return None
        refused = await self.limits.refusal(MESSAGES, client)
        return None if refused is None else self.limits.limits[MESSAGES].words

    async def _limited(self, method: str, path: str, client: str) -> tuple[str, float] | None:
        """The refusal of a creation past the client's limit, counted across every gateway (None: go on)."""
        if self.limits is None or method != "POST":
            return None
        kind = next((kind for kind, pattern in LIMITED if pattern.match(path)), None)
        return None if kind is None else await self.limits.refusal(kind, client)

    # ---- websockets -------------------------------------------------------------------------------

    async def tunnel(self, websocket: WebSocket) -> None:
        client = websocket.client.host if websocket.client else ""
        if self.connections is None:
            await self._tunnel(websocket, client)
            return
        if not await self.connections.admit(client):
            detail = too_many_connections(self.connections.per_client)
            await websocket.send_denial_response(JSONResponse({"detail": detail}, status_code=429))
            return
        try:
            await self._tunnel(websocket, client)
        finally:
            await self.connections.release(client)

    async def _tunnel(self, websocket: WebSocket, client: str) -> None:
        path = websocket.url.path
        try:
            shard = await self.route("GET", path, b"")
        except (NoShard, Moving, ShardLost):
            await try_again(websocket, "the engine is moving; try again")
            return
        if path.startswith("/ws/watch/"):  # read-only: one tunnel per run for all of this gateway's watchers

            async def open_tunnel(tunnel: str) -> None:
                await self.shards.call(
                    shard, "open_socket", self.name, tunnel, path, websocket.url.query,
                    list(websocket.headers.items()), client,
                )  # fmt: skip

            await self.watch_groups.serve(websocket, path, shard, open_tunnel)
            return
        tunnel = secrets.token_hex(8)
        inbox = self.tunnels.register(tunnel, shard)
        try:
            await self.shards.call(
                shard, "open_socket", self.name, tunnel, path, websocket.url.query,
                list(websocket.headers.items()), client,
            )  # fmt: skip
            await self._serve(websocket, tunnel, inbox, client)
        except Exception:
            log.exception("tunnel %s to %s failed", path, shard)
            with contextlib.suppress(Exception):
                await try_again(websocket, "the engine did not answer; try again")
        finally:
            self.tunnels.forget(tunnel)

    async def _serve(self, websocket: WebSocket, tunnel: str, inbox: Inbox, client: str) -> None:
        first = await next_control(inbox)
        if first.kind == "deny_start":
            body = await next_control(inbox)
            await websocket.send_denial_response(
                Response(body.data, first.data, media_type="application/json")
            )
            return
        if first.kind != "accept":
            log.info("tunnel %s refused before its socket opened: %s %r", tunnel, first.kind, first.data)
            await websocket.close(code=first.data[0] if first.kind == "close" else 1011)
            return
        await websocket.accept()
        receiver = asyncio.get_running_loop().create_task(self._receive(websocket, tunnel, inbox, client))
        try:
            await send_loop(websocket, inbox)
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver
            await self.tunnels.send(tunnel, inbox, "close", 1000)

    async def _receive(self, websocket: WebSocket, tunnel: str, inbox: Inbox, client: str) -> None:
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    inbox.end(1000, "")
                    return
                refusal = await self._message_refusal(client)
                if refusal is not None:  # dropped, as one server drops it
                    inbox.say(wire.Out(tunnel, 0, "text", error_message("rate_limited", refusal)))
                    continue
                if message.get("text") is not None:
                    await self.tunnels.send(tunnel, inbox, "text", message["text"])
                else:
                    await self.tunnels.send(tunnel, inbox, "bytes", message.get("bytes") or b"")
        except WebSocketDisconnect:
            inbox.end(1000, "")
