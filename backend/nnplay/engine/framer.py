"""Frames of many sessions made together: one thread takes every frame waiting and evaluates those of one
`EvalSpec` in one vmapped call (exact_eval.py), the others one by one (frames.frame_data), then finishes
each frame on the host (frames.frame_from_evaluation).

`submit(plan, state, detail)` returns a `concurrent.futures.Future` of a `FrameData`. A batch kernel is
compiled per (spec, slot count: a power of two) on a compile thread of its own, the first time two
frames of that spec wait together; until it is ready those frames are made one by one, so a new
architecture never waits for a compile. Frames with the insight views (`detail`) are always made one by
one (they need the gradient norms). Results are those of the padded evaluation within float32 round-off
(tests/unit/test_framer.py). Jobs and results are immutable; the kernels table is guarded by a lock.
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
from typing import Any

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


@dataclass(frozen=True)
class _Job:
    plan: Plan
    state: Any
    detail: bool
    future: Future[FrameData]


def _slots(members: int) -> int:
    slots = 2
    while slots < members:
        slots *= 2
    return slots


class Framer:
    """Makes frames on one thread, batching those that share an architecture; `close()` when done."""

    def __init__(self, max_batch: int | None = None) -> None:
        self.max_batch = max_batch or (MAX_BATCH if jax.default_backend() == "cpu" else MAX_BATCH_ACCELERATOR)
        self._lock = threading.Condition()
        self._jobs: list[_Job] = []
        self._kernels: dict[tuple[EvalSpec, int], Callable[..., Evaluation]] = {}
        self._compiling: set[tuple[EvalSpec, int]] = set()
        self._failed: set[tuple[EvalSpec, int]] = set()
        self._closed = False
        self.batched_frames = 0  # made in a vmapped call (for tests and benchmarks)
        self.single_frames = 0
        self._compiler = ThreadPoolExecutor(1, thread_name_prefix="nnplay-frame-compile")
        # Measured on 2 cores, 30 sessions each editing once a second: edits' frames queued behind the
        # batches took configure -> frame p95 to 177-340 ms.
        self._express = ThreadPoolExecutor(1, thread_name_prefix="nnplay-frame-express")
        self._worker = threading.Thread(target=self._run, name="nnplay-frames", daemon=True)
        self._worker.start()

    def submit(self, plan: Plan, state: Any, detail: bool, urgent: bool = False) -> Future[FrameData]:
        """A frame of `state`, batched with others of its architecture; an `urgent` one (an edit's, which
        a person waits to see) is made alone on a thread of its own, without waiting for a batch."""
        if urgent:
            self.single_frames += 1
            return self._express.submit(frame_data, plan, state, detail)
        job = _Job(plan, state, detail, Future())
        with self._lock:
            if self._closed:
                raise RuntimeError("the framer is closed")
            self._jobs.append(job)
            self._lock.notify()
        return job.future

    def close(self) -> None:
        with self._lock:
            self._closed = True
            jobs, self._jobs = self._jobs, []
            self._lock.notify()
        for job in jobs:
            job.future.cancel()
        self._worker.join()
        self._express.shutdown(wait=True, cancel_futures=True)
        self._compiler.shutdown(wait=True, cancel_futures=True)

    def ready(self, spec: EvalSpec, slots: int) -> bool:
        with self._lock:
            return (spec, slots) in self._kernels

    # ---- the worker ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._jobs and not self._closed:
                    self._lock.wait()
                deadline = time.perf_counter() + GATHER_S
                while len(self._jobs) < self.max_batch and not self._closed:
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        break
                    self._lock.wait(left)
                if self._closed:
                    return
                jobs, self._jobs = self._jobs, []
            groups: dict[EvalSpec | None, list[_Job]] = defaultdict(list)
            for job in jobs:
                if job.future.set_running_or_notify_cancel():
                    plan = job.plan
                    groups[None if job.detail else EvalSpec.of(plan.exact_spec, plan.shape.width)].append(job)
            for spec, members in groups.items():
                while members:
                    batch, members = members[: self.max_batch], members[self.max_batch :]
                    self._make(spec, batch)

    def _make(self, spec: EvalSpec | None, jobs: list[_Job]) -> None:
        kernel: Callable[..., Evaluation] | None = None
        if spec is not None and len(jobs) > 1:
            key = (spec, _slots(len(jobs)))
            with self._lock:
                kernel = self._kernels.get(key)
            if kernel is None:
                self._start_compile(key, jobs[0])
        if kernel is None:
            for job in jobs:
                self._finish(job, frame_data, job.plan, job.state, job.detail)
                self.single_frames += 1
            return
        try:
            slots = _slots(len(jobs))
            params, data, host = _stacked(jobs, slots)
            evaluations = jax.device_get(kernel(params, data))
        except Exception:  # the batch fails alone: its frames are made one by one
            log.exception("a batched frame evaluation failed; making its frames one by one")
            for job in jobs:
                self._finish(job, frame_data, job.plan, job.state, job.detail)
            return
        self.batched_frames += len(jobs)
        for i, job in enumerate(jobs):
            one = Evaluation(*(np.asarray(field)[i] for field in evaluations))
            self._finish(job, frame_from_evaluation, job.plan, job.state, one, False, host[i])

    @staticmethod
    def _finish(job: _Job, make: Callable[..., FrameData], *args: Any) -> None:
        try:
            job.future.set_result(make(*args))
        except Exception as error:  # one frame's failure is its session's to report
            job.future.set_exception(error)

    # ---- compiling ----------------------------------------------------------------------------

    def _start_compile(self, key: tuple[EvalSpec, int], example: _Job) -> None:
        with self._lock:
            if key in self._compiling or key in self._failed or key in self._kernels or self._closed:
                return
            self._compiling.add(key)
        self._compiler.submit(self._compile, key, example)

    def _compile(self, key: tuple[EvalSpec, int], example: _Job) -> None:
        spec, slots = key
        try:
            params, data, _ = _stacked([example] * slots, slots)
            fn = jax.jit(jax.vmap(make_exact_evaluate(spec), in_axes=(0, _DATA_AXES)))
            with background_compiles():
                compiled = fn.lower(params, data).compile()
            with self._lock:
                self._kernels[key] = compiled
        except Exception:  # frames of this spec stay one by one
            log.exception("compiling the batched frame evaluation of %s failed", spec)
            with self._lock:
                self._failed.add(key)
        finally:
            with self._lock:
                self._compiling.discard(key)


# Every session's data is stacked but the grid, which is the same for all (the features of the grid cells).
_DATA_AXES = EvalData(0, 0, 0, 0, 0, 0, None)  # type: ignore[arg-type]


def _stacked(jobs: list[_Job], slots: int) -> tuple[Any, EvalData, list[Any]]:
    """The padded params and eval data of `jobs`, stacked over `slots` (the first job fills the rest), and
    each job's params on the host (its frame's weights: copied once, not again per frame)."""
    host = [
        jax.tree.map(
            np.asarray, fit_weights(j.state.params if isinstance(j.state, TrainState) else j.state, j.plan)
        )
        for j in jobs
    ]
    members = [*host, *[host[0]] * (slots - len(jobs))]
    stacked_params = jax.tree.map(lambda *leaves: np.stack(leaves), *members)
    datas = [j.plan.eval_data for j in [*jobs, *[jobs[0]] * (slots - len(jobs))]]
    fields = [np.stack([np.asarray(getattr(d, f)) for d in datas]) for f in EvalData._fields[:-1]]
    return stacked_params, EvalData._make([*fields, np.asarray(datas[0].grid_x)]), host


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
