"""A cluster's per-client limits are shared by its gateways (in a real redis-server), with one process's
words: creations (one bucket per client; a gateway refuses a creation past the limit before it reaches any
shard; when Redis is gone a creation goes through, each shard's own limit still applies) and open
websockets (each gateway's count per client; a lost gateway's sockets stop counting)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import redis.asyncio as aioredis
from starlette.requests import Request
from starlette.websockets import WebSocket

from nnplay.api.connections import too_many_connections
from nnplay.api.deps import RateLimits
from nnplay.api.ratelimit import CreationLimit, creation_limits, message_limit
from nnplay.cluster import services, wire
from nnplay.cluster.gateway import MESSAGES, Gateway
from nnplay.cluster.shared_limits import CONNECTIONS, SharedConnections, SharedLimits
from nnplay.config import ServerSettings

THREE_A_MINUTE = {"session": CreationLimit(1 / 60, 3, "too many new sessions from this address")}


def test_two_gateways_share_one_bucket_per_client(redis_url: str) -> None:
    async def scenario() -> None:
        one, two = aioredis.from_url(redis_url), aioredis.from_url(redis_url)
        gateways = [SharedLimits(one, THREE_A_MINUTE), SharedLimits(two, THREE_A_MINUTE)]
        taken = [await gateways[i % 2].refusal("session", "10.0.0.7") for i in range(3)]
        assert taken == [None, None, None]
        for gateway in gateways:  # the fourth, through either gateway
            refusal = await gateway.refusal("session", "10.0.0.7")
            assert refusal is not None
            message, wait = refusal
            assert (
                50 < wait <= 60 and message == f"too many new sessions from this address; try again in {60} s"
            )
        assert await gateways[1].refusal("session", "10.0.0.8") is None  # another client has its own
        fast = SharedLimits(one, {"join": CreationLimit(20.0, 1, "too many joins")})
        assert await fast.refusal("join", "10.0.0.9") is None
        assert await fast.refusal("join", "10.0.0.9") is not None
        await asyncio.sleep(0.1)  # a token every 50 ms
        assert await fast.refusal("join", "10.0.0.9") is None
        await one.aclose()
        await two.aclose()

    asyncio.run(scenario())


def _post(path: str, client: str) -> Request:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": json.dumps({"config": {}}).encode(), "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "client": (client, 50000),
        "server": ("127.0.0.1", 8000),
        "scheme": "http",
    }
    return Request(scope, receive)


def test_a_gateway_refuses_a_creation_past_the_limit_with_429_before_any_shard(redis_url: str) -> None:
    settings = ServerSettings(session_creations_per_minute=1, session_creation_burst=1)

    async def scenario() -> None:
        gateway = Gateway("gw-test", redis_url, "127.0.0.1:1", creation_limits(settings))
        first = await gateway.forward(_post("/api/sequences/sessions", "10.0.1.1"))
        assert first.status_code == 503  # let through: no shard runs here (none started), it says so
        second = await gateway.forward(_post("/api/sessions", "10.0.1.1"))
        assert second.status_code == 429 and int(second.headers["retry-after"]) >= 50
        assert json.loads(second.body)["detail"].startswith(
            "too many new sessions from this address: the limit is 1 per minute (bursts of 1); try again in"
        )
        other = await gateway.forward(_post("/api/sessions", "10.0.1.2"))
        assert other.status_code == 503  # another address: not limited
        await gateway.redis.aclose()

    asyncio.run(scenario())


def test_without_redis_a_creation_goes_through_to_the_shards_own_limit() -> None:
    async def scenario() -> None:
        gone = aioredis.from_url(f"redis://127.0.0.1:{services.free_port()}/0", socket_connect_timeout=0.5)
        limits = SharedLimits(gone, THREE_A_MINUTE)
        started = time.monotonic()
        assert [await limits.refusal("session", "10.0.0.7") for _ in range(5)] == [None] * 5
        assert time.monotonic() - started < 10
        await gone.aclose()

    asyncio.run(scenario())


def test_a_clients_open_sockets_are_counted_across_gateways_and_a_lost_gateways_are_dropped(
    redis_url: str,
) -> None:
    async def scenario() -> None:
        db = aioredis.from_url(redis_url)
        prefix = wire.gateway_key("")
        one, two = (SharedConnections(db, name, 3, prefix) for name in ("gw-a", "gw-b"))
        for name in ("gw-a", "gw-b"):
            await db.set(wire.gateway_key(name), "1", px=10_000)
        client = "10.0.2.1"
        assert [await one.admit(client), await two.admit(client), await one.admit(client)] == [True] * 3
        assert not await two.admit(client) and not await one.admit(client)  # the fourth, through either
        assert await one.admit("10.0.2.2")  # another client has its own
        await two.release(client)
        assert await two.admit(client) and not await one.admit(client)
        await db.delete(CONNECTIONS + client)  # Redis restarted: each gateway counts its own again
        await one.refresh()
        await two.refresh()
        assert not await one.admit(client)
        await db.delete(wire.gateway_key("gw-a"))  # gw-a is lost, and its sockets with it
        assert await two.admit(client) and await two.admit(client) and not await two.admit(client)
        await db.aclose()

    asyncio.run(scenario())


def test_a_gateway_refuses_a_socket_past_the_clients_limit_with_429_and_one_servers_words(
    redis_url: str,
) -> None:
    async def scenario() -> None:
        gateway = Gateway("gw-test", redis_url, "127.0.0.1:1", None, connections_per_client=1)
        await gateway.redis.set(wire.gateway_key("gw-other"), "1", px=10_000)
        other = SharedConnections(gateway.redis, "gw-other", 1, wire.gateway_key(""))
        assert await other.admit("10.0.2.9")  # its one socket is open through another gateway
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "websocket", "path": "/ws/sessions/abc", "raw_path": b"/ws/sessions/abc",
            "query_string": b"", "headers": [], "client": ("10.0.2.9", 50000),
            "server": ("127.0.0.1", 8000), "scheme": "ws", "subprotocols": [],
            "extensions": {"websocket.http.response": {}},
        }  # fmt: skip
        await gateway.tunnel(WebSocket(scope, receive, send))
        assert sent[0]["type"] == "websocket.http.response.start" and sent[0]["status"] == 429
        body = b"".join(m.get("body", b"") for m in sent[1:])
        assert json.loads(body)["detail"] == too_many_connections(1)
        assert gateway.connections is not None and gateway.connections.open == {}  # not counted
        await gateway.redis.aclose()

    asyncio.run(scenario())


def test_a_clients_websocket_messages_are_counted_across_gateways_and_past_the_limit_dropped(
    redis_url: str,
) -> None:
    settings = ServerSettings(ws_messages_per_second=0.01, ws_message_burst=3)
    limits = {MESSAGES: message_limit(settings)}

    async def scenario() -> None:
        one, two = (Gateway(name, redis_url, "127.0.0.1:1", limits) for name in ("gw-a", "gw-b"))
        words = limits[MESSAGES].words
        sent = [await (one, two)[i % 2]._message_refusal("10.0.3.1") for i in range(4)]
        assert sent == [None, None, None, words]  # the fourth message, through either gateway
        assert await two._message_refusal("10.0.3.2") is None  # another client has its own
        one_server = RateLimits(settings)
        refusals = [one_server.message_refusal("10.0.3.1") for _ in range(4)]
        assert refusals[-1] == limits[MESSAGES].words  # one server's words
        for gateway in (one, two):
            await gateway.redis.aclose()

    asyncio.run(scenario())
