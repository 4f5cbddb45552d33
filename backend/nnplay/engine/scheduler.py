"""One scheduler owns all training: each tick it advances every waiting session, batched (batched.py).

Sessions `submit` a `ChunkRequest` (work.py: an opaque slot id, the arrays of its plan, its state and
the most epochs it wants) and get a `concurrent.futures.Future` of a `ChunkOutcome`; `evaluate` works
the same way for frames. One worker thread loops: take every pending request, group them by what their kernel
is compiled for (an exact spec whose batched kernel is ready, else the padded bucket's key), choose one
epoch count for the tick so that the tick fills the frame budget (learned per kernel from measured
time per epoch), run one jitted call per group (groups larger than the largest batch are split) and
resolve the futures. Every request pending at the start of a tick is served in that tick with the same
epoch count (unless it asked for fewer), so sessions progress at the same pace.

Nothing is compiled on the worker: kernels (per key and slot count) are compiled on one separate
compile thread, and until the right slot count is ready a group runs in the batches that are (or, for
an exact spec, on the padded kernel). A group whose padded kernel has never been compiled waits.

State and threads: the worker thread owns the timing table and runs kernels; `_lock` (a Condition)
guards the pending queues, the set of compiles in flight and the counters. Requests and outcomes are
immutable; kernels are pure, so a session's numbers depend on its own inputs only.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import jax

from . import batched
from .batched import BatchKernels, BatchKey, ExactSlot
from .call_timing import CallTiming, tick_epochs
from .evaluate import Evaluation
from .exact import ExactSpec
from .runtime import background_compiles
from .work import ChunkOutcome, ChunkRequest, Counters, EvalRequest, eval_slot, exact_inputs, fairness

FRAME_BUDGET_S = 0.030  # a tick: every waiting session gets a chunk (and a frame) about this often
# ... unless a tick holds many calls: each gets at least this long, so its fixed cost (dispatch, stacking,
# futures) stays small next to its epochs (measured: 100 sessions in 4 calls, 42 -> 60+ epochs/s each)
MIN_CALL_S = 0.015
# ... and a tick of many sessions is longer still: each chunk costs a round trip (a future, a session's
# turn on the event loop, a new request), and a class's frames are paced far below one per tick anyway
# (measured, 30 sessions on 2 cores: 30 ms ticks 124 epochs/s each at 8.5 frames/s, 50 ms 196 at 9.7).
TICK_S_PER_MEMBER = 0.0017
# On an accelerator the epochs run off the host, so a session's round trip can overlap the next tick. With
# this value the H200 machine's scheduler gave 30 sessions 30 chunks/s each (bench/classroom_engine.py); it
# is not compared end to end with 1.7 (NNPLAY_TICK_MS_PER_MEMBER sets it).
TICK_S_PER_MEMBER_ACCELERATOR = 0.0005
MAX_EPOCHS_PER_TICK = 5000
# After a tick the sessions it served take a moment to hand in their next chunk; waiting up to this long
# for them fills the next batch (without it most ticks held 1-3 of 30 sessions, each its own call).
STRAGGLER_WAIT_S = 0.010


def default_tick_s_per_member() -> float:
    """Seconds of tick per member session: longer on CPU, where the round trips share the cores."""
    return TICK_S_PER_MEMBER if jax.default_backend() == "cpu" else TICK_S_PER_MEMBER_ACCELERATOR


@dataclass
class _Pending:
    request: Any
    future: Future[Any]


@dataclass(frozen=True)
class _Call:
    """One jitted call planned for this tick."""

    kind: str  # "exact" | "padded"
    key: Any  # ExactSpec | BatchKey
    slots: int
    members: list[_Pending]


class TrainingScheduler:
    """Owns all training and batched evaluation; see the module docstring. Call `close()` when done.

    `max_slots` caps a batch (exact kernels, evaluation), `max_padded_slots` a padded one (see
    batched.MAX_PADDED_SLOTS_CPU). `min_slots` = 2 runs even a lone session in a vmapped kernel: then
    every optimizer's numbers are bit for bit those it gets among others (the plain kernel of one slot
    is ~2x faster, and equal to the vmapped one bit for bit with SGD but only within round-off with
    the other optimizers). `kernels` may be shared between schedulers (tests, benchmarks).
    """

    def __init__(
        self,
        *,
        frame_budget_s: float = FRAME_BUDGET_S,
        max_slots: int | None = None,
        max_padded_slots: int | None = None,
        max_epochs_per_tick: int = MAX_EPOCHS_PER_TICK,
        use_exact: bool = True,
        min_slots: int = 1,
        kernels: BatchKernels | None = None,
        tick_s_per_member: float | None = None,
    ) -> None:
        self.frame_budget_s = frame_budget_s
        self.tick_s_per_member = tick_s_per_member or default_tick_s_per_member()
        self.max_slots = max_slots or batched.default_max_slots()
        self.max_padded_slots = min(max_padded_slots or batched.default_max_padded_slots(), self.max_slots)
        self.max_epochs_per_tick = max_epochs_per_tick
        self.use_exact = use_exact
        self.min_slots = min_slots
        self.kernels = kernels or BatchKernels()
        self._lock = threading.Condition()
        self._chunks: dict[Hashable, _Pending] = {}
        self._evals: list[_Pending] = []
        self._compiling: set[tuple[str, Any, int]] = set()
        self._failed: dict[tuple[str, Any, int], Exception] = {}  # compiles that raised: not tried again
        self._counters = Counters()
        self._timings: dict[tuple[str, Any, int], CallTiming] = {}  # worker thread only
        self._eval_s = 0.0  # worker thread only: the last tick's evaluation time
        self._served: set[Hashable] = set()  # worker thread only: the slots the last tick trained
        self.straggler_wait_s = STRAGGLER_WAIT_S
        self._closed = False
        self._compiler = ThreadPoolExecutor(1, thread_name_prefix="nnplay-compile")
        self._worker = threading.Thread(target=self._run, name="nnplay-scheduler", daemon=True)
        self._worker.start()

    # ---- the public side (any thread) ---------------------------------------------------------

    def submit(self, request: ChunkRequest) -> Future[ChunkOutcome]:
        """Queue a chunk of training; one pending request per slot (a second raises ValueError)."""
        return self.submit_all([request])[0]

    def submit_all(self, requests: Sequence[ChunkRequest]) -> list[Future[ChunkOutcome]]:
        """Queue several chunks at once (they are sure to share the next tick)."""
        slots = [r.slot for r in requests]
        pending = [_Pending(r, Future()) for r in requests]
        with self._lock:
            if self._closed:
                raise RuntimeError("the scheduler is closed")
            for slot in slots:  # a cancelled request gives its slot back
                if slot in self._chunks and self._chunks[slot].future.cancelled():
                    del self._chunks[slot]
            taken = [s for s in slots if s in self._chunks]
            if taken or len(set(slots)) < len(slots):
                raise ValueError(f"slot {(taken or slots)[0]!r} already has a chunk pending")
            self._chunks.update(zip(slots, pending, strict=True))
            self._lock.notify_all()
        return [p.future for p in pending]

    def evaluate(self, request: EvalRequest) -> Future[Evaluation]:
        """Queue an evaluation (a frame's numbers); the result is on the host (numpy arrays)."""
        return self.evaluate_all([request])[0]

    def evaluate_all(self, requests: Sequence[EvalRequest]) -> list[Future[Evaluation]]:
        """Queue several evaluations at once (they are sure to share the next tick)."""
        pending = [_Pending(r, Future()) for r in requests]
        with self._lock:
            if self._closed:
                raise RuntimeError("the scheduler is closed")
            self._evals += pending
            self._lock.notify_all()
        return [p.future for p in pending]

    def has_kernel_for(self, request: ChunkRequest) -> bool:
        """Whether some compiled kernel can train `request` now (else its first chunk waits on a compile)."""
        key = batched.padded_key(request.padded)
        if self.kernels.ready_slot_counts("padded", key):
            return True
        spec = request.exact_spec
        return self.use_exact and spec is not None and bool(self.kernels.ready_slot_counts("exact", spec))

    def counters(self) -> Counters:
        with self._lock:
            return self._counters.copy()

    def compiles_in_flight(self) -> int:
        with self._lock:
            return len(self._compiling)

    def warm(self, request: ChunkRequest, slot_counts: Sequence[int]) -> None:
        """Compile (blocking, on the calling thread) the kernels a group of `request`'s key would use at
        these slot counts: its exact kernel if it carries exact data, else its padded one."""
        kind = "exact" if self.use_exact and request.exact_spec is not None else "padded"
        key = request.exact_spec if kind == "exact" else batched.padded_key(request.padded)
        for slots in slot_counts:
            self._compile_job(_Call(kind, key, slots, [_Pending(request, Future())] * slots))

    def warm_for(self, request: ChunkRequest, members: int) -> list[int]:
        """Compile (blocking) every slot count a group of `members` sessions like `request` would ask for
        (e.g. when a class of 30 is given one net); returns the slot counts compiled or found ready."""
        kind = "exact" if self.use_exact and request.exact_spec is not None else "padded"
        key = request.exact_spec if kind == "exact" else batched.padded_key(request.padded)
        limit = self.max_padded_slots if kind == "padded" else self.max_slots
        while True:
            ready = self.kernels.ready_slot_counts(kind, key)
            _, wanted = batched.plan_batches(members, ready, limit, self.min_slots)
            if wanted is None:
                return ready
            self.warm(request, [wanted])

    def close(self) -> None:
        """Stop the worker; pending futures are cancelled."""
        with self._lock:
            self._closed = True
            pending = [*self._chunks.values(), *self._evals]
            self._chunks.clear()
            self._evals.clear()
            self._lock.notify_all()
        for p in pending:
            p.future.cancel()
        self._worker.join()
        self._compiler.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> TrainingScheduler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the worker ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._closed and not self._runnable():
                    self._lock.wait()
                self._await_stragglers()
                if self._closed:
                    return
                chunks = list(self._chunks.values())
                evals, self._evals = self._evals, []
                self._chunks.clear()
                self._counters.ticks += 1
            try:
                waiting = self._train(chunks)
                eval_waiting = self._evaluate(evals)
            except Exception as error:  # a bug must not stop the worker: the tick's sessions hear of it
                self._fail([*chunks, *evals], error)
                waiting, eval_waiting = [], []
            with self._lock:
                if self._closed:
                    for p in [*waiting, *eval_waiting]:
                        p.future.cancel()
                    return
                for p in waiting:  # their kernel is compiling: back in the queue for the next tick
                    self._chunks.setdefault(p.request.slot, p)
                self._evals[:0] = eval_waiting

    def _await_stragglers(self) -> None:
        """(Lock held.) Give the sessions the last tick served a moment to come back, so they share a call."""
        deadline = time.perf_counter() + self.straggler_wait_s
        while not self._closed and not self._served <= self._chunks.keys():
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            self._lock.wait(left)
        self._served = set()

    def _runnable(self) -> bool:
        """Whether a tick could do anything: some request has a ready kernel, or one whose compile is not
        under way yet (planning starts it). Requests that only wait on compiles in flight don't spin."""
        requests = [("padded", p.request) for p in self._chunks.values()]
        requests += [("evaluate", p.request) for p in self._evals]
        for kind, request in requests:
            key = _key_of(kind, request)
            if self.kernels.ready_slot_counts(kind, key):
                return True
            spec = getattr(request, "exact_spec", None)
            if self.use_exact and spec is not None and self.kernels.ready_slot_counts("exact", spec):
                return True
            if not any(job[0] == kind and job[1] == key for job in self._compiling):
                return True
        return False

    def _live(self, pending: list[_Pending]) -> list[_Pending]:
        return [p for p in pending if p.future.set_running_or_notify_cancel()]

    def _plan_calls(self, chunks: list[_Pending]) -> tuple[list[_Call], list[_Pending]]:
        """Group the requests into calls of ready kernels; returns (calls, requests that must wait)."""
        groups: dict[tuple[str, Any], list[_Pending]] = defaultdict(list)
        exact_wanted: list[_Pending] = []
        for p in chunks:
            spec = p.request.exact_spec
            if self.use_exact and spec is not None and self.kernels.ready_slot_counts("exact", spec):
                groups["exact", spec].append(p)
            else:
                exact_wanted += [p] if self.use_exact and spec is not None else []
                groups["padded", batched.padded_key(p.request.padded)].append(p)
        calls: list[_Call] = []
        waiting: list[_Pending] = []
        for (kind, key), members in groups.items():
            planned = self._batches(kind, key, members)
            calls += planned
            waiting += [] if planned else [p for p in members if not p.future.done()]
        by_spec: dict[ExactSpec, list[_Pending]] = defaultdict(list)
        for p in exact_wanted:  # compiled after the padded kernels, which serve everyone meanwhile
            by_spec[p.request.exact_spec].append(p)
        for spec, members in by_spec.items():
            limit = self.max_slots
            wanted = batched.slot_count(max(min(len(members), limit), self.min_slots), limit)
            self._start_compile(_Call("exact", spec, wanted, members[:wanted]))
        return calls, waiting

    def _batches(self, kind: str, key: Any, members: list[_Pending]) -> list[_Call]:
        """The calls that serve `members` now (none if no kernel of theirs is ready); starts the compile
        that batched.plan_batches asks for."""
        limit = self.max_padded_slots if kind == "padded" else self.max_slots
        ready = self.kernels.ready_slot_counts(kind, key)
        sizes, compile_size = batched.plan_batches(len(members), ready, limit, self.min_slots)
        if compile_size is not None:
            with self._lock:
                failed = self._failed.get((kind, key, compile_size))
            if failed is not None and not sizes:  # their kernel cannot be built: they hear why
                for p in self._live(members):
                    p.future.set_exception(failed)
                return []
            self._start_compile(_Call(kind, key, compile_size, members[:compile_size]))
        calls, start = [], 0
        for count, slots in sizes:
            calls.append(_Call(kind, key, slots, members[start : start + count]))
            start += count
        return calls

    def _tick_epochs(self, calls: list[_Call]) -> int:
        """One epoch count for every call of the tick (call_timing.tick_epochs): a tick lasts the frame
        budget, stretched to MIN_CALL_S a call and to the tick per member."""
        members = sum(len(c.members) for c in calls)
        min_tick_s = max(self.frame_budget_s, MIN_CALL_S * len(calls), self.tick_s_per_member * members)
        timings = [self._timings.get((c.kind, c.key, c.slots)) for c in calls]
        return tick_epochs(timings, min_tick_s, self._eval_s, self.max_epochs_per_tick)

    def _train(self, chunks: list[_Pending]) -> list[_Pending]:
        calls, waiting = self._plan_calls(chunks)
        epochs = self._tick_epochs(calls)
        for call in calls:
            live = self._live(call.members)
            if live:
                self._run_call(_Call(call.kind, call.key, call.slots, live), epochs)
        return waiting

    def _run_call(self, call: _Call, epochs: int) -> None:
        fn = self.kernels.get(call.kind, call.key, call.slots)
        assert fn is not None  # planned from the ready kernels
        counts = [min(epochs, p.request.max_epochs) for p in call.members]
        try:
            started = time.perf_counter()
            inputs = self._call_inputs(call)
            results = fn(inputs, batched.epoch_counts(counts, call.slots))
            done = jax.device_get([(r.epochs, r.diverged) for r in results[: len(call.members)]])
            elapsed = time.perf_counter() - started
        except Exception as error:  # a kernel failed: these sessions hear why, the others go on
            with self._lock:
                self._counters.errors += 1
            for p in call.members:
                p.future.set_exception(error)
            return
        key = (call.kind, call.key, call.slots)
        timing = self._timings.get(key)
        if timing is None:  # the kernel's fixed part was timed before it was published
            timing = self._timings[key] = CallTiming(fixed_s=self.kernels.fixed_s(*key))
        timing.add(max(counts), elapsed)
        now = time.monotonic()
        if timing.retime_due(now):  # a call of no epochs: what this call cost beyond its epochs
            timing.retimed(batched.time_fixed_part(fn, inputs, call.slots, runs=1), now)
        with self._lock:
            c = self._counters
            c.batches += 1
            c.exact_batches += call.kind == "exact"
            c.slots_used += len(call.members)
            c.slots_run += call.slots
            c.chunks += len(call.members)
            c.members_per_batch[len(call.members)] = c.members_per_batch.get(len(call.members), 0) + 1
        self._served.update(p.request.slot for p in call.members)
        for p, result, (n, diverged) in zip(call.members, results, done, strict=False):
            p.future.set_result(
                ChunkOutcome(result.state, int(n), bool(diverged), call.kind, len(call.members), call.slots)
            )

    def _call_inputs(self, call: _Call) -> list[Any]:
        if call.kind == "exact":
            slots: list[Any] = [
                ExactSlot(p.request.padded.state, p.request.padded.hyper, p.request.exact_data)
                for p in call.members
            ]
        else:
            slots = [p.request.padded for p in call.members]
        return batched.pad_slots(slots, call.slots)

    # ---- evaluation ---------------------------------------------------------------------------

    def _evaluate(self, evals: list[_Pending]) -> list[_Pending]:
        started = time.perf_counter()
        groups: dict[Any, list[_Pending]] = defaultdict(list)
        for p in evals:
            groups[batched.eval_key(eval_slot(p.request))].append(p)
        waiting: list[_Pending] = []
        for key, members in groups.items():
            calls = self._batches("evaluate", key, members)
            waiting += [] if calls else [p for p in members if not p.future.done()]
            for call in calls:
                live = self._live(call.members)
                if live:
                    self._run_eval(_Call("evaluate", key, call.slots, live))
        if evals:
            self._eval_s = time.perf_counter() - started
        return waiting

    def _run_eval(self, call: _Call) -> None:
        fn = self.kernels.get("evaluate", call.key, call.slots)
        assert fn is not None
        try:
            inputs = batched.pad_slots([eval_slot(p.request) for p in call.members], call.slots)
            results = jax.device_get(fn(inputs)[: len(call.members)])
        except Exception as error:
            with self._lock:
                self._counters.errors += 1
            for p in call.members:
                p.future.set_exception(error)
            return
        with self._lock:
            self._counters.evaluations += len(call.members)
            self._counters.eval_batches += 1
        for p, result in zip(call.members, results, strict=True):
            p.future.set_result(result)

    # ---- compiling (on the compile thread) ----------------------------------------------------

    def _start_compile(self, call: _Call) -> None:
        job = (call.kind, call.key, call.slots)
        with self._lock:
            if job in self._compiling or job in self._failed or self._closed:
                return
            if self.kernels.get(*job) is not None:
                return
            self._compiling.add(job)
        self._compiler.submit(self._compile_job, call)

    def _compile_job(self, call: _Call) -> None:
        job = (call.kind, call.key, call.slots)
        try:
            if self.kernels.get(*job) is None:
                with background_compiles():
                    self._compile(call)
                with self._lock:
                    self._counters.compiles += 1
        except Exception as error:  # a kernel that cannot compile fails its requests, not the server
            with self._lock:
                self._failed[job] = error
            self._fail_waiting(call, error)
        finally:
            with self._lock:
                self._compiling.discard(job)
                self._lock.notify_all()

    def _training_inputs(self, call: _Call) -> list[Any]:
        members = [p.request for p in call.members]
        if call.kind == "exact":
            slots = [ExactSlot(r.padded.state, r.padded.hyper, r.exact_data) for r in members]
            return batched.pad_slots(slots, call.slots)
        return batched.pad_slots([r.padded for r in members], call.slots)

    def _compile(self, call: _Call) -> None:
        if call.kind == "evaluate":
            members = [eval_slot(p.request) for p in call.members]
            self.kernels.compile_evaluate(batched.pad_slots(members, call.slots))
            return
        n = batched.epoch_counts([1], call.slots)
        if call.kind == "exact":
            self.kernels.compile_exact(call.key, self._training_inputs(call), n)
        else:
            self.kernels.compile_padded(self._training_inputs(call), n)

    def _fail(self, pending: list[_Pending], error: Exception) -> None:
        with self._lock:
            self._counters.errors += 1
        for p in pending:
            if not p.future.done() and (p.future.running() or p.future.set_running_or_notify_cancel()):
                p.future.set_exception(error)

    def _fail_waiting(self, call: _Call, error: Exception) -> None:
        if call.kind == "exact":
            return  # the padded kernel still serves these sessions
        with self._lock:
            self._counters.errors += 1
            queue = self._evals if call.kind == "evaluate" else list(self._chunks.values())
            doomed = [p for p in queue if _key_of(call.kind, p.request) == call.key]
            for p in doomed:
                if call.kind == "evaluate":
                    self._evals.remove(p)
                else:
                    del self._chunks[p.request.slot]
        for p in doomed:
            if p.future.set_running_or_notify_cancel():
                p.future.set_exception(error)


def _key_of(kind: str, request: Any) -> Any:
    if kind == "evaluate":
        return batched.eval_key(eval_slot(request))
    return batched.padded_key(request.padded)


__all__ = [
    "BatchKey",
    "ChunkOutcome",
    "ChunkRequest",
    "Counters",
    "EvalRequest",
    "TrainingScheduler",
    "exact_inputs",
    "fairness",
]
