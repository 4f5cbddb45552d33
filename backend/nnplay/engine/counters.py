"""What the batched engine did (read with `BatchedEngine.stats()`, for /api/health, tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Counters:
    ticks: int = 0
    compiles: int = 0  # training kernels the scheduler had compiled (use x slot count)
    batches: int = 0  # training calls
    slots_used: int = 0  # sum over calls of the runs that trained in them
    slots_run: int = 0  # ... and of their slot counts (the difference is idle slots)
    chunks: int = 0  # chunks served
    writes: int = 0  # slots written (a run joined or changed)
    rebuilds: int = 0  # shards rebuilt (grown, merged, shrunk)
    errors: int = 0
    members_per_batch: dict[int, int] = field(default_factory=dict)  # runs in a call -> calls

    def called(self, members: int, slots: int) -> None:
        """A training call of `slots` slots trained `members` runs."""
        self.batches += 1
        self.slots_used += members
        self.slots_run += slots
        self.chunks += members
        self.members_per_batch[members] = self.members_per_batch.get(members, 0) + 1

    def copy(self) -> Counters:
        return Counters(**{**self.__dict__, "members_per_batch": dict(self.members_per_batch)})


def fairness(epochs_per_second: Sequence[float]) -> float:
    """Slowest over median (1.0: everyone progresses at the same pace)."""
    values = np.asarray(epochs_per_second, np.float64)
    median = float(np.median(values))
    return float(values.min() / median) if median > 0 else 0.0
