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
import numpy as np

from . import executables
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


def _same(a: Any, b: Any) -> bool:
    """Whether two input pytrees are the very same arrays (a plan's inputs are reused while its settings
    and data stand)."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    left, right = jax.tree.leaves(a), jax.tree.leaves(b)
    return len(left) == len(right) and all(x is y for x, y in zip(left, right, strict=True))


def unit_counts(counts: dict[int, int], slots: int) -> np.ndarray:
    n = np.zeros(slots, np.int32)
    for slot, units in counts.items():
        n[slot] = units
    return n


def host_stack(trees: Sequence[Any]) -> Any:
    """Pytrees stacked on the host and put on the device: a transfer, never a compile."""
    leaves = [jax.device_get(tree) for tree in trees]
    return jax.tree.map(lambda *xs: jax.device_put(np.stack([np.asarray(x) for x in xs])), *leaves)


@dataclass(frozen=True)
class StackedKernels:
    """One shard size's compiled kernels: train every slot, write one slot, read one slot. Writes and
    reads are compiled with the training kernel, so a run joining, leaving or changed compiles nothing."""

    train: Any  # (states, inputs, n (slots,)) -> (states, units (slots,), diverged (slots,))
    write: Any  # (states, inputs, slot, state, inputs) -> (states, inputs)
    read: Any  # (states, slot) -> state
    fixed_s: float  # the training kernel's fixed part (a call of no units)


def _write(states: Any, inputs: Any, slot: jax.Array, state: Any, own: Any) -> tuple[Any, Any]:
    def put(stack: Any, value: Any) -> Any:
        return jax.tree.map(lambda whole, part: whole.at[slot].set(part), stack, value)

    return put(states, state), put(inputs, own)


def _read(states: Any, slot: jax.Array) -> Any:
    return jax.tree.map(lambda leaf: leaf[slot], states)


def compile_stacked(chunk: ChunkFn, slots: int, state: Any, inputs: Any, key: Hashable) -> StackedKernels:
    """The kernels of `slots` stacked runs like (state, inputs), and the training kernel's fixed part (the
    fastest of a few calls that train no unit: dispatch, the loop's test, the results' transfer)."""
    state = resolve(state)
    stack, stacked_inputs = host_stack([state] * slots), host_stack([inputs] * slots)
    n, slot = np.zeros(slots, np.int32), np.int32(0)
    train = executables.compile(stacked_kernel(chunk, slots), (stack, stacked_inputs, n), ("stacked", key))
    write = executables.compile(_write, (stack, stacked_inputs, slot, state, inputs), ("write",))
    read = executables.compile(_read, (stack, slot), ("read",))
    fixed = measure_fixed(lambda: jax.device_get(train(stack, stacked_inputs, n)[1:]), FIXED_RUNS)
    return StackedKernels(train, write, read, fixed)


@dataclass(eq=False)  # identity: shards hold device arrays
class Shard:
    """The runs of one training use in one stacked kernel of `slots` slots."""

    key: Hashable
    slots: int
    kernels: StackedKernels
    state: Any = None  # stacked states, on the device
    inputs: Any = None  # stacked inputs, on the device
    runs: dict[Hashable, int] = field(default_factory=dict)  # run -> slot
    refs: dict[Hashable, SlotRef] = field(default_factory=dict)  # the state each run was last handed
    written: dict[Hashable, Any] = field(default_factory=dict)  # the inputs each run's slot holds
    last_use: dict[Hashable, float] = field(default_factory=dict)  # run -> when it last trained here
    keep: Callable[[Any], None] = field(default=lambda value: None, repr=False)  # what it lets go (reaper.py)

    @property
    def fixed_s(self) -> float:
        return self.kernels.fixed_s

    @property
    def free(self) -> int:
        return self.slots - len(self.runs)

    def ref(self, run: Hashable) -> SlotRef:
        return SlotRef(self.state, self.runs[run], self.kernels.read)

    def fill(self, members: Sequence[tuple[Hashable, Any, Any]]) -> None:
        """Start the shard with these (run, state, inputs), stacked at once (free slots copy the first)."""
        if not 0 < len(members) <= self.slots:
            raise ValueError(f"{len(members)} runs do not fit a shard of {self.slots}")
        padded = [*members, *[members[0]] * (self.slots - len(members))]
        self.state = host_stack([resolve(state) for _, state, _ in padded])
        self.inputs = host_stack([inputs for _, _, inputs in padded])
        now = time.monotonic()
        for slot, (run, _, inputs) in enumerate(members):
            self.runs[run], self.written[run], self.last_use[run] = slot, inputs, now

    def _put(self, slot: int, state: Any, inputs: Any) -> None:
        self.keep((self.state, self.inputs))
        self.state, self.inputs = self.kernels.write(self.state, self.inputs, np.int32(slot), state, inputs)

    def add(self, run: Hashable, state: Any, inputs: Any) -> None:
        """Place a run in a free slot, with its state and inputs."""
        if self.state is None:
            self.fill([(run, state, inputs)])
            return
        used = set(self.runs.values())
        slot = next(s for s in range(self.slots) if s not in used)
        self._put(slot, resolve(state), inputs)
        self.runs[run], self.written[run], self.last_use[run] = slot, inputs, time.monotonic()
        self.refs.pop(run, None)

    def update(self, run: Hashable, state: Any, inputs: Any) -> int:
        """Bring the run's slot up to `state` and `inputs` (a write only if either changed); returns the
        writes made."""
        if state is self.refs.get(run) and _same(inputs, self.written[run]):
            return 0
        self._put(self.runs[run], resolve(state), inputs)
        self.written[run] = inputs
        self.refs.pop(run, None)
        return 1

    def remove(self, run: Hashable) -> None:
        self.runs.pop(run, None)
        self.refs.pop(run, None)
        self.written.pop(run, None)
        self.last_use.pop(run, None)

    def current(self, run: Hashable) -> Any:
        """The run's state as its slot holds it (for a move to another shard)."""
        return self.refs.get(run) or self.ref(run)

    def train(self, counts: dict[Hashable, int]) -> dict[Hashable, tuple[SlotRef, int, bool]]:
        """One call: each run of `counts` trains up to its units, the others none. Returns each run's new
        state, units trained and divergence."""
        n = unit_counts({self.runs[run]: units for run, units in counts.items()}, self.slots)
        state, units, diverged = self.kernels.train(self.state, self.inputs, n)
        units, diverged = jax.device_get((units, diverged))
        self.keep(self.state)
        self.state = state
        now = time.monotonic()
        results = {}
        for run in counts:
            ref = self.ref(run)
            self.refs[run], self.last_use[run] = ref, now
            results[run] = (ref, int(units[ref.index]), bool(diverged[ref.index]))
        self.keep([ref for ref, _, _ in results.values()])
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
