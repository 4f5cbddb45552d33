"""Where the engine's device arrays die: on a thread of their own, a while after the engine let them go.

Freeing a jax array releases the GIL and takes it back (jaxlib's array destructor), so the thread that drops
the last reference to a stacked state waits its turn for the GIL, up to a switch interval (5 ms) while other
threads run Python. Runs hold their states (`SlotRef`s) on the event loop, which thus paid that wait for
every stacked state whose last holder it was: 7 % of its time at 100 sessions (py-spy, 2 CPU cores). The
shards hand every state they let go, and every ref they hand out, to a `Reaper`, which keeps them
`hold_s` and then drops them on its own thread: a run that lets its ref go sooner (its next chunk, its next
frame) is no longer the last holder.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

HOLD_S = 1.0


class Reaper:
    """Keeps what it is handed `hold_s`, then drops it on its own thread. `close()` ends the thread."""

    def __init__(self, hold_s: float = HOLD_S) -> None:
        self.hold_s = hold_s
        self._kept: deque[tuple[float, Any]] = deque()
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="nnplay-reaper", daemon=True)
        self._thread.start()

    def keep(self, value: Any) -> None:
        self._kept.append((time.monotonic() + self.hold_s, value))  # deque.append is atomic

    def __len__(self) -> int:
        return len(self._kept)

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._closed:
                    self._wake.wait(self.hold_s / 4)
                closed = self._closed
            now, expired = time.monotonic(), []
            while self._kept and (closed or self._kept[0][0] <= now):
                expired.append(self._kept.popleft())  # only this thread takes from the left
            del expired  # the drops happen here, on this thread
            if closed:
                return

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        self._thread.join()
