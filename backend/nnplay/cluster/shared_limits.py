"""The per-client creation limits of a cluster, shared by all its gateways: one token bucket per (kind,
client address) in Redis, taken and refilled atomically by a script on Redis's clock, so a client that
HAProxy spreads over gateways (and whose new runs the gateways spread over shards) gets the limit of one
server, not one per gateway or shard. The limits and their words are one process's (api/ratelimit.py).

When Redis does not answer, a creation is let through (each shard's own buckets still bound it) and the
gateway says so in its log once per outage.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError

from ..api.ratelimit import CreationLimit

log = logging.getLogger(__name__)
PREFIX = "nnplay:limit:"

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


class SharedLimits:
    """`refusal(kind, client)`: None when the client may create one more of `kind` (a token is taken),
    else (message, seconds to wait), from buckets in Redis."""

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
