"""Runs kept on the device between ticks: a shard is the stacked states and inputs of the runs of one
training use (one compiled kernel), one slot per run.

A tick calls the shard's kernel once on its stacked arrays, with one vector of unit counts (0 for the
slots that do not train this tick), and gets the stacked states back (they stay on the device) with the
units each slot trained and whether it diverged (one transfer back). A run joining, leaving or changed
(an edit, a reset, other settings) writes its own slot by index; nothing else moves. Each run gets a
`SlotRef` into the new stacked state as its state: stacked states are values, never changed in place,
so a ref stays valid while its holder keeps it (a rollback, a frame in flight).

A slot's numbers depend on its own inputs only (vmap keeps lanes apart; unused slots run no unit, which
changes nothing), and a shard of one slot runs the plain kernel (a vmap of one lane compiles to other
code). Owned by the scheduler's worker thread; nothing here locks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .call_timing import FIXED_RUNS, measure_fixed
from .seam import ChunkFn, SlotRef, resolve

StackedFn = Callable[[Any, Any, Any], tuple[Any, jax.Array, jax.Array]]


def slot_count(members: int, max_slots: int) -> int:
    """Slots for a shard of `members` runs: the next power of two, at most `max_slots`."""
    if members < 1:
        raise ValueError(f"a shard needs at least one run, got {members}")
    slots = 1
    while slots < members and slots < max_slots:
        slots *= 2
    return min(slots, max_slots)


def stacked_kernel(chunk: ChunkFn, slots: int) -> StackedFn:
    """`chunk` over `slots` stacked runs (vmapped; one slot runs the plain kernel)."""
    if slots > 1:
        return jax.vmap(chunk)

    def one(state: Any, inputs: Any, n: jax.Array) -> tuple[Any, jax.Array, jax.Array]:
        state0, inputs0 = jax.tree.map(lambda leaf: leaf[0], (state, inputs))
        out, units, diverged = chunk(state0, inputs0, n[0])
        return jax.tree.map(lambda leaf: leaf[None], out), units[None], diverged[None]

    return one


def replicate(tree: Any, slots: int) -> Any:
    """`tree` stacked `slots` times (the start of a shard: every slot a copy of its first run)."""
    return jax.tree.map(lambda leaf: jnp.stack([jnp.asarray(leaf)] * slots), tree)


def unit_counts(counts: dict[int, int], slots: int) -> np.ndarray:
    n = np.zeros(slots, np.int32)
    for slot, units in counts.items():
        n[slot] = units
    return n


def compile_stacked(chunk: ChunkFn, slots: int, state: Any, inputs: Any) -> tuple[Any, float]:
    """The compiled kernel of `slots` stacked runs like (state, inputs), and its fixed part (the fastest of
    a few calls that train no unit: dispatch, the loop's test, the results' transfer)."""
    stack, stacked_inputs = replicate(state, slots), replicate(inputs, slots)
    n = np.zeros(slots, np.int32)
    compiled = jax.jit(stacked_kernel(chunk, slots)).lower(stack, stacked_inputs, n).compile()
    fixed = measure_fixed(lambda: jax.device_get(compiled(stack, stacked_inputs, n)[1:]), FIXED_RUNS)
    return compiled, fixed


def _same(a: Any, b: Any) -> bool:
    """Whether two input pytrees are the very same arrays (a plan's inputs are reused while its settings
    and data stand)."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    left, right = jax.tree.leaves(a), jax.tree.leaves(b)
    return len(left) == len(right) and all(x is y for x, y in zip(left, right, strict=True))


def _write(stack: Any, slot: int, value: Any) -> Any:
    return jax.tree.map(lambda whole, part: whole.at[slot].set(part), stack, value)


@dataclass
class Shard:
    """The runs of one training use in one stacked kernel of `slots` slots."""

    key: Hashable
    slots: int
    kernel: Any
    fixed_s: float = 0.0
    state: Any = None  # stacked states, on the device
    inputs: Any = None  # stacked inputs, on the device
    runs: dict[Hashable, int] = field(default_factory=dict)  # run -> slot
    refs: dict[Hashable, SlotRef] = field(default_factory=dict)  # the state each run was last handed
    written: dict[Hashable, Any] = field(default_factory=dict)  # the inputs each run's slot holds
    last_use: dict[Hashable, float] = field(default_factory=dict)  # run -> when it last trained here

    @property
    def free(self) -> int:
        return self.slots - len(self.runs)

    def fill(self, members: Sequence[tuple[Hashable, Any, Any]]) -> None:
        """Start the shard with these (run, state, inputs), stacked at once (free slots copy the first)."""
        if not 0 < len(members) <= self.slots:
            raise ValueError(f"{len(members)} runs do not fit a shard of {self.slots}")
        padded = [*members, *[members[0]] * (self.slots - len(members))]
        states = [resolve(state) for _, state, _ in padded]
        self.state = jax.tree.map(lambda *leaves: jnp.stack(leaves), *states)
        self.inputs = jax.tree.map(lambda *leaves: jnp.stack(leaves), *[inputs for _, _, inputs in padded])
        now = time.monotonic()
        for slot, (run, _, inputs) in enumerate(members):
            self.runs[run], self.written[run], self.last_use[run] = slot, inputs, now

    def add(self, run: Hashable, state: Any, inputs: Any) -> None:
        """Place a run in a free slot, with its state and inputs."""
        if self.state is None:
            self.fill([(run, state, inputs)])
            return
        used = set(self.runs.values())
        slot = next(s for s in range(self.slots) if s not in used)
        self.state = _write(self.state, slot, resolve(state))
        self.inputs = _write(self.inputs, slot, inputs)
        self.runs[run], self.written[run], self.last_use[run] = slot, inputs, time.monotonic()
        self.refs.pop(run, None)

    def update(self, run: Hashable, state: Any, inputs: Any) -> int:
        """Bring the run's slot up to `state` and `inputs` (writes only what changed); returns the writes."""
        slot, writes = self.runs[run], 0
        if state is not self.refs.get(run):
            self.state = _write(self.state, slot, resolve(state))
            self.refs.pop(run, None)
            writes += 1
        if not _same(inputs, self.written[run]):
            self.inputs = _write(self.inputs, slot, inputs)
            self.written[run] = inputs
            writes += 1
        return writes

    def remove(self, run: Hashable) -> None:
        self.runs.pop(run, None)
        self.refs.pop(run, None)
        self.written.pop(run, None)
        self.last_use.pop(run, None)

    def current(self, run: Hashable) -> Any:
        """The run's state as its slot holds it (for a move to another shard)."""
        return self.refs.get(run) or SlotRef(self.state, self.runs[run])

    def train(self, counts: dict[Hashable, int]) -> dict[Hashable, tuple[SlotRef, int, bool]]:
        """One call: each run of `counts` trains up to its units, the others none. Returns each run's new
        state, units trained and divergence."""
        n = unit_counts({self.runs[run]: units for run, units in counts.items()}, self.slots)
        state, units, diverged = self.kernel(self.state, self.inputs, n)
        units, diverged = jax.device_get((units, diverged))
        self.state = state
        now = time.monotonic()
        results = {}
        for run in counts:
            slot = self.runs[run]
            ref = SlotRef(state, slot)
            self.refs[run], self.last_use[run] = ref, now
            results[run] = (ref, int(units[slot]), bool(diverged[slot]))
        return results


def layout(members: int, ready: Sequence[int], min_slots: int = 1) -> list[int]:
    """The shard sizes that hold `members` runs with the kernels `ready` (slot counts of at least
    `min_slots`): as few shards as the largest ready size allows, each the smallest that holds its part."""
    usable = [s for s in ready if s >= min_slots]
    if not usable or members < 1:
        return []
    largest, sizes, left = max(usable), [], members
    while left > 0:
        part = min(left, largest)
        sizes.append(min(s for s in usable if s >= part))
        left -= part
    return sizes
