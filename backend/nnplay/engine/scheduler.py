"""The batched engine's training: each tick, every run waiting for a chunk trains, those of one training
use together, in one call per shard of their stacked states (resident.py, placement.py).

Runs `submit` (plan, state, most units) and get a `concurrent.futures.Future` of an `Outcome`. One worker
thread loops: it takes every waiting request, gives each the use of its plan it trains in now (uses.py),
writes the slots of runs that changed, chooses one unit count for the tick so that it fills the frame
budget (call_timing), makes one call per shard (on its lanes: lanes.py) and resolves the futures. Every
request waiting at a tick's start is served in it with the same units (unless it asked for fewer), so
runs progress at the same pace. Nothing is compiled on the worker. The worker owns the shards and the
timings; `_lock` (a Condition) guards the waiting requests, the runs to forget and the counters.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import jax

from . import call_timing, uses
from .call_timing import CallTiming
from .compiler import Compiler
from .counters import Counters
from .lanes import EXTRA_LANE_NICE, WORKER_NICE, Lanes, lower_priority
from .placement import Arrival, Placement
from .reaper import Reaper
from .seam import EnginePlan, Outcome, TrainUse, plan_state, use_state
from .sizes import ShardSizes

log = logging.getLogger(__name__)
STRAGGLER_WAIT_S = 0.010  # after a tick, wait this long for the runs it served to come back together
# On CPU a shard holds at most 16 runs, so that a class of 30 makes two calls that run side by side on two
# cores (a 32-slot call took 220 ms where two 16-slot calls on two threads took 100, bench/README.md).
MAX_SLOTS_CPU = 16
MAX_SLOTS_ACCELERATOR = 1024
IDLE_WAIT_S = 0.05  # a worker with only runs waiting for compiles looks again this often


def on_accelerator() -> bool:
    return jax.default_backend() != "cpu"


@dataclass
class _Request:
    run: Hashable
    plan: EnginePlan
    state: Any
    max_units: int
    client: str
    future: Future[Outcome]


class Scheduler:
    """Owns the batched engine's training; see the module docstring. `close()` when done."""

    def __init__(
        self,
        compiler: Compiler,
        *,
        frame_budget_s: float = call_timing.FRAME_BUDGET_S,
        max_slots: int | None = None,
        min_slots: int = 1,
        max_units_per_tick: int = call_timing.MAX_UNITS_PER_TICK,
        tick_s_per_member: float | None = None,
        frames_per_second: float | None = None,
        straggler_wait_s: float = STRAGGLER_WAIT_S,
        parallel_calls: int = 1,
    ) -> None:
        accelerator = on_accelerator()
        self.compiler = compiler
        self.frame_budget_s = frame_budget_s
        self.max_slots = max_slots or (MAX_SLOTS_ACCELERATOR if accelerator else MAX_SLOTS_CPU)
        self.max_units_per_tick = max_units_per_tick
        self.tick_s_per_member = tick_s_per_member or call_timing.default_tick_s_per_member(
            accelerator, frames_per_second
        )
        self.straggler_wait_s = straggler_wait_s
        self._nice = 0 if accelerator else WORKER_NICE  # on a CPU below the server's frames (lanes.py)
        self.lanes = Lanes(1 if accelerator else parallel_calls, 0 if accelerator else EXTRA_LANE_NICE)
        self._timing_lock = threading.Lock()  # the timings and the served set, which lanes update
        self._reaper = Reaper()  # where the device arrays the shards let go die (reaper.py)
        self.placement = Placement(min_slots, self._reaper.keep)  # worker thread only
        self.sizes = ShardSizes(compiler, self.max_slots, min_slots, self._wake)
        self._timings: dict[tuple[Hashable, int], CallTiming] = {}  # worker thread only
        self._eval_s = 0.0  # the framer's share of the tick (set by the engine)
        self._served: set[Hashable] = set()  # worker thread only
        self._lock = threading.Condition()
        self._waiting: dict[Hashable, _Request] = {}
        self._forget: set[Hashable] = set()
        self._counters = Counters()
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="nnplay-scheduler", daemon=True)
        self._worker.start()

    # ---- any thread -------------------------------------------------------------------------------

    def submit(
        self, run: Hashable, plan: EnginePlan, state: Any, max_units: int, client: str = ""
    ) -> Future[Outcome]:
        """Queue a chunk of at most `max_units`; one waiting request per run (a second raises ValueError)."""
        if max_units < 1:
            raise ValueError(f"a chunk needs at least one unit, got {max_units}")
        request = _Request(run, plan, state, max_units, client, Future())
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine is closed")
            old = self._waiting.get(run)
            if old is not None and not old.future.cancelled():
                raise ValueError(f"run {run!r} already has a chunk waiting")
            self._waiting[run] = request
            self._forget.discard(run)
            self._lock.notify_all()
        return request.future

    def _wake(self) -> None:
        with self._lock:
            self._lock.notify_all()

    def forget(self, run: Hashable) -> None:
        with self._lock:
            self._forget.add(run)
            self._lock.notify_all()

    def ready(self, plan: EnginePlan) -> bool:
        """Whether some use of the plan has a compiled kernel (it trains without waiting)."""
        return self.sizes.any_ready(plan)

    def prepare(self, plan: EnginePlan, state: Any, client: str = "") -> Future[Any]:
        return self.sizes.prepare(plan, state, client)

    def warm(self, plan: EnginePlan, state: Any, sizes: Sequence[int], preferred: bool = True) -> None:
        """Compile (blocking) shard sizes of the plan's first use (or its last): tests and benchmarks."""
        self.sizes.warm(plan, state, sizes, preferred)

    def counters(self) -> Counters:
        with self._lock:
            counters = self._counters.copy()
        counters.compiles = self.sizes.compiles
        return counters

    def close(self) -> None:
        with self._lock:
            self._closed = True
            waiting = list(self._waiting.values())
            self._waiting.clear()
            self._lock.notify_all()
        for request in waiting:
            request.future.cancel()
        self._worker.join()
        self.lanes.close()
        self._reaper.close()

    # ---- the worker -------------------------------------------------------------------------------

    def _run(self) -> None:
        lower_priority(self._nice)
        idle = False
        while True:
            with self._lock:
                while not self._closed and not self._waiting and not self._forget:
                    self._lock.wait()
                if idle:  # only runs waiting for compiles: look again later, or when something comes
                    self._lock.wait(IDLE_WAIT_S)
                self._await_stragglers()
                if self._closed:
                    return
                requests = [r for r in self._waiting.values() if not r.future.cancelled()]
                self._waiting.clear()
                forget, self._forget = self._forget, set()
                self._counters.ticks += 1
            try:
                for run in forget:
                    self.placement.remove(run)
                waiting = self._tick(requests)
            except Exception as error:  # a bug must not stop the worker: the tick's runs hear of it
                log.exception("a training tick failed")
                self._fail(requests, error)
                waiting = []
            idle = bool(waiting) and len(waiting) == len(requests)
            with self._lock:
                for request in waiting:  # their kernel is compiling: back in the queue for the next tick
                    self._waiting.setdefault(request.run, request)

    def _await_stragglers(self) -> None:
        """(Lock held.) Give the runs the last tick served a moment to come back, so they share a call."""
        deadline = time.perf_counter() + self.straggler_wait_s
        while not self._closed and not self._served <= self._waiting.keys():
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            self._lock.wait(left)
        self._served = set()

    def _tick(self, requests: list[_Request]) -> list[_Request]:
        uses_of = {id(r): r.plan.train_uses() for r in requests}
        wanted = uses.wanting(uses_of.values())
        groups: dict[Hashable, list[tuple[_Request, TrainUse]]] = defaultdict(list)
        waiting: list[_Request] = []
        for request in requests:
            choice = uses.choose(self.sizes, uses_of[id(request)], request.state, request.client, wanted)
            if choice.failure is not None:
                request.future.set_exception(choice.failure)
            elif choice.use is not None:
                groups[choice.use.key].append((request, choice.use))
            elif not request.future.done():
                waiting.append(request)
        calls = []
        for key, members in groups.items():
            try:
                placed = self._place(key, members)
            except Exception as error:  # a use whose runs cannot be placed fails them alone
                log.exception("placing the runs of %r failed", key)
                self._fail([r for r, _ in members], error)
                continue
            if placed is None:
                waiting += [r for r, _ in members]
            else:
                calls += placed
        self.placement.evict_idle({r.run for r in requests})
        units = self._tick_units([shard for shard, _ in calls])
        self.lanes.run(calls, lambda call: self._call(*call, units))
        return waiting

    def _place(
        self, key: Hashable, members: list[tuple[_Request, TrainUse]]
    ) -> list[tuple[Any, list[tuple[_Request, TrainUse]]]] | None:
        """Put the runs in their use's shards; the calls to make (None: no kernel is ready yet)."""
        arrivals = [Arrival(r.run, use_state(use, r.state), use.inputs) for r, use in members]
        first, use = members[0]
        for size in self.sizes.sizes_for(use, self.placement.would_hold(key, arrivals)):
            self.sizes.request(use, size, arrivals[0].state, first.client)  # sizes they fit in, if not ready
        if not self.placement.place(key, arrivals, self.sizes.of(key)):
            return None
        by_shard: dict[int, list[tuple[_Request, TrainUse]]] = defaultdict(list)
        for request, use in members:
            by_shard[id(self.placement.home[request.run])].append((request, use))
        return [(self.placement.home[m[0][0].run], m) for m in by_shard.values()]

    def _tick_units(self, shards: list[Any]) -> int:
        """One unit count for every call of the tick (call_timing: min_tick_s, tick_epochs)."""
        members = sum(len(shard.runs) for shard in shards)
        lanes = min(self.lanes.count, len(shards))
        least_s = call_timing.min_tick_s(
            self.frame_budget_s, len(shards), members, self.tick_s_per_member, lanes
        )
        timings = [self._timings.get((shard.key, shard.slots)) for shard in shards]
        return call_timing.tick_epochs(timings, least_s, self._eval_s, self.max_units_per_tick, lanes)

    def _call(self, shard: Any, members: list[tuple[_Request, TrainUse]], units: int) -> None:
        members = [(r, use) for r, use in members if r.future.set_running_or_notify_cancel()]
        if not members:
            return  # all withdrawn since the tick began
        counts = {request.run: min(units, request.max_units) for request, _ in members}
        try:
            started = time.perf_counter()
            results = shard.train(counts)
            elapsed = time.perf_counter() - started
        except Exception as error:  # a kernel failed: these runs hear why, the others go on
            log.exception("a training call failed")
            self._fail([request for request, _ in members], error)
            return
        with self._timing_lock:
            timing = self._timings.get((shard.key, shard.slots))
            if timing is None:
                timing = self._timings[shard.key, shard.slots] = CallTiming(fixed_s=shard.fixed_s)
            timing.add(max(counts.values()), elapsed)
            retime = timing.retime_due(time.monotonic())
        if retime:
            self._retime(shard, timing)
        with self._lock:
            self._counters.called(len(members), shard.slots)
            self._counters.writes, self._counters.rebuilds = self.placement.writes, self.placement.rebuilds
        with self._timing_lock:
            self._served.update(counts)
        for request, use in members:
            state, done, diverged = results[request.run]
            state = plan_state(use, state)
            outcome = Outcome(state, done, diverged, use.label, len(members), shard.slots)
            request.future.set_result(outcome)

    def _retime(self, shard: Any, timing: CallTiming) -> None:
        """Now and then, time a call of no units: what a call costs beyond its units."""
        now, started = time.monotonic(), time.perf_counter()
        shard.train({})
        elapsed = time.perf_counter() - started
        with self._timing_lock:
            timing.retimed(elapsed, now)

    def _fail(self, requests: list[_Request], error: Exception) -> None:
        with self._lock:
            self._counters.errors += 1
        for request in requests:
            if not request.future.done():
                request.future.set_exception(error)
