"""How many sweeps a client keeps, and the words of a refusal: one server's (sweeps.py) and a cluster's,
whose gateways count a client's sweeps on every shard (cluster/gateway.py). No jax here."""

from __future__ import annotations

from collections.abc import Sequence

MAX_SWEEPS_PER_CLIENT = 4
TRAINING = ("starting", "running", "stopping")  # a sweep in these is never deleted to make room


def too_many_sweeps(kept: int) -> str:
    return (
        f"this client already trains {kept} sweeps (at most {MAX_SWEEPS_PER_CLIENT}); stop or delete one "
        "first"
    )


def room_for_one_more(statuses: Sequence[str]) -> int | None:
    """Given a client's sweeps' statuses, oldest first: -1 when a new one fits, the index of the oldest
    finished one to delete to make room, or None when all of them still train (refused)."""
    if len(statuses) < MAX_SWEEPS_PER_CLIENT:
        return -1
    return next((i for i, status in enumerate(statuses) if status not in TRAINING), None)
