"""The gateway's side of the pages' websockets (wire.py): what the shards send for this gateway's tunnels
arrives on one pub/sub channel and is sorted into each tunnel's inbox; what a page sends goes to its
owning shard's command stream with a command number.

Owner: GatewayTunnels, on the gateway's event loop. The listener is written out by hand (redis-py's
asyncio PubSub does not reliably resubscribe after a reconnect): on any Redis error it reconnects and
subscribes again. An inbox keeps control messages in order and only the newest frame (a slow page skips
frames, never backs up the shard); a gap in a tunnel's sequence numbers (Redis lost messages while it
was away) ends the tunnel with "try again", so the page reconnects and is sent its run's state afresh.
At the end, one page's socket: its control messages in order, then the newest frame (`send_loop`), and
"try again" (1012) when its engine moves or does not answer (`try_again`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from fastapi import WebSocket
from redis.exceptions import RedisError

from . import wire

log = logging.getLogger(__name__)


@dataclass
class Inbox:
    shard: str
    controls: deque[wire.Out] = field(default_factory=deque)
    frame: bytes | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    seq: int = 0
    sent: int = 0  # commands sent (the last command number)
    frames_skipped: int = 0

    def end(self, code: int, reason: str) -> None:
        self.say(wire.Out("", 0, "close", [code, reason]))

    def say(self, out: wire.Out) -> None:
        """Send `out` to the page after the control messages before it (the gateway's own word)."""
        self.controls.append(out)
        self.wake.set()


class GatewayTunnels:
    def __init__(self, redis: aioredis.Redis, gateway: str) -> None:
        self.redis = redis
        self.gateway = gateway
        self.inboxes: dict[str, Inbox] = {}
        self.gaps = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen(), name="tunnels")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def register(self, tunnel: str, shard: str) -> Inbox:
        inbox = Inbox(shard)
        self.inboxes[tunnel] = inbox
        return inbox

    def forget(self, tunnel: str) -> None:
        self.inboxes.pop(tunnel, None)

    def shard_lost(self, shard: str) -> None:
        for inbox in self.inboxes.values():
            if inbox.shard == shard:
                inbox.end(wire.CLOSE_TRY_AGAIN, "the engine moved; reconnect")

    async def send(self, tunnel: str, inbox: Inbox, kind: str, data: str | bytes | int) -> None:
        """Add a page's message to its shard's command stream; retried until Redis takes it (the shard
        drops a second copy by its command number)."""
        inbox.sent += 1
        fields: Any = {"t": tunnel, "n": inbox.sent, "k": kind, "d": data}
        for attempt in range(50):
            try:
                await self.redis.xadd(
                    wire.in_stream(inbox.shard), fields, maxlen=wire.STREAM_MAXLEN, approximate=True
                )
                return
            except RedisError:
                await asyncio.sleep(min(0.05 * 2**attempt, 0.5))
        log.warning("tunnel %s: a command could not be sent (Redis away for ~25 s)", tunnel)

    def _sort(self, out: wire.Out) -> None:
        inbox = self.inboxes.get(out.tunnel)
        if inbox is None:
            return
        expected = inbox.seq if out.kind == "bytes" else inbox.seq + 1
        if out.seq != expected:  # a control message was lost (Redis went away or cut this subscriber)
            self.gaps += 1
            log.warning(
                "tunnel %s: %s numbered %d after %d: resynchronised", out.tunnel, out.kind, out.seq, inbox.seq
            )
            inbox.seq = out.seq
            inbox.end(wire.CLOSE_TRY_AGAIN, "messages were lost; reconnect")
            return
        inbox.seq = out.seq
        if out.kind == "bytes":
            if inbox.frame is not None:
                inbox.frames_skipped += 1
            inbox.frame = out.data
        else:
            inbox.controls.append(out)
        inbox.wake.set()

    async def _listen(self) -> None:
        channel = wire.out_channel(self.gateway)
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                # listen(), not get_message(timeout=...): a timeout that fires while a message is being
                # read loses that message
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        self._sort(wire.unpack_out(message["data"]))
            except (RedisError, OSError):
                await asyncio.sleep(0.2)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()


# ---- one page's socket -----------------------------------------------------------------------------


async def try_again(websocket: WebSocket, reason: str) -> None:
    """Close with "try again" (1012): accepted first, since a refused handshake tells a page nothing."""
    if websocket.client_state.name == "CONNECTING":
        await websocket.accept()
    await websocket.close(code=wire.CLOSE_TRY_AGAIN, reason=reason)


async def next_control(inbox: Inbox) -> wire.Out:
    while not inbox.controls:
        inbox.wake.clear()
        await inbox.wake.wait()
    return inbox.controls.popleft()


async def send_loop(websocket: WebSocket, inbox: Inbox) -> None:
    """Control messages in order, then the newest frame, until the tunnel closes."""
    while True:
        await inbox.wake.wait()
        inbox.wake.clear()
        while inbox.controls:
            out = inbox.controls.popleft()
            if out.kind == "close":
                code, reason = out.data
                with contextlib.suppress(Exception):
                    await websocket.close(code=code, reason=reason)
                return
            if out.kind == "text":
                await websocket.send_text(out.data)
            elif out.kind == "bytes":
                await websocket.send_bytes(out.data)
        if inbox.frame is not None:
            frame, inbox.frame = inbox.frame, None
            await websocket.send_bytes(frame)
