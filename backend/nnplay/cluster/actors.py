"""The engine shards as Ray actors: created detached on the nodes that carry their node's resource (the
local cluster's keeper and `python -m nnplay.cluster.local shards` on real machines)."""

from __future__ import annotations

import json
import os
from typing import Any


def start_shards(placement: list[tuple[str, str]], redis_url: str, pg_dsn: str) -> list[dict[str, Any]]:
    """Create the engine shards (detached, restarted by Ray without end) on the nodes that carry their
    node's resource; returns what each reports once started. The caller is a Ray driver (ray.init done).
    NNPLAY_CLUSTER_SHARD_SETTINGS (JSON) adds to their app's settings (the edge is the gateways')."""
    import ray

    from .shard import EngineShard

    settings = {"allowed_hosts": ["*"], "warmup": True}
    settings.update(json.loads(os.environ.get("NNPLAY_CLUSTER_SHARD_SETTINGS") or "{}"))
    actor: Any = ray.remote(EngineShard)
    handles = [
        actor.options(
            name=shard,
            namespace="nnplay",
            lifetime="detached",
            get_if_exists=True,
            max_restarts=-1,
            max_task_retries=0,
            num_cpus=1,
            resources={node: 1},
            # Ray runs its workers at nice 15; a shard is its node's work: on a node that also runs gateways
            # (a laptop's local cluster), busy gateways must not starve its training
            runtime_env={
                "env_vars": {"NNPLAY_NODE": node, "RAY_USAGE_STATS_ENABLED": "0", "RAY_worker_niceness": "0"}
            },
        ).remote(shard, redis_url, pg_dsn, settings)
        for shard, node in placement
    ]
    return list(ray.get([h.info.remote() for h in handles], timeout=600))
