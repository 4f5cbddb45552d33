"""Which shard holds each run: the shards of every training use, grown, merged and shrunk as runs come
and go (owned by the scheduler's worker thread; nothing here locks).

A use's runs live in as few shards as its compiled sizes allow (resident.layout). A run that arrives
takes a free slot; when none is free, or a layout of fewer shards or of half a largest shard's slots
fewer has become possible (a kernel compiled, runs left: every slot of a call runs, used or not), the
use's shards are rebuilt from their runs' current states, stacked at once. A run that moves to another
use (its exact kernel is ready, its settings changed) leaves its old shard; one that has not trained for
IDLE_S leaves too, so paused runs cost the others nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from .resident import Shard, StackedKernels, layout

IDLE_S = 2.0


@dataclass(frozen=True)
class Arrival:
    """A run that asks to train this tick: its state and its use's inputs."""

    run: Hashable
    state: Any
    inputs: Any


class Placement:
    def __init__(self, min_slots: int = 1, keep: Callable[[Any], None] = lambda value: None) -> None:
        self.min_slots = min_slots
        self.keep = keep  # the states and shards it lets go are dropped there (reaper.py)
        self.shards: dict[Hashable, list[Shard]] = {}
        self.home: dict[Hashable, Shard] = {}
        self.writes = 0  # slots written (states or inputs), for the counters
        self.rebuilds = 0

    def members(self, key: Hashable) -> int:
        return sum(len(shard.runs) for shard in self.shards.get(key, ()))

    def would_hold(self, key: Hashable, arrivals: Sequence[Arrival]) -> int:
        """The runs `key`'s shards hold once `arrivals` are placed."""
        joining = [a for a in arrivals if a.run not in self.home or self.home[a.run].key != key]
        return self.members(key) + len(joining)

    def remove(self, run: Hashable) -> None:
        shard = self.home.pop(run, None)
        if shard is None:
            return
        shard.remove(run)
        if not shard.runs:
            self.keep(shard)
            self.shards[shard.key].remove(shard)
            if not self.shards[shard.key]:
                del self.shards[shard.key]

    def evict_idle(self, busy: set[Hashable], now: float | None = None) -> None:
        """Runs that trained no chunk for IDLE_S (and ask none now) leave their shards."""
        now = time.monotonic() if now is None else now
        idle = [
            run
            for run, shard in self.home.items()
            if run not in busy and now - shard.last_use.get(run, now) > IDLE_S
        ]
        for run in idle:
            self.remove(run)

    def place(self, key: Hashable, arrivals: Sequence[Arrival], kernels: dict[int, StackedKernels]) -> bool:
        """Put `arrivals` (runs of the use `key`) in its shards with their states and inputs, using the
        compiled kernels `kernels` (by slot count); False if none is ready (they wait)."""
        for arrival in arrivals:  # a run that changed use leaves its old shard first
            home = self.home.get(arrival.run)
            if home is not None and home.key != key:
                self.remove(arrival.run)
        shards = self.shards.get(key, [])
        new = [a for a in arrivals if a.run not in self.home]
        total = self.members(key) + len(new)
        sizes = layout(total, sorted(kernels), self.min_slots)
        if not sizes:
            return False
        current = sorted(shard.slots for shard in shards)
        free = sum(shard.free for shard in shards)
        idle = sum(current) - sum(sizes)  # slots a rebuild would stop running for nothing
        if len(new) > free or len(sizes) < len(current) or 2 * idle >= max(sizes):
            self._rebuild(key, arrivals, sizes, kernels)
            return True
        for arrival in arrivals:
            if arrival.run in self.home:
                self.writes += self.home[arrival.run].update(arrival.run, arrival.state, arrival.inputs)
        for arrival in new:
            shard = next(s for s in shards if s.free)
            shard.add(arrival.run, arrival.state, arrival.inputs)
            self.home[arrival.run] = shard
            self.writes += 1
        return True

    def _rebuild(
        self,
        key: Hashable,
        arrivals: Sequence[Arrival],
        sizes: list[int],
        kernels: dict[int, StackedKernels],
    ) -> None:
        """New shards of `sizes` for every run of `key`, each from its arrival or its current slot."""
        arriving = {a.run: a for a in arrivals}
        members = []
        for shard in self.shards.get(key, []):
            for run in shard.runs:
                if run not in arriving:
                    members.append((run, shard.current(run), shard.written[run]))
        members += [(a.run, a.state, a.inputs) for a in arrivals]
        rebuilt, start = [], 0
        for slots in sizes:
            shard = Shard(key, slots, kernels[slots], keep=self.keep)
            part = members[start : start + slots]
            shard.fill(part)
            for run, _, _ in part:
                self.home[run] = shard
            rebuilt.append(shard)
            start += slots
        self.keep(self.shards.get(key))
        self.shards[key] = rebuilt
        self.writes += len(members)
        self.rebuilds += 1
