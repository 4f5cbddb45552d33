"""The batched engine's compiled shard kernels: for every training use, the slot counts it can run in, and
the compiles that add more (engine/compiler.py does them, on its own threads).

A use's sizes are powers of two up to its (or the engine's) largest shard. `request` asks for one size
(urgent: a run waits on it; else background), `prepare` for the smallest (a new network's first shard),
`warm` compiles some at once (tests and benchmarks). When a compile lands, `on_ready` wakes the
scheduler. Any thread; `_lock` guards the table of ready kernels.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from functools import partial
from typing import Any

from .compiler import Compiler
from .resident import StackedKernels, compile_stacked, slot_count
from .seam import CompileRefused, EnginePlan, TrainUse, last_use, resolve, use_state


def _build(use: TrainUse, slots: int, state: Any) -> StackedKernels:
    return compile_stacked(use.build(), slots, state, use.inputs, use.key)


class ShardSizes:
    def __init__(
        self, compiler: Compiler, max_slots: int, min_slots: int, on_ready: Callable[[], None]
    ) -> None:
        self.compiler = compiler
        self.max_slots, self.min_slots = max_slots, min_slots
        self._on_ready = on_ready
        self._lock = threading.Lock()
        self._ready: dict[Hashable, dict[int, StackedKernels]] = defaultdict(dict)
        self.compiles = 0  # sizes this engine had compiled

    def of(self, key: Hashable) -> dict[int, StackedKernels]:
        """The compiled sizes of the use `key` (slots -> kernels)."""
        with self._lock:
            return dict(self._ready.get(key, {}))

    def any_ready(self, plan: EnginePlan) -> bool:
        """Whether some use of the plan has a compiled kernel (it trains without waiting)."""
        with self._lock:
            return any(self._ready.get(use.key) for use in plan.train_uses())

    def size_for(self, use: TrainUse, runs: int) -> int:
        """The size of one shard that holds `runs` runs of `use` (as many as fit)."""
        return slot_count(max(runs, self.min_slots), self.largest(use))

    def largest(self, use: TrainUse) -> int:
        return min(use.max_slots or self.max_slots, self.max_slots)

    def sizes_for(self, use: TrainUse, runs: int) -> list[int]:
        """The sizes of the shards that hold `runs` runs of `use` at best: full ones of the largest size,
        and the smallest that holds the rest (100 runs, 16 at most: six 16s and a 4, not seven 16s)."""
        largest = self.largest(use)
        full, rest = divmod(max(runs, 1), largest)
        if full == 0:
            return [self.size_for(use, rest)]
        return [largest, *([self.size_for(use, rest)] if rest else [])]

    def failure(self, use: TrainUse, slots: int) -> Exception | None:
        return self.compiler.failure(("batch", use.key, slots))

    def wanted(self, use: TrainUse, slots: int) -> bool:
        """Whether `slots` of `use` are neither ready, compiling nor failed (a request would compile)."""
        key = ("batch", use.key, slots)
        with self._lock:
            if slots in self._ready.get(use.key, {}):
                return False
        return not self.compiler.pending(key) and self.compiler.failure(key) is None

    def request(
        self,
        use: TrainUse,
        slots: int,
        state: Any,
        client: str = "",
        urgent: bool = False,
        spare: bool = False,
    ) -> None:
        """Ask for `slots` of `use` unless it is ready, compiling or failed (`urgent`, `spare`: as the
        compiler's); a full compile queue is asked again at a later tick."""
        if not self.wanted(use, slots):
            return
        key = ("batch", use.key, slots)
        found = self.compiler.get(key)  # compiled for another engine sharing the compiler
        if found is not None:
            self._landed(use.key, slots, found)
            return
        try:
            build = partial(_build, use, slots, resolve(state))
            future = self.compiler.request(key, build, client=client, urgent=urgent, spare=spare)
        except CompileRefused:
            return
        future.add_done_callback(lambda done: self._compiled(use.key, slots, done))

    def prepare(
        self, plan: EnginePlan, state: Any, client: str = "", runs: int = 1, preferred: bool = False
    ) -> Future[Any]:
        """Compile the smallest shard of the plan's last use (what a new network trains in first; never a
        standby); or the shard of its first use (`preferred`) that holds `runs` runs (a sweep's, before
        it starts)."""
        uses = [use for use in plan.train_uses() if not use.standby]
        use = uses[0] if preferred else last_use(uses)
        slots = self.size_for(use, runs)
        ready = self.of(use.key).get(slots)
        if ready is not None:
            done: Future[Any] = Future()
            done.set_result(ready)
            return done
        build = partial(_build, use, slots, resolve(use_state(use, state)))
        future = self.compiler.request(("batch", use.key, slots), build, client=client)
        future.add_done_callback(lambda done: self._compiled(use.key, slots, done))
        return future

    def warm(self, plan: EnginePlan, state: Any, sizes: Sequence[int], preferred: bool = True) -> None:
        """Compile (blocking) these sizes of the plan's first use (or its last)."""
        uses = plan.train_uses()
        use = uses[0] if preferred else last_use(uses)
        value = resolve(use_state(use, state))
        for slots in sizes:
            future = self.compiler.request(("batch", use.key, slots), partial(_build, use, slots, value))
            self._compiled(use.key, slots, future)

    def _compiled(self, key: Hashable, slots: int, done: Future[Any]) -> None:
        if done.cancelled() or done.exception() is not None:
            self._on_ready()  # its runs hear of the failure at the next tick
            return
        self._landed(key, slots, done.result())

    def _landed(self, key: Hashable, slots: int, kernels: StackedKernels) -> None:
        with self._lock:
            fresh = slots not in self._ready[key]
            self._ready[key][slots] = kernels
            self.compiles += fresh
        self._on_ready()
