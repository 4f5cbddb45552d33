"""The shard's side of the pages' websockets (wire.py): each tunnel runs one of the app's websocket routes,
fed from the shard's command stream and answering on its gateway's channel.

Owner: ShardTunnels, on the shard actor's event loop. One reader task reads the command stream (XREAD,
one connection for every tunnel) and hands each entry to its tunnel once: entries carry the tunnel's
command number `n` and one at or below the last applied is dropped (a gateway resends a command whose
XADD it could not confirm). Redis going away is waited out: the reader and the publishers retry, frames
sent meanwhile are lost (the next frame replaces them). A tunnel whose gateway's lease has lapsed (the
gateway died) is disconnected by the sweeper, so the route lets its session go.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message

from . import asgi, wire

log = logging.getLogger(__name__)
SWEEP_S = 2.0
PUBLISH_BATCH = 256


@dataclass
class Tunnel:
    id: str
    gateway: str
    inbox: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    last_n: int = 0
    seq: int = 0
    task: asyncio.Task[None] | None = None


class ShardTunnels:
    def __init__(self, app: ASGIApp, redis: aioredis.Redis, shard: str) -> None:
        self.app = app
        self.redis = redis
        self.shard = shard
        self.tunnels: dict[str, Tunnel] = {}
        self.duplicates = 0  # commands seen again and dropped (applied once)
        self.lost_sends = 0  # messages Redis could not take (it was away)
        self._tasks: list[asyncio.Task[None]] = []
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(work) for work in (self._read(), self._sweep(), self._publisher())]

    async def close(self) -> None:
        for tunnel in list(self.tunnels.values()):
            tunnel.inbox.put_nowait({"type": "websocket.disconnect", "code": 1001})
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def open(
        self, gateway: str, tunnel_id: str, path: str, query: str, headers: asgi.Headers, client: str
    ) -> None:
        tunnel = Tunnel(tunnel_id, gateway)
        tunnel.inbox.put_nowait({"type": "websocket.connect"})
        self.tunnels[tunnel_id] = tunnel

        async def send(message: Message) -> None:
            await self._send(tunnel, message)

        async def run() -> None:
            try:
                await asgi.websocket(self.app, path, query, headers, client, tunnel.inbox.get, send)
            except Exception:
                log.exception("tunnel %s (%s) failed", tunnel_id, path)
            finally:
                self.tunnels.pop(tunnel_id, None)
                await self._publish(tunnel, "close", [wire.CLOSE_TRY_AGAIN, "ended"])

        tunnel.task = asyncio.get_running_loop().create_task(run(), name=f"tunnel {tunnel_id}")

    async def _send(self, tunnel: Tunnel, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            await self._publish(tunnel, "accept", None)
        elif kind == "websocket.send":
            text = message.get("text")
            if text is not None:
                await self._publish(tunnel, "text", text)
            else:
                await self._publish(tunnel, "bytes", message.get("bytes") or b"")
        elif kind == "websocket.close":
            await self._publish(tunnel, "close", [message.get("code", 1000), message.get("reason") or ""])
        elif kind == "websocket.http.response.start":
            await self._publish(tunnel, "deny_start", message["status"])
        elif kind == "websocket.http.response.body":
            await self._publish(tunnel, "deny_body", message.get("body", b""))

    async def _publish(self, tunnel: Tunnel, kind: str, data: Any) -> None:
        # Control messages are numbered (a lost one makes the gateway resynchronise its page); a frame
        # carries the number of the control message before it: a lost frame is replaced by the next.
        if kind != "bytes":
            tunnel.seq += 1
        packed = wire.pack_out(wire.Out(tunnel.id, tunnel.seq, kind, data))
        self._outbox.put_nowait((wire.out_channel(tunnel.gateway), packed))

    async def _publisher(self) -> None:
        """Everything the tunnels send, in the order they sent it, pipelined on one connection (one
        publish and one connection per message could not keep up with a hundred watchers)."""
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty() and len(batch) < PUBLISH_BATCH:
                batch.append(self._outbox.get_nowait())
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for channel, packed in batch:
                        pipe.publish(channel, packed)
                    await pipe.execute()
            except RedisError as exc:
                if not self.lost_sends:
                    log.warning("publishing to Redis failed (%s): frames are lost until it is back", exc)
                self.lost_sends += len(batch)

    def _deliver(self, fields: dict[bytes, bytes]) -> None:
        tunnel = self.tunnels.get(fields[b"t"].decode())
        if tunnel is None:
            return
        n = int(fields[b"n"])
        if n <= tunnel.last_n:
            self.duplicates += 1
            return
        tunnel.last_n = n
        kind = fields[b"k"]
        if kind == b"text":
            tunnel.inbox.put_nowait({"type": "websocket.receive", "text": fields[b"d"].decode()})
        elif kind == b"bytes":
            tunnel.inbox.put_nowait({"type": "websocket.receive", "bytes": fields[b"d"]})
        else:
            tunnel.inbox.put_nowait({"type": "websocket.disconnect", "code": int(fields.get(b"d") or 1000)})

    async def _read(self) -> None:
        stream = wire.in_stream(self.shard)
        last = "$"
        while True:
            try:
                if last == "$":  # where the stream ends now: later entries are this incarnation's
                    info = await self.redis.xinfo_stream(stream) if await self.redis.exists(stream) else None
                    last = info["last-generated-id"].decode() if info else "0-0"
                replies = await self.redis.xread({stream: last}, count=500, block=1000)
            except RedisError:
                await asyncio.sleep(0.2)
                continue
            read: Any = replies or ()
            for _name, entries in read:
                for entry_id, fields in entries:
                    last = entry_id.decode()
                    self._deliver(fields)

    async def _sweep(self) -> None:
        """Disconnect the tunnels of gateways whose lease lapsed (the gateway is gone, and its pages too)."""
        while True:
            await asyncio.sleep(SWEEP_S)
            gateways = {t.gateway for t in self.tunnels.values()}
            for gateway in gateways:
                try:
                    alive = await self.redis.exists(wire.gateway_key(gateway))
                except RedisError:
                    break  # Redis is away: nothing is known, nothing is swept
                if not alive:
                    for tunnel in [t for t in self.tunnels.values() if t.gateway == gateway]:
                        tunnel.inbox.put_nowait({"type": "websocket.disconnect", "code": 1001})
