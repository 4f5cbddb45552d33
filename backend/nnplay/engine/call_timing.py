"""How long a batched training call takes, a fixed cost plus a cost per epoch, and how many epochs a tick
of such calls gets.

The fixed part (the slots' inputs taken apart and put together, the dispatch, the results split per slot)
grows with the slot count and hardly with the epochs. Measured with bench/batch_call.py: on 2 CPU cores
~3.5 ms for 32 slots next to ~2.5 ms an epoch; on an H200 machine ~42 ms for 128 slots and ~210 ms for 512
next to ~0.6 ms an epoch. Counted as epochs (seconds / epochs, as the scheduler did first), a fixed part
near the tick's length drove the epochs a call down to one: 100 GPU sessions trained 18 epochs/s each.

A kernel's fixed part is timed with calls of no epochs when it is compiled, before any scheduler can use
it (`measure_fixed`, in batched.BatchKernels), and again every FIXED_RETIME_S while it is in use (one
such call: it costs the fixed part). The estimate is the fastest of the last FIXED_SAMPLES timings.
Timed only once, at a start-up that shares the machine with compiles, it ranged from 4.6 to 20 ms for
the same kernel (32 slots, 2 CPU cores), and a class's ticks, stretched to three fixed parts
(FIXED_SHARE), from 58 to 104 ms apart between runs of bench/classroom.py. The calls teach the part per
epoch. (Fitting both parts from pairs of calls of different lengths needed ticks of alternating
lengths, which cost a class a third of its frames on 2 CPU cores.) The scheduler's calls update their
CallTiming under its timing lock (a tick's calls may run on several threads).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MEMORY = 0.5  # weight of the old estimate in the moving average
MIN_EPOCH_SHARE = 0.05  # an epoch costs at least this share of a call's seconds per epoch
MAX_GROWTH = 4  # a kernel's next call runs at most this many times the epochs of its last
# The fixed parts are kept below this share of a tick (up to MAX_FIXED_TICK_S): on a GPU a batch of 128
# slots then ticks ~8 times a second instead of running one epoch a call.
FIXED_SHARE = 1 / 3
MAX_FIXED_TICK_S = 1.0
FIXED_RUNS = 3  # calls of no epochs timed for the fixed part (the fastest counts: others share the machine)
FIXED_RETIME_S = 3.0  # a kernel in use has its fixed part timed again this often (one call of no epochs)
FIXED_SAMPLES = 5  # ... and the fastest of this many timings counts (a bad one leaves within ~15 s)
# A tick: every waiting run gets a chunk (and a frame) about this often. 25 ms: one session gets 39 frames/s
# and a class of 30 25 (32.5 and 22 at 30 ms, with the same epochs: bench/classroom.py, 2 cores, 2026-12-07).
FRAME_BUDGET_S = 0.025
# ... unless a tick holds many calls: each gets at least this long on its lane, so its fixed cost stays
# small. 15 ms when a call's fixed part was ~3.5 ms (its slots moved one by one); with the shards resident
# it is 0.2-1 ms (16 slots, 2 CPU cores) and FIXED_SHARE keeps it under a third of the tick anyway, so
# 15 ms a call held 100 sessions (7 calls) to 105 ms ticks, under their 10 frames/s whatever the budget.
MIN_CALL_S = 0.005
# ... and a tick of many runs is longer still: each chunk costs a round trip (a future, a session's turn on
# the event loop, a new request), and a class's frames are paced far below one per tick anyway.
# 1.5 ms: a class of 30 ticks every 45 ms, within its share of the frame budget (600/s: 20 frames/s each);
# at 1.7 ms its 51 ms ticks held it to 18.6-19.1 frames/s (bench/classroom.py, 2 CPU cores, 2026-12-07).
TICK_S_PER_MEMBER = 0.0015
TICK_S_PER_MEMBER_ACCELERATOR = 0.0005
# A run gets at most one frame a tick, so a server's frame budget (frames a second across its runs: each
# gets members / budget seconds between frames) caps the tick at this share of that interval: 600/s
# leaves the CPU's 1.5 ms, 660/s makes it 1.36 ms (a class of 30 ticks every 41 ms); at 1,000/s a tick
# of 0.9 ms a run lets 100 sessions near their 10 frames/s (7.7-9.6 measured, bench/classroom.py, 2 CPU
# cores, 2026-12-07) where 1.5 ms held them to 6.7; at the default 1,200/s (0.75 ms a run), with the
# tick's calls on both cores, they get 10.9-11.2 (a class of 30: 24-25, its ticks at FRAME_BUDGET_S).
TICK_SHARE_OF_FRAME_INTERVAL = 0.9
# The frames a second a server makes across its watched runs unless set (config.frames_per_second). On a
# CPU frames and training share the cores: 1,200 gives 100 sessions 11 frames/s each and a class of 30 25
# (2 cores, 2026-12-07). On an accelerator the device makes a frame's pictures and the host only finishes
# and sends them: 3,000 lets 300 sessions reach 10 frames/s, where 1,200 would cap them at 4. The 3,000 is
# not measured yet (no GPU was lent since it was set): bench/gpu.sh runs both budgets.
FRAMES_PER_SECOND = 1200.0
FRAMES_PER_SECOND_ACCELERATOR = 3000.0
MAX_UNITS_PER_TICK = 5000


def measure_fixed(
    call: Callable[[], object], runs: int = FIXED_RUNS, clock: Callable[[], float] = time.perf_counter
) -> float:
    """The fixed part of a kernel: the fastest of `runs` runs of `call` (a call of no epochs, waited
    for)."""
    times = []
    for _ in range(runs):
        started = clock()
        call()
        times.append(clock() - started)
    return min(times)


@dataclass
class CallTiming:
    """What the calls of one kernel (kind, key, slot count) take: `fixed_s` as measured, and per epoch."""

    fixed_s: float = 0.0
    per_epoch_s: float | None = None
    last_epochs: int = 0
    timed_at: float = field(default_factory=time.monotonic)  # when the fixed part was last timed
    _fixed: deque[float] = field(default_factory=lambda: deque(maxlen=FIXED_SAMPLES))

    def __post_init__(self) -> None:
        self._fixed.append(self.fixed_s)

    def retime_due(self, now: float) -> bool:
        """Whether the fixed part is due to be timed again."""
        return now - self.timed_at >= FIXED_RETIME_S

    def retimed(self, seconds: float, now: float) -> None:
        """A call of no epochs took `seconds`: the fixed part is the fastest of the last few."""
        self._fixed.append(seconds)
        self.fixed_s, self.timed_at = min(self._fixed), now

    def add(self, epochs: int, seconds: float) -> None:
        """Learn from a call of `epochs` (the most any of its slots ran) that took `seconds`."""
        epochs = max(epochs, 1)
        self.last_epochs = epochs
        sample = max(seconds - self.fixed_s, MIN_EPOCH_SHARE * seconds) / epochs
        old = self.per_epoch_s
        self.per_epoch_s = sample if old is None else MEMORY * old + (1 - MEMORY) * sample


def default_frames_per_second(accelerator: bool) -> float:
    return FRAMES_PER_SECOND_ACCELERATOR if accelerator else FRAMES_PER_SECOND


def default_tick_s_per_member(accelerator: bool, frames_per_second: float | None = None) -> float:
    """A tick's seconds per run in it when none is set: the device's, within the frame budget's share."""
    base = TICK_S_PER_MEMBER_ACCELERATOR if accelerator else TICK_S_PER_MEMBER
    if frames_per_second is None:
        return base
    return min(base, TICK_SHARE_OF_FRAME_INTERVAL / frames_per_second)


def min_tick_s(frame_budget_s: float, calls: int, members: int, s_per_member: float, lanes: int = 1) -> float:
    """The shortest tick: the frame budget, stretched to MIN_CALL_S a call on the busiest of `lanes` (the
    calls dealt round them) and to `s_per_member` a run."""
    per_lane = -(-calls // max(1, lanes))
    return max(frame_budget_s, MIN_CALL_S * per_lane, s_per_member * members)


def tick_epochs(
    timings: Sequence[CallTiming | None],
    min_tick_s: float,
    other_s: float,
    max_epochs: int,
    lanes: int = 1,
) -> int:
    """The epochs of a tick that runs these calls one after another on each of `lanes` threads (their
    costs shared evenly): its length (at least `min_tick_s`, and at least the fixed parts over FIXED_SHARE)
    less the fixed parts and `other_s` (evaluation), over the epochs' cost; at most MAX_GROWTH times a
    kernel's last; 1 while a kernel's speed is unknown."""
    if not timings or any(t is None or t.per_epoch_s is None for t in timings):
        return 1
    known = [t for t in timings if t is not None]
    lanes = max(1, min(lanes, len(known)))
    fixed = sum(t.fixed_s for t in known) / lanes
    per_epoch = max(sum(t.per_epoch_s or 0.0 for t in known) / lanes, 1e-9)
    budget = max(min_tick_s, min(fixed / FIXED_SHARE, MAX_FIXED_TICK_S))
    room = max(budget - other_s - fixed, budget / 4)
    growth = min(MAX_GROWTH * t.last_epochs for t in known)
    return int(max(1, min(max_epochs, growth, room / per_epoch)))
