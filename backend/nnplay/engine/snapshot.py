"""A training state as bytes and back: what the classroom store keeps of a run between server restarts.

The state's leaves (weights, optimizer state, the schedule's clock) go out as msgpack of
(dtype, shape, raw bytes); they come back into the structure of a template state built for the same
config, so nothing of the pytree's shape is trusted from the bytes.
"""

from __future__ import annotations

from typing import Any

import jax
import msgpack
import numpy as np

FORMAT = 1


class SnapshotError(ValueError):
    """The bytes do not hold a state that fits the template (another config, or damaged)."""


def state_to_bytes(state: Any) -> bytes:
    """Every leaf of `state` as (dtype, shape, bytes), packed with msgpack."""
    leaves = jax.tree_util.tree_leaves(jax.device_get(state))
    packed = [
        {
            "dtype": str(np.asarray(leaf).dtype),
            "shape": list(np.shape(leaf)),
            "data": np.asarray(leaf).tobytes(),
        }
        for leaf in leaves
    ]
    return bytes(msgpack.packb({"format": FORMAT, "leaves": packed}))


def state_from_bytes(template: Any, data: bytes) -> Any:
    """The state in `data`, in the structure of `template`; raises SnapshotError if it does not fit."""
    try:
        content = msgpack.unpackb(data)
        raw = content["leaves"]
    except Exception as exc:
        raise SnapshotError(f"the snapshot cannot be read: {exc}") from None
    expected, treedef = jax.tree_util.tree_flatten(template)
    if content.get("format") != FORMAT or len(raw) != len(expected):
        raise SnapshotError("the snapshot was made for another network")
    leaves = []
    for item, like in zip(raw, expected, strict=True):
        array = np.frombuffer(item["data"], dtype=np.dtype(item["dtype"])).reshape(item["shape"])
        if array.shape != np.shape(like) or array.dtype != np.asarray(like).dtype:
            raise SnapshotError("the snapshot was made for another network")
        leaves.append(jax.numpy.asarray(array))
    return jax.tree_util.tree_unflatten(treedef, leaves)
