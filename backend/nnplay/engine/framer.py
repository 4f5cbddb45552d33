"""Frames of many sessions made together: a worker takes every frame waiting and evaluates those of one
`EvalSpec` in one vmapped call (exact_eval.py), the others one by one (frames.frame_data); a batch's
frames are finished on the host (frames.frame_from_evaluation) on a thread of their own while the next
batch runs. Edits' frames (`urgent`) have a worker of their own, which batches those waiting together.

`submit(plan, state, detail)` returns a `concurrent.futures.Future` of a `FrameData`. A batch kernel is
compiled per (spec, slot count, training and test rows: powers of two) on a compile thread of its own,
the first time two frames of that spec wait together; until it is ready those frames are made with a
compiled kernel of more slots, or one by one, so a new architecture never waits for a compile. Frames
with the insight views (`detail`) are always made one by one (they need the gradient norms). Results
are those of the padded evaluation within float32 round-off (tests/unit/test_framer.py). Jobs and
results are immutable; the queues, kernels table and counters are guarded by a lock.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import numpy as np

from .evaluate import EvalData, Evaluation
from .exact_eval import EvalSpec, make_exact_evaluate
from .frames import FrameData, frame_data, frame_from_evaluation
from .optimizers import TrainState
from .plan import Plan
from .runtime import background_compiles
from .weights import fit_weights

log = logging.getLogger(__name__)
MAX_BATCH = 32  # frames in one call (on 2 CPU cores, per-frame cost stops falling near here)
MAX_BATCH_ACCELERATOR = 256  # a GPU evaluates hundreds of small nets in about the time of one
# Sessions hand in their frames over a few milliseconds after a training tick: waiting this long after the
# first lets them share one call (fewer, fuller batches; fewer slot counts to compile).
GATHER_S = 0.003
# Edits' frames waiting together are batched from this many: fewer cost less one by one (~2-3 ms each
# on 2 CPU cores) than a call of the smallest batch kernel compiled, which may have 32 slots (~10 ms).
MIN_URGENT_BATCH = 4


class _Key(NamedTuple):
    """What a batch kernel is compiled for. The rows are the points evaluated, a power of two at least
    the batch's largest set: a plan pads its points to the largest data set (1,230 rows where spiral has
    250), and evaluating the padding cost a batch of 30 frames a quarter of its time (2 CPU cores)."""

    spec: EvalSpec
    slots: int
    train_rows: int
    test_rows: int


@dataclass(frozen=True)
class _Job:
    plan: Plan
    state: Any
    detail: bool
    future: Future[FrameData]


def _slots(members: int, least: int = 2) -> int:
    slots = least
    while slots < members:
        slots *= 2
    return slots


def _key(spec: EvalSpec, jobs: list[_Job]) -> _Key:
    train = max(job.plan.n_train for job in jobs)
    test = max(len(job.plan.split.test_y) for job in jobs)
    return _Key(spec, _slots(len(jobs)), _slots(train, 8), _slots(test, 8))


class Framer:
    """Makes frames on two workers (edits' and the others), batching those that share an architecture;
    `close()` when done."""

    def __init__(self, max_batch: int | None = None) -> None:
        self.max_batch = max_batch or (MAX_BATCH if jax.default_backend() == "cpu" else MAX_BATCH_ACCELERATOR)
        self._lock = threading.Condition()
        self._queues: dict[bool, list[_Job]] = {False: [], True: []}  # urgent or not -> jobs waiting
        self._kernels: dict[_Key, Callable[..., Evaluation]] = {}
        self._compiling: set[_Key] = set()
        self._failed: set[_Key] = set()
        self._closed = False
        self.batched_frames = 0  # made in a vmapped call (for tests and benchmarks)
        self.single_frames = 0
        self._compiler = ThreadPoolExecutor(1, thread_name_prefix="nnplay-frame-compile")
        # A batch's frames are finished on the host (Python, holding the GIL) while the next batch's kernel
        # runs (native, GIL released): the two overlap instead of taking turns.
        self._finisher = ThreadPoolExecutor(1, thread_name_prefix="nnplay-frame-finish")
        # Edits' frames have a worker of their own that takes them as they come, without gathering: behind
        # the batches (2 cores, 30 sessions each editing once a second) they took configure -> frame p95
        # to 177-340 ms. Edits come in bursts (a teacher's push, a class told to change one setting), so
        # those waiting together are batched too: 30 made one by one kept the last waiting ~70 ms.
        self._workers = [
            threading.Thread(target=self._run, args=(urgent,), name=f"nnplay-frames{'-urgent' * urgent}")
            for urgent in (False, True)
        ]
        for worker in self._workers:
            worker.daemon = True
            worker.start()

    def submit(self, plan: Plan, state: Any, detail: bool, urgent: bool = False) -> Future[FrameData]:
        """A frame of `state`, batched with others of its architecture; an `urgent` one (an edit's, which
        a person waits to see) is made by a worker of its own, without waiting for others to gather (but
        with the urgent ones already waiting)."""
        job = _Job(plan, state, detail, Future())
        with self._lock:
            if self._closed:
                raise RuntimeError("the framer is closed")
            self._queues[urgent].append(job)
            self._lock.notify_all()
        return job.future

    def close(self) -> None:
        with self._lock:
            self._closed = True
            jobs = [job for queue in self._queues.values() for job in queue]
            self._queues = {False: [], True: []}
            self._lock.notify_all()
        for job in jobs:
            job.future.cancel()
        for worker in self._workers:
            worker.join()
        self._finisher.shutdown(wait=True)
        self._compiler.shutdown(wait=True, cancel_futures=True)

    def ready(self, spec: EvalSpec, slots: int) -> bool:
        """Whether a batch kernel of `spec` for `slots` frames is compiled (for some number of rows)."""
        with self._lock:
            return any(key.spec == spec and key.slots == slots for key in self._kernels)

    # ---- the worker ---------------------------------------------------------------------------

    def _run(self, urgent: bool) -> None:
        while True:
            with self._lock:
                while not self._queues[urgent] and not self._closed:
                    self._lock.wait()
                deadline = time.perf_counter() + (0.0 if urgent else GATHER_S)
                while len(self._queues[urgent]) < self.max_batch and not self._closed:
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        break
                    self._lock.wait(left)
                if self._closed:
                    return
                jobs, self._queues[urgent] = self._queues[urgent], []
            groups: dict[EvalSpec | None, list[_Job]] = defaultdict(list)
            for job in jobs:
                if job.future.set_running_or_notify_cancel():
                    plan = job.plan
                    groups[None if job.detail else EvalSpec.of(plan.exact_spec, plan.shape.width)].append(job)
            for spec, members in groups.items():
                while members:
                    batch, members = members[: self.max_batch], members[self.max_batch :]
                    self._make(spec, batch, urgent)

    def _make(self, spec: EvalSpec | None, jobs: list[_Job], urgent: bool) -> None:
        found = None
        if spec is not None and len(jobs) >= (MIN_URGENT_BATCH if urgent else 2):
            # Edits' bursts come in many sizes: they take the kernels the batches compiled, and compile
            # none of their own (compiles crowd out a busy class).
            found = self._kernel_for(_key(spec, jobs), None if urgent else jobs[0])
        if found is None:
            for job in jobs:
                self._finish(job, frame_data, job.plan, job.state, job.detail)
            self._count(single=len(jobs))
            return
        key, kernel = found
        try:
            params, data, host = _stacked(jobs, key)
            evaluations = jax.device_get(kernel(params, data))
        except Exception:  # the batch fails alone: its frames are made one by one
            log.exception("a batched frame evaluation failed; making its frames one by one")
            for job in jobs:
                self._finish(job, frame_data, job.plan, job.state, job.detail)
            self._count(single=len(jobs))
            return
        self._count(batched=len(jobs))
        if urgent:  # finished at once, not behind the batches' frames
            self._finish_batch(jobs, evaluations, host)
        else:
            self._finisher.submit(self._finish_batch, jobs, evaluations, host)

    def _kernel_for(self, key: _Key, example: _Job | None) -> tuple[_Key, Callable[..., Evaluation]] | None:
        """The batch kernel of `key` or, until it is compiled (started here if there is an `example`), the
        smallest compiled one with more slots for the same spec and rows; None if neither."""
        with self._lock:
            kernel = self._kernels.get(key)
            if kernel is not None:
                return key, kernel
            larger = [k for k in self._kernels if k.slots > key.slots and k._replace(slots=key.slots) == key]
            best = min(larger, key=lambda k: k.slots) if larger else None
            found = None if best is None else (best, self._kernels[best])
        if example is not None:
            self._start_compile(key, example)
        return found

    def _finish_batch(self, jobs: list[_Job], evaluations: Evaluation, host: list[Any]) -> None:
        for i, job in enumerate(jobs):
            one = Evaluation(*(np.asarray(field)[i] for field in evaluations))
            self._finish(job, frame_from_evaluation, job.plan, job.state, one, False, host[i])

    def _count(self, batched: int = 0, single: int = 0) -> None:
        with self._lock:
            self.batched_frames += batched
            self.single_frames += single

    @staticmethod
    def _finish(job: _Job, make: Callable[..., FrameData], *args: Any) -> None:
        try:
            job.future.set_result(make(*args))
        except Exception as error:  # one frame's failure is its session's to report
            job.future.set_exception(error)

    # ---- compiling ----------------------------------------------------------------------------

    def _start_compile(self, key: _Key, example: _Job) -> None:
        with self._lock:
            if key in self._compiling or key in self._failed or key in self._kernels or self._closed:
                return
            self._compiling.add(key)
        self._compiler.submit(self._compile, key, example)

    def _compile(self, key: _Key, example: _Job) -> None:
        try:
            params, data, _ = _stacked([example] * key.slots, key)
            fn = jax.jit(jax.vmap(make_exact_evaluate(key.spec), in_axes=(0, _DATA_AXES)))
            with background_compiles():
                compiled = fn.lower(params, data).compile()
            with self._lock:
                self._kernels[key] = compiled
        except Exception:  # frames of this spec stay one by one
            log.exception("compiling the batched frame evaluation of %s failed", key.spec)
            with self._lock:
                self._failed.add(key)
        finally:
            with self._lock:
                self._compiling.discard(key)


# Every session's data is stacked but the grid, which is the same for all (the features of the grid cells).
_DATA_AXES = EvalData(0, 0, 0, 0, 0, 0, None)  # type: ignore[arg-type]


def _stacked(jobs: list[_Job], key: _Key) -> tuple[Any, EvalData, list[Any]]:
    """The padded params and eval data (cut to the key's rows) of `jobs`, stacked over the key's slots (the
    first job fills the rest), and each job's params on the host (its frame's weights: copied once, not
    again per frame)."""
    slots = key.slots
    host = [
        jax.tree.map(
            np.asarray, fit_weights(j.state.params if isinstance(j.state, TrainState) else j.state, j.plan)
        )
        for j in jobs
    ]
    members = [*host, *[host[0]] * (slots - len(jobs))]
    stacked_params = jax.tree.map(lambda *leaves: np.stack(leaves), *members)
    datas = [j.plan.eval_data for j in [*jobs, *[jobs[0]] * (slots - len(jobs))]]
    train, test = key.train_rows, key.test_rows
    rows = {"train_x": train, "train_y": train, "test_x": test, "test_y": test}
    fields = [np.stack([_rows(getattr(d, f), rows.get(f)) for d in datas]) for f in EvalData._fields[:-1]]
    return stacked_params, EvalData._make([*fields, np.asarray(datas[0].grid_x)]), host


def _rows(values: Any, rows: int | None) -> np.ndarray:
    """The first `rows` rows of `values` on the host (all of them if None)."""
    values = np.asarray(values)
    return values if rows is None else values[:rows]


_framer: Framer | None = None
_framer_lock = threading.Lock()


def framer() -> Framer:
    """The process's framer (created on first use)."""
    global _framer
    with _framer_lock:
        if _framer is None:
            _framer = Framer()
            # Stopped before the interpreter finalizes: a thread still inside XLA then aborts the process.
            atexit.register(_framer.close)
        return _framer
