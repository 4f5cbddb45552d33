"""Threads that run a training tick's calls side by side: XLA runs a CPU call on the calling thread, so
two calls on two threads use two cores (two 16-slot calls: 204 ms one after the other, 100 ms side by
side on 2 cores). An accelerator queues its calls anyway: the scheduler keeps one lane there.

On a CPU the training threads yield to the server's other work (frames, sockets, compiles): the tick's
own thread runs at a lower priority (`WORKER_NICE`) and the extra lanes lower still (`EXTRA_LANE_NICE`),
so a second lane trains on what the rest leaves of the cores instead of taking the frames' share of them
(2 cores, 30 sessions: 16.8 frames/s each with the lanes at the server's priority, 20.7-21.6 below it).
Each lane takes the tick's next call when it is free, so a lane kept waiting by the rest of the server
holds up one call, never a share of the tick dealt to it in advance.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from queue import Empty, SimpleQueue
from typing import TypeVar

T = TypeVar("T")
MAX_LANES = 8
WORKER_NICE = 5  # the thread that ticks and runs the first lane
EXTRA_LANE_NICE = 10  # the other lanes' threads


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_count() -> int:
    """Lanes when none are set: one a core, at most MAX_LANES."""
    return min(cores(), MAX_LANES)


def lower_priority(nice: int) -> None:
    """Run the calling thread `nice` steps below the process's priority (Linux gives each thread its own
    niceness; elsewhere, or where it is refused, nothing changes: a priority is a preference, never a
    condition)."""
    if nice <= 0 or not sys.platform.startswith("linux"):  # elsewhere a thread's id is no process id
        return
    with contextlib.suppress(AttributeError, OSError):
        base = os.getpriority(os.PRIO_PROCESS, os.getpid())  # the main thread's
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), base + nice)


class Lanes:
    """`count` lanes: the calling thread and count - 1 threads of a pool, whose threads lower their
    priority by `nice` (0: as the process). `close()` ends the threads."""

    def __init__(self, count: int, nice: int = 0) -> None:
        self.count = max(1, min(count, MAX_LANES))
        self._pool = (
            ThreadPoolExecutor(
                self.count - 1, thread_name_prefix="nnplay-call", initializer=lower_priority, initargs=(nice,)
            )
            if self.count > 1
            else None
        )

    def run(self, items: Sequence[T], call: Callable[[T], None]) -> None:
        """`call(item)` for every item, each lane taking the next item when it is free. Returns when all
        are done; re-raises the first error of a pool's lane (`call` is expected to catch its own)."""
        if self._pool is None or len(items) < 2:
            for item in items:
                call(item)
            return
        queue: SimpleQueue[T] = SimpleQueue()
        for item in items:
            queue.put(item)
        futures = [self._pool.submit(_take, queue, call) for _ in range(min(self.count, len(items)) - 1)]
        _take(queue, call)
        for future in futures:
            future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _take(queue: SimpleQueue[T], call: Callable[[T], None]) -> None:
    """Take the tick's calls one at a time until none is left (any lane, whichever is free)."""
    while True:
        try:
            item = queue.get_nowait()
        except Empty:
            return
        call(item)
