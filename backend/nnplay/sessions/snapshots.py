"""A live run as storable parts and back: what a room's snapshot, a saved run and a cluster shard's kept
run store of a session (its lab and settings, its weights, epoch, own data, loss history and whether it
was training), and how a new session takes them over.

Owner: the event loop (the weights are packed in a worker thread).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

from ..engine.snapshot import state_from_bytes, state_to_bytes
from .runstate import RUNNING
from .session import Session

LAB_KEY = "lab"  # a stored config names its lab under this key (none: the playground, as before labs)


def pack_own_data(data: tuple[Any, ...]) -> bytes:
    """A run's own data (a tuple of arrays, in its family's form) as bytes for a store."""
    arrays = [np.ascontiguousarray(a) for a in data]
    return bytes(
        msgpack.packb(
            {"arrays": [{"dtype": a.dtype.str, "shape": a.shape, "data": a.tobytes()} for a in arrays]}
        )
    )


def unpack_own_data(data: bytes | None) -> tuple[np.ndarray, ...] | None:
    """What pack_own_data stored (or the playground's points and labels as stored before there were labs)."""
    if not data:
        return None
    content = msgpack.unpackb(data)
    if "arrays" not in content:
        points = np.frombuffer(content["points"], np.float32).reshape(-1, 2)
        return points, np.frombuffer(content["labels"], np.float32)
    return tuple(
        np.frombuffer(a["data"], np.dtype(a["dtype"])).reshape(tuple(a["shape"])) for a in content["arrays"]
    )


@dataclass(frozen=True)
class RunParts:
    """A run at one moment, as a store keeps it. `config` is the public config with its lab under LAB_KEY."""

    config: dict[str, Any]
    weights: bytes
    epoch: int
    own_data: bytes | None
    training: bool
    history: dict[str, list[Any]]

    @property
    def lab(self) -> str:
        return str(self.config.get(LAB_KEY, "playground"))

    def settings(self) -> dict[str, Any]:
        """The config without its lab (what `SessionManager.create` takes)."""
        return {k: v for k, v in self.config.items() if k != LAB_KEY}


def save_mark(session: Session, epoch: int | None = None) -> tuple[int, int, bool]:
    """What a store's copy of a run is saved again for when it changes: its epoch (or `epoch`, one taken
    over by it), its settings' version and whether it trains."""
    return session.epoch if epoch is None else epoch, session.config_version, session.state in RUNNING


async def capture(session: Session, state: Any = None, epoch: int | None = None) -> RunParts:
    """`session` as it is now (or `state` at `epoch`, taken over by it): the config its weights fit."""
    epoch = session.epoch if epoch is None else epoch
    weights = await asyncio.to_thread(state_to_bytes, session.params if state is None else state)
    own = session.family.own_data(session)
    return RunParts(
        config={**session.config.public(), LAB_KEY: session.family.lab},
        weights=weights,
        epoch=epoch,
        own_data=None if own is None else pack_own_data(own),
        training=session.state in RUNNING,
        history=session.publisher.history.to_json(),
    )


def restore(session: Session, weights: bytes, epoch: int, own_data: bytes | None) -> None:
    """Queue the stored weights, epoch and own data on a new session of the same settings; raises
    engine.snapshot.SnapshotError when the weights do not fit its network."""
    state = state_from_bytes(session.params, weights)
    session.adopt(state, epoch, unpack_own_data(own_data))
