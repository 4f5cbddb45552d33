"""What gateways and engine shards say to each other through Redis, and the keys they use.

- A page's websocket is a *tunnel*: the gateway holds the page's socket, the shard runs the app's own
  websocket route for it. What the page sends goes to the owning shard's command stream
  (`in_stream(shard)`, a Redis Stream: entries carry the tunnel and a command number `n`, so a command
  resent after a Redis hiccup is applied once); what the route sends comes back on the gateway's channel
  (`out_channel(gateway)`, pub/sub) with a sequence number per tunnel that counts control messages;
  frames carry the number of the control message before them (newest wins: a lost frame is replaced by
  the next), and a gap in the numbers (a control message lost) makes the gateway close the page's socket
  with "try again", so the page reconnects and is sent its run's state afresh.
- Leases: `shard_key(name)` and `gateway_key(name)` hold who is alive (SET PX 2 s, renewed every 0.5 s).
- The directory: `directory_key(kind, key)` names the shard that owns a run or a room; `taken_key(shard)`
  says that a lost shard's rooms and kept runs have been taken over (what no shard owns is gone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

PREFIX = "nnplay:"
LEASE_MS = 2000  # a shard or gateway not heard of for this long is gone (4 renewals missed)
RENEW_S = 0.5
STREAM_MAXLEN = 10_000
DIRECTORY_TTL_S = 3600
CLOSE_TRY_AGAIN = 1012  # "service restart": pages reconnect (core/stream.js gives up only on 4404)


def as_text(value: bytes | str) -> str:
    """A Redis value (bytes unless the client decodes) as text."""
    return value.decode() if isinstance(value, bytes) else value


def in_stream(shard: str) -> str:
    return f"{PREFIX}in:{shard}"


def out_channel(gateway: str) -> str:
    return f"{PREFIX}out:{gateway}"


def shard_key(shard: str) -> str:
    return f"{PREFIX}shard:{shard}"


def gateway_key(gateway: str) -> str:
    return f"{PREFIX}gateway:{gateway}"


def directory_key(kind: str, key: str) -> str:
    return f"{PREFIX}dir:{kind}:{key}"


def taken_key(shard: str) -> str:
    """Set while a lost shard's rooms and kept runs have been taken over: its runs that no shard owns
    are gone, not moving."""
    return f"{PREFIX}taken:{shard}"


SHARDS_SET = f"{PREFIX}shards"  # the names of the engine shards (set by whoever starts them)


@dataclass(frozen=True)
class Out:
    """One thing a tunnel's route sent: kind is accept | text | bytes | close | deny."""

    tunnel: str
    seq: int
    kind: str
    data: Any = None


def pack_out(out: Out) -> bytes:
    return bytes(msgpack.packb([out.tunnel, out.seq, out.kind, out.data]))


def unpack_out(raw: bytes) -> Out:
    tunnel, seq, kind, data = msgpack.unpackb(raw)
    return Out(tunnel, seq, kind, data)
