"""The per-client limits of a cluster, shared by all its gateways, so that a client that HAProxy spreads
over gateways (and whose new runs the gateways spread over shards) gets the limits of one server, not one
per gateway or shard. The limits and their words are one process's (api/ratelimit.py, api/connections.py).

- Creations and a page's websocket messages (`SharedLimits`): one token bucket per (kind, client address)
  in Redis, taken and refilled atomically by a script on Redis's clock.
- Open websockets (`SharedConnections`): one hash per client address with each gateway's count of its
  sockets. A gateway adds its new socket and sums the hash in one script, dropping the counts of gateways
  whose lease has lapsed (a lost gateway's sockets are gone with it); past the limit it takes its socket
  back and refuses, so two gateways racing for the last place may both refuse but never both admit. Each
  gateway rewrites its own counts every lease renewal (a restarted Redis has none).

When Redis does not answer, a creation or a socket is let through (each shard's and gateway's own limits
still bound it) and the gateway says so in its log once per outage.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError

from ..api.ratelimit import CreationLimit

log = logging.getLogger(__name__)
PREFIX = "nnplay:limit:"
CONNECTIONS = "nnplay:conns:"

# KEYS[1]: the bucket; ARGV: rate per second, burst. Returns {1 or 0 (taken or not), seconds to wait}.
TAKE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local kept = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(kept[1]) or burst
local updated = tonumber(kept[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
local wait = 0
if taken == 0 then wait = (1 - tokens) / rate end
return {taken, tostring(wait)}
"""


# KEYS[1]: the client's hash (gateway -> its open sockets); ARGV: this gateway, the limit, the prefix of the
# gateways' lease keys. Returns 1 (admitted: counted) or 0 (refused: not counted).
ADMIT = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local total = 0
local counts = redis.call('HGETALL', KEYS[1])
for i = 1, #counts, 2 do
  local gateway, n = counts[i], tonumber(counts[i + 1])
  if gateway ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. gateway) == 0 then
    redis.call('HDEL', KEYS[1], gateway)
  else
    total = total + n
  end
end
if total > tonumber(ARGV[2]) then
  redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
  return 0
end
return 1
"""
# KEYS[1]: the client's hash; ARGV: this gateway. One socket fewer (the field goes at zero).
RELEASE = """
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
"""


class SharedConnections:
    """`admit(client)`: whether one more websocket of `client` fits the cluster's limit (it is counted
    then; `release(client)` when it ends). `refresh()` rewrites this gateway's counts (every renewal)."""

    def __init__(self, redis: Any, gateway: str, per_client: int, lease_prefix: str) -> None:
        self.redis = redis
        self.gateway = gateway
        self.per_client = per_client
        self.lease_prefix = lease_prefix
        self.open: dict[str, int] = {}  # client -> this gateway's sockets counted in Redis
        self._admit = redis.register_script(ADMIT)
        self._release = redis.register_script(RELEASE)
        self._failing = False

    async def admit(self, client: str) -> bool:
        try:
            admitted = bool(
                await self._admit(
                    keys=[CONNECTIONS + client], args=[self.gateway, self.per_client, self.lease_prefix]
                )
            )
        except RedisError as exc:
            self._failed(exc)
            admitted = True  # (not counted in Redis: the next refresh counts it)
        if admitted:
            self.open[client] = self.open.get(client, 0) + 1
        return admitted

    async def release(self, client: str) -> None:
        left = self.open.get(client, 0) - 1
        if left > 0:
            self.open[client] = left
        else:
            self.open.pop(client, None)
        try:
            await self._release(keys=[CONNECTIONS + client], args=[self.gateway])
        except RedisError as exc:
            self._failed(exc)

    async def refresh(self) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for client, count in self.open.items():
                    pipe.hset(CONNECTIONS + client, self.gateway, count)
                await pipe.execute()
        except RedisError as exc:
            self._failed(exc)
            return
        self._failing = False

    def _failed(self, exc: Exception) -> None:
        if not self._failing:
            log.warning("shared limits: Redis did not answer (%s); each gateway's own limit applies", exc)
        self._failing = True


class SharedLimits:
    """`refusal(kind, client)`: None when the client may create (or send) one more of `kind` (a token is
    taken), else (message, seconds to wait), from buckets in Redis."""

    def __init__(self, redis: Any, limits: dict[str, CreationLimit]) -> None:
        self.limits = limits
        self._take = redis.register_script(TAKE)
        self._failing = False

    async def refusal(self, kind: str, client: str) -> tuple[str, float] | None:
        limit = self.limits[kind]
        try:
            taken, wait = await self._take(
                keys=[f"{PREFIX}{kind}:{client}"], args=[limit.rate_per_s, limit.burst]
            )
        except RedisError as exc:
            if not self._failing:
                log.warning("shared limits: Redis did not answer (%s); the shards' own limits apply", exc)
            self._failing = True
            return None
        self._failing = False
        return None if int(taken) else limit.refusal(float(wait))
