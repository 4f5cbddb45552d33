"""Cluster mode (docs/cluster.md): engine shards as Ray actors, stateless gateways behind HAProxy, Redis
as broker and short-lived state, Postgres for rooms and snapshots.

Nothing outside this package imports it, and nothing here is imported by the single-process server: ray,
redis and psycopg (the `cluster` extra) are needed only when the cluster runs.
"""
