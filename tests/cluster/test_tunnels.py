"""The websocket tunnels between gateways and shards, through a real redis-server (no Ray): commands are
applied once, control messages arrive in order, a lost control message makes the page reconnect."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from nnplay.cluster import wire
from nnplay.cluster.gateway_tunnels import GatewayTunnels, Inbox
from nnplay.cluster.tunnels import ShardTunnels


def echo_app(received: list[str]) -> Starlette:
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            received.append(message["text"])
            await websocket.send_bytes(b"frame")
            await websocket.send_text(f"ack {message['text']}")

    return Starlette(routes=[WebSocketRoute("/ws/echo", echo)])


async def _next(inbox: Inbox, timeout_s: float = 5) -> wire.Out | bytes:
    async def wait() -> wire.Out | bytes:
        while True:
            if inbox.controls:
                return inbox.controls.popleft()
            if inbox.frame is not None:
                frame, inbox.frame = inbox.frame, None
                return frame
            inbox.wake.clear()
            await inbox.wake.wait()

    return await asyncio.wait_for(wait(), timeout_s)


async def _tunnel_round_trip(redis_url: str) -> dict[str, Any]:
    redis = aioredis.from_url(redis_url)
    await redis.flushdb()
    received: list[str] = []
    shard = ShardTunnels(echo_app(received), redis, "shard-t")
    gateway = GatewayTunnels(redis, "gw-t")
    shard.start()
    gateway.start()
    await asyncio.sleep(0.3)  # the gateway's subscription and the shard's stream cursor are in place
    try:
        inbox = gateway.register("t1", "shard-t")
        shard.open("gw-t", "t1", "/ws/echo", "", [], "127.0.0.1")
        kinds = [getattr(await _next(inbox), "kind", None) for _ in range(2)]
        await gateway.send("t1", inbox, "text", "one")
        # a resend of command 1 (its XADD was not confirmed), then command 2
        await redis.xadd(wire.in_stream("shard-t"), {"t": "t1", "n": 1, "k": "text", "d": "one"})
        await gateway.send("t1", inbox, "text", "two")
        replies: list[wire.Out | bytes] = []
        while sum(isinstance(r, wire.Out) for r in replies) < 2:  # frames between them may be skipped
            replies.append(await _next(inbox))
        # a control message numbered past the next one: one was lost on the way
        await redis.publish(
            wire.out_channel("gw-t"), wire.pack_out(wire.Out("t1", inbox.seq + 2, "text", "x"))
        )
        ended = await _next(inbox)
        return {
            "kinds": kinds,
            "received": received,
            "replies": replies,
            "duplicates": shard.duplicates,
            "ended": ended,
            "gaps": gateway.gaps,
        }
    finally:
        await gateway.close()
        await shard.close()
        await redis.aclose()


def test_a_tunnel_applies_each_command_once_and_resynchronises_after_a_lost_message(redis_url: str) -> None:
    result = asyncio.run(_tunnel_round_trip(redis_url))
    assert result["kinds"] == ["accept", "text"]
    assert result["received"] == ["one", "two"]  # command 1 came twice and was applied once
    assert result["duplicates"] == 1
    texts = [r.data for r in result["replies"] if isinstance(r, wire.Out)]
    assert texts == ["ack one", "ack two"]  # control messages in order, frames in between
    assert result["ended"].kind == "close" and result["ended"].data[0] == wire.CLOSE_TRY_AGAIN
    assert result["gaps"] == 1
