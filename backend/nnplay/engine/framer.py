"""Frames of many runs made together, on the device: a worker takes every frame waiting and makes those of
one batchable frame use in one vmapped call, the others one by one; only each frame's summary (pictures
as uint8, small vectors) comes back to the host, where the family finishes it (on a thread of its own
while the next batch runs). Edits' frames (`urgent`) have a worker of their own, which batches those
waiting together but compiles nothing for them.

A run's state is taken where it is: a `SlotRef` into a shard's stacked state is cut out on the device (one
gather per leaf for the whole batch), never copied through the host. A batch kernel is compiled per
(use, slot count: a power of two) by the engine's compiler the first time two frames of a use wait
together; until it is ready those frames are made with a compiled kernel of more slots, or one by one
with the plan's last frame use (or a compiled standby of it while its own kernel compiles). Jobs and
results are immutable; the queues and counters are guarded by a lock.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import executables
from .compiler import Compiler
from .seam import CompileRefused, EnginePlan, FrameUse, SlotRef, resolve

log = logging.getLogger(__name__)
MAX_BATCH = 32  # frames in one call (on 2 CPU cores, per-frame cost stops falling near here)
MAX_BATCH_ACCELERATOR = 256  # a GPU evaluates hundreds of small nets in about the time of one
GATHER_S = 0.003  # after the first frame comes, wait this long for others (fewer, fuller batches)
MIN_URGENT_BATCH = 4  # edits' frames waiting together are batched from this many


@dataclass(frozen=True)
class _Job:
    uses: Sequence[FrameUse]
    state: Any
    future: Future[Any]


def batch_slots(members: int, least: int = 2) -> int:
    slots = least
    while slots < members:
        slots *= 2
    return slots


def single_kernel(use: FrameUse, state: Any) -> Any:
    return executables.compile(use.build(), (state, use.inputs, use.shared), ("frame", use.key))


def stack_signature(stack: Any) -> tuple[Any, ...]:
    """What a batch kernel that gathers from `stack` is compiled for: its structure and shapes."""
    leaves, treedef = jax.tree.flatten(stack)
    return treedef, tuple((leaf.shape, str(leaf.dtype)) for leaf in leaves)


def batch_kernel(use: FrameUse, stack: Any, slots: int) -> Any:
    """`use`'s evaluation of `slots` runs cut out of `stack` by index, on the device: (stack, index
    (slots,), one inputs pytree per run, shared) -> the summaries, stacked."""
    evaluate = jax.vmap(use.build(), in_axes=(0, 0, None))

    def run(stack: Any, index: jax.Array, inputs: tuple[Any, ...], shared: Any) -> Any:
        states = jax.tree.map(lambda leaf: leaf[index], stack)
        return evaluate(states, jax.tree.map(lambda *leaves: jnp.stack(leaves), *inputs), shared)

    index = np.zeros(slots, np.int32)
    return executables.compile(run, (stack, index, (use.inputs,) * slots, use.shared), ("frames", use.key))


def single_frame(compiler: Compiler, uses: Sequence[FrameUse], state: Any) -> Any:
    """One frame with the plan's last frame use that is not a standby, compiled now if it is not yet;
    unless a standby's kernel is compiled: then the standby makes it (the state fit to its shapes) and the
    plan's own compiles in the background. Once the plan's own is compiled, its warm standbys are."""
    value = resolve(state)
    use = [u for u in uses if not u.standby][-1]
    key = ("frame", use.key, stack_signature(value))  # the family's key need not hold the state's
    kernel, build = compiler.get(key), partial(single_kernel, use, value)
    if kernel is None:
        for standby in (u for u in uses if u.standby):
            fitted = value if standby.fit is None else standby.fit(value)
            found = compiler.get(("frame", standby.key, stack_signature(fitted)))
            if found is not None:
                with contextlib.suppress(CompileRefused):
                    compiler.request(key, build, urgent=False)
                use, value, kernel = standby, fitted, found
                break
        else:
            kernel = compiler.compile_now(key, build)
    else:
        warm_frames(compiler, uses, value)
    return use.finish(jax.device_get(kernel(value, use.inputs, use.shared)))


def warm_frames(compiler: Compiler, uses: Sequence[FrameUse], value: Any) -> None:
    """Ask, in the background, for the single-frame kernels of the plan's warm standbys (seam.py) that
    are neither compiled nor compiling (`value`: the run's state, concrete)."""
    for warm in (u for u in uses if u.warm):
        prefix = ("frame", warm.key)
        if compiler.known(lambda k, prefix=prefix: k[:2] == prefix):  # type: ignore[misc,index]
            continue
        fitted = value if warm.fit is None else warm.fit(value)
        build = partial(single_kernel, warm, fitted)
        with contextlib.suppress(CompileRefused):
            compiler.request((*prefix, stack_signature(fitted)), build, urgent=False, spare=True)


class Framer:
    """Makes frames on two workers (edits' and the others); `close()` when done."""

    def __init__(self, compiler: Compiler, max_batch: int | None = None) -> None:
        self.compiler = compiler
        self.max_batch = max_batch or (MAX_BATCH if jax.default_backend() == "cpu" else MAX_BATCH_ACCELERATOR)
        self._lock = threading.Condition()
        self._queues: dict[bool, list[_Job]] = {False: [], True: []}
        self._closed = False
        self.batched_frames = 0  # made in a vmapped call
        self.single_frames = 0
        self._finisher = ThreadPoolExecutor(1, thread_name_prefix="nnplay-frame-finish")
        self._workers = [
            threading.Thread(target=self._run, args=(urgent,), name=f"nnplay-frames{'-urgent' * urgent}")
            for urgent in (False, True)
        ]
        for worker in self._workers:
            worker.daemon = True
            worker.start()

    def submit(
        self, plan: EnginePlan, state: Any, detail: bool, view: Any = None, urgent: bool = False
    ) -> Future[Any]:
        job = _Job(plan.frame_uses(detail, view), state, Future())
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine is closed")
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

    # ---- the workers ------------------------------------------------------------------------------

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
            groups: dict[Hashable, list[_Job]] = defaultdict(list)
            for job in jobs:
                if job.future.set_running_or_notify_cancel():
                    first, state = job.uses[0], job.state
                    own = sum(not use.standby for use in job.uses)
                    batchable = first.batchable and own > 1 and isinstance(state, SlotRef)
                    groups[(first.key, id(state.stack)) if batchable else id(job)].append(job)
            for members in groups.values():
                while members:
                    batch, members = members[: self.max_batch], members[self.max_batch :]
                    self._make(batch, urgent)

    def _make(self, jobs: list[_Job], urgent: bool) -> None:
        found = None
        if len(jobs) >= (MIN_URGENT_BATCH if urgent else 2):
            found = self._batch_kernel(jobs, compile_one=not urgent)
        if found is None:
            for job in jobs:
                self._single(job)
            return
        slots, kernel = found
        use, stack = jobs[0].uses[0], jobs[0].state.stack
        try:
            padded = [*jobs, *[jobs[0]] * (slots - len(jobs))]
            index = np.asarray([job.state.index for job in padded], np.int32)
            summary = jax.device_get(
                kernel(stack, index, tuple(job.uses[0].inputs for job in padded), use.shared)
            )
        except Exception:  # the batch fails alone: its frames are made one by one
            log.exception("a batched frame failed; making its frames one by one")
            for job in jobs:
                self._single(job)
            return
        self._count(batched=len(jobs))
        if urgent:  # finished at once, not behind the batches' frames
            self._finish_batch(jobs, use, summary)
        else:
            self._finisher.submit(self._finish_batch, jobs, use, summary)

    def _batch_kernel(self, jobs: list[_Job], compile_one: bool) -> tuple[int, Any] | None:
        """The compiled batch kernel of the jobs' use and stack for their number, else the smallest one
        of more slots (asking for the right size's compile if `compile_one`); None if neither is ready."""
        use, stack = jobs[0].uses[0], jobs[0].state.stack
        signature, wanted = stack_signature(stack), batch_slots(len(jobs))
        prefix = ("frames", use.key, signature)
        keys: list[Any] = self.compiler.ready_keys(lambda k: k[:3] == prefix)  # type: ignore[index]
        ready = [key[3] for key in keys if key[3] >= len(jobs)]
        if compile_one and wanted not in ready:
            with contextlib.suppress(CompileRefused):
                self.compiler.request(
                    (*prefix, wanted), partial(batch_kernel, use, stack, wanted), urgent=False
                )
        if not ready:
            return None
        slots = min(ready)
        kernel = self.compiler.get((*prefix, slots))
        return None if kernel is None else (slots, kernel)

    def _single(self, job: _Job) -> None:
        """One frame with the plan's last frame use (single_frame)."""
        try:
            frame = single_frame(self.compiler, job.uses, job.state)
        except Exception as error:  # one frame's failure is its run's to report
            self._count(single=1)
            job.future.set_exception(error)
            return
        self._count(single=1)  # counted before its future resolves: whoever waited for it sees it counted
        job.future.set_result(frame)

    def _finish_batch(self, jobs: list[_Job], use: FrameUse, summary: Any) -> None:
        for i, job in enumerate(jobs):
            try:
                job.future.set_result(
                    use.finish(jax.tree.map(lambda leaf, i=i: np.asarray(leaf)[i], summary))
                )
            except Exception as error:
                job.future.set_exception(error)

    def _count(self, batched: int = 0, single: int = 0) -> None:
        with self._lock:
            self.batched_frames += batched
            self.single_frames += single
