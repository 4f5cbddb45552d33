"""Threads that run a training tick's calls side by side: XLA runs a CPU call on the calling thread, so
two calls on two threads use two cores (two 16-slot calls: 204 ms one after the other, 100 ms side by
side on 2 cores). An accelerator queues its calls anyway: the scheduler keeps one lane there."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
MAX_LANES = 8


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Lanes:
    """`count` lanes: the calling thread and count - 1 threads of a pool. `close()` ends the threads."""

    def __init__(self, count: int) -> None:
        self.count = max(1, min(count, MAX_LANES))
        self._pool = (
            ThreadPoolExecutor(self.count - 1, thread_name_prefix="nnplay-call") if self.count > 1 else None
        )

    def run(self, items: Sequence[T], call: Callable[[T], None]) -> None:
        """`call(item)` for every item, the items dealt round the lanes; each lane's in order. Returns when
        all are done; re-raises the first error of a pool's lane (`call` is expected to catch its own)."""
        if self._pool is None or len(items) < 2:
            for item in items:
                call(item)
            return
        lanes = [items[i :: self.count] for i in range(self.count)]
        futures = [self._pool.submit(_in_turn, lane, call) for lane in lanes[1:] if lane]
        _in_turn(lanes[0], call)
        for future in futures:
            future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _in_turn(items: Sequence[T], call: Callable[[T], None]) -> None:
    for item in items:
        call(item)
