"""An engine's compiles and its kernel cache: one compile thread, a bounded queue, an LRU of kernels.

Compiles are requested by key with a function that builds the compiled kernel; equal keys share one
compile. The queue is bounded (`max_queue` compiles waiting or running) and so is each client's share of
it (`per_client`): a request past either bound raises `CompileRefused` and its run waits for a later try,
so a client that sends one new architecture after another delays only itself, never the compiles of
others, and never the event loop's or the request handlers' threads. A run waiting on a kernel comes
before background work (`urgent`), e.g. exact kernels compiled ahead. Compiled kernels are kept in an LRU
of at most `max_kernels`; one dropped is compiled again if needed (from JAX's persistent cache, if on).

Threads: two compile threads run the builders, one of them only for urgent work, so a run waiting on a
kernel never waits behind a long background compile; `call` runs families' pure functions (a
prediction) on a worker of its own. `_lock` guards the queue, the in-flight table and the cache.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import jax

from .runtime import background_compiles
from .seam import CompileRefused

log = logging.getLogger(__name__)
MAX_QUEUE = 64
PER_CLIENT = 3
MAX_KERNELS = 384


@dataclass(order=True)
class _Job:
    priority: int
    order: int
    key: Hashable = field(compare=False)
    build: Callable[[], Any] = field(compare=False)
    client: str = field(compare=False)
    future: Future[Any] = field(compare=False)


def _settle(future: Future[Any], result: Any = None, error: Exception | None = None) -> None:
    """Resolve a compile's future unless its waiter gave up on it (cancelled): the kernel is kept."""
    with contextlib.suppress(InvalidStateError):
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class Compiler:
    """Compiles kernels on one thread of its own and keeps them (see the module docstring)."""

    def __init__(
        self, max_queue: int = MAX_QUEUE, per_client: int = PER_CLIENT, max_kernels: int = MAX_KERNELS
    ) -> None:
        self.max_queue, self.per_client, self.max_kernels = max_queue, per_client, max_kernels
        self._lock = threading.Condition()
        self._kernels: OrderedDict[Hashable, Any] = OrderedDict()
        self._jobs: list[_Job] = []
        self._in_flight: dict[Hashable, _Job] = {}
        self._clients: Counter[str] = Counter()
        self._failed: dict[Hashable, Exception] = {}
        self._order = itertools.count()
        self._closed = False
        self.compiled = 0  # kernels this compiler built
        self.evicted = 0
        self._threads = [
            threading.Thread(target=self._run, args=(urgent_only,), name=name, daemon=True)
            for urgent_only, name in ((False, "nnplay-compile"), (True, "nnplay-compile-urgent"))
        ]
        for thread in self._threads:
            thread.start()
        self._calls = ThreadPoolExecutor(1, thread_name_prefix="nnplay-call")

    # ---- the cache --------------------------------------------------------------------------------

    def get(self, key: Hashable) -> Any | None:
        """The compiled kernel of `key` if it is ready (never compiles)."""
        with self._lock:
            kernel = self._kernels.get(key)
            if kernel is not None:
                self._kernels.move_to_end(key)
            return kernel

    def ready_keys(self, match: Callable[[Hashable], bool]) -> list[Hashable]:
        with self._lock:
            return [key for key in self._kernels if match(key)]

    def known(self, match: Callable[[Hashable], bool]) -> bool:
        """Whether some key that `match`es is compiled, compiling or failed."""
        with self._lock:
            return any(match(key) for key in (*self._kernels, *self._in_flight, *self._failed))

    def failure(self, key: Hashable) -> Exception | None:
        """Why the kernel of `key` could not be built (it is not tried again), if it failed."""
        with self._lock:
            return self._failed.get(key)

    def pending(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._in_flight

    def in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def count(self) -> int:
        with self._lock:
            return len(self._kernels)

    # ---- compiling --------------------------------------------------------------------------------

    def request(
        self,
        key: Hashable,
        build: Callable[[], Any],
        *,
        client: str = "",
        urgent: bool = True,
        spare: bool = False,
    ) -> Future[Any]:
        """The kernel of `key`, compiled on the compile thread (at once if cached; one compile per key):
        `urgent` before background work, `spare` (a kernel no run needs yet) after it. Raises
        CompileRefused past the queue's bound or the client's share of it."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine is closed")
            if key in self._kernels:
                done: Future[Any] = Future()
                done.set_result(self._kernels[key])
                return done
            if key in self._failed:
                failed: Future[Any] = Future()
                failed.set_exception(self._failed[key])
                return failed
            job = self._in_flight.get(key)
            if job is not None:
                return job.future
            if len(self._in_flight) >= self.max_queue:
                raise CompileRefused(
                    f"the server is compiling {len(self._in_flight)} networks already; yours waits its turn"
                )
            if client and self._clients[client] >= self.per_client:
                raise CompileRefused(
                    f"this client already has {self.per_client} networks compiling; this one waits its turn"
                )
            job = _Job(0 if urgent else 2 if spare else 1, next(self._order), key, build, client, Future())
            self._in_flight[key] = job
            self._clients[client] += 1
            heapq.heappush(self._jobs, job)
            self._lock.notify_all()
            return job.future

    def compile_now(self, key: Hashable, build: Callable[[], Any], client: str = "") -> Any:
        """The kernel of `key`, waiting for its compile (for a worker that cannot go on without it). The
        compile still runs on a compile thread, within the bounds."""
        return self.request(key, build, client=client).result()

    def _run(self, urgent_only: bool) -> None:
        while True:
            with self._lock:
                while not self._closed and not (
                    self._jobs and (self._jobs[0].priority == 0 or not urgent_only)
                ):
                    self._lock.wait()
                if self._closed:
                    return
                job = heapq.heappop(self._jobs)
            self._build(job)
            del job  # its builder holds what it builds from (a run's state): not kept till the next job

    def _build(self, job: _Job) -> None:
        try:
            with background_compiles():
                kernel = job.build()
        except Exception as error:  # a kernel that cannot be built fails its runs, not the server
            log.exception("compiling %r failed", job.key)
            with self._lock:
                self._failed[job.key] = error
                self._finish(job)
            _settle(job.future, error=error)
            return
        with self._lock:
            self._kernels[job.key] = kernel
            self._kernels.move_to_end(job.key)
            self.compiled += 1
            while len(self._kernels) > self.max_kernels:
                self._kernels.popitem(last=False)
                self.evicted += 1
            self._finish(job)
        _settle(job.future, kernel)

    def _finish(self, job: _Job) -> None:
        """(Lock held.) The job is no longer queued or running."""
        self._in_flight.pop(job.key, None)
        self._clients[job.client] -= 1
        if self._clients[job.client] <= 0:
            del self._clients[job.client]
        self._lock.notify_all()

    # ---- families' own functions ------------------------------------------------------------------

    def call(
        self, key: Hashable, build: Callable[[], Callable[..., Any]], args: tuple[Any, ...]
    ) -> Future[Any]:
        """`build()(*args)` on the call worker, jitted once per key (and cached like kernels); the result
        on the host."""

        def run() -> Any:
            fn = self.compile_now(key, lambda: jax.jit(build()))
            return jax.device_get(fn(*args))

        return self._calls.submit(run)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            jobs, self._jobs = self._jobs, []
            self._lock.notify_all()
        for job in jobs:
            job.future.cancel()
        for thread in self._threads:
            thread.join()
        self._calls.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._kernels.clear()
