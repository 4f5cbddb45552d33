"""The local cluster's command channel: a client pushes a command on the Redis list CTL and its keeper
(cluster/local.py) answers on CTL_REPLY."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .wire import as_text

CTL, CTL_REPLY = "nnplay:ctl", "nnplay:ctl:reply"


def command(state: Path, text: str, timeout_s: float = 60) -> str:
    """Send a command to the keeper of the cluster in `state` and wait for its answer."""
    import redis

    info = json.loads((state / "cluster.json").read_text())
    client = redis.Redis.from_url(info["redis"], socket_timeout=timeout_s + 5)
    client.delete(CTL_REPLY)
    client.rpush(CTL, text)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            item = client.blpop([CTL_REPLY], timeout=1)
        except redis.RedisError:  # Redis itself restarting
            time.sleep(0.2)
            continue
        if item is not None:
            return str(as_text(item[1]))
    raise TimeoutError(f"no answer to {text!r}")
