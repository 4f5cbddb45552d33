"""call_timing: a batched call's time as a measured fixed part plus a learnt part per epoch, and a tick's
epochs."""

from __future__ import annotations

import pytest

from nnplay.engine.call_timing import (
    FIXED_SHARE,
    MAX_FIXED_TICK_S,
    MIN_CALL_S,
    TICK_S_PER_MEMBER,
    TICK_S_PER_MEMBER_ACCELERATOR,
    CallTiming,
    default_frames_per_second,
    default_tick_s_per_member,
    measure_fixed,
    min_tick_s,
    tick_epochs,
)


def run(timing: CallTiming, fixed_s: float, per_epoch_s: float, ticks: int, min_tick_s: float) -> list[int]:
    """Ticks of one kernel whose calls take exactly fixed + epochs * per_epoch; their epoch counts."""
    counts = []
    for _ in range(ticks):
        epochs = tick_epochs([timing], min_tick_s, 0.0, 5000)
        timing.add(epochs, fixed_s + epochs * per_epoch_s)
        counts.append(epochs)
    return counts


def test_a_large_fixed_part_is_kept_below_its_share_of_the_tick():
    # an H200 machine's 128-slot call (bench/batch_call.py): ~42 ms fixed, ~0.55 ms an epoch; a 50 ms tick
    timing = CallTiming(fixed_s=0.042)
    counts = run(timing, 0.042, 0.00055, 20, 0.050)
    assert timing.per_epoch_s == pytest.approx(0.00055, rel=1e-3)
    expected = (0.042 / FIXED_SHARE - 0.042) / 0.00055
    assert counts[-1] == pytest.approx(expected, rel=0.01)


def test_without_the_fixed_part_such_calls_ran_one_epoch_each():
    # the old estimate (seconds / epochs): the fixed part counted as epochs, which then filled the tick
    counts = run(CallTiming(fixed_s=0.0), 0.042, 0.00055, 20, 0.050)
    assert counts[-1] <= 2


def test_a_small_fixed_part_leaves_the_tick_to_the_epochs():
    timing = CallTiming(fixed_s=0.0035)
    counts = run(timing, 0.0035, 0.0025, 20, 0.051)  # 32 slots on 2 CPU cores, a 30-session tick
    assert counts[-1] == int((0.051 - 0.0035) / 0.0025)


def test_epochs_grow_at_most_fourfold_a_call_and_the_fixed_parts_stretch_a_tick_at_most_a_second():
    counts = run(CallTiming(), 0.0, 0.0001, 8, 0.5)
    assert counts[:3] == [1, 4, 16]
    timing = CallTiming(fixed_s=2.0, per_epoch_s=0.001, last_epochs=10**6)
    assert tick_epochs([timing], 0.05, 0.0, 10**6) == int(MAX_FIXED_TICK_S / 4 / 0.001)


def test_unknown_kernels_run_one_epoch():
    assert tick_epochs([None], 0.05, 0.0, 5000) == 1
    assert tick_epochs([CallTiming()], 0.05, 0.0, 5000) == 1


def test_an_overestimated_fixed_part_never_makes_an_epoch_free():
    timing = CallTiming(fixed_s=0.05)
    timing.add(10, 0.02)
    assert timing.per_epoch_s == pytest.approx(0.05 * 0.02 / 10)


def test_the_fixed_part_is_the_fastest_of_its_runs():
    now = [0.0]
    delays = iter([0.03, 0.01, 0.02])

    def call() -> None:
        now[0] += next(delays)  # a call that takes this long on the clock measure_fixed reads

    assert measure_fixed(call, runs=3, clock=lambda: now[0]) == pytest.approx(0.01)


def test_a_fixed_part_timed_slow_once_gives_way_to_the_fastest_of_later_timings():
    from nnplay.engine.call_timing import FIXED_RETIME_S, FIXED_SAMPLES

    timing = CallTiming(fixed_s=0.020)  # timed while the machine compiled everything else
    start = timing.timed_at
    assert not timing.retime_due(start + FIXED_RETIME_S / 2)
    assert timing.retime_due(start + FIXED_RETIME_S)
    timing.retimed(0.004, start + FIXED_RETIME_S)
    assert timing.fixed_s == 0.004 and not timing.retime_due(start + FIXED_RETIME_S * 1.5)
    for i in range(FIXED_SAMPLES - 1):  # the true cost rose: once the fast timing is old, it counts
        timing.retimed(0.009, start + FIXED_RETIME_S * (i + 2))
    assert timing.fixed_s == 0.004
    timing.retimed(0.009, start + FIXED_RETIME_S * 10)
    assert timing.fixed_s == 0.009


def test_calls_on_two_threads_share_the_tick_so_each_gets_twice_the_epochs():
    timings = []
    for _ in range(4):
        timing = CallTiming(fixed_s=0.002)
        timing.add(100, 0.002 + 100 * 0.0005)  # 0.5 ms an epoch
        timings.append(timing)
    one, two = (tick_epochs(timings, 0.05, 0.0, 5000, lanes) for lanes in (1, 2))
    # one lane: (50 ms - 4 fixed parts) / 4 calls' epochs; two: each lane runs 2 calls in the same 50 ms
    assert one == int((0.05 - 0.008) / 0.002)
    assert two == int((0.05 - 0.004) / 0.001)
    assert tick_epochs(timings[:1], 0.05, 0.0, 5000, 2) == tick_epochs(timings[:1], 0.05, 0.0, 5000, 1)


def test_a_tick_lasts_the_frame_budget_stretched_by_its_calls_and_its_runs():
    assert min_tick_s(0.030, calls=1, members=1, s_per_member=0.0017) == 0.030
    assert min_tick_s(0.030, calls=12, members=12, s_per_member=0.0017) == pytest.approx(12 * MIN_CALL_S)
    assert min_tick_s(0.030, calls=7, members=100, s_per_member=0.0017) == pytest.approx(0.17)


def test_the_calls_of_a_tick_stretch_it_by_the_busiest_lane_only():
    assert min_tick_s(0.030, calls=12, members=12, s_per_member=0.0, lanes=2) == pytest.approx(6 * MIN_CALL_S)
    assert min_tick_s(0.030, calls=13, members=13, s_per_member=0.0, lanes=2) == pytest.approx(7 * MIN_CALL_S)
    assert min_tick_s(0.030, calls=13, members=13, s_per_member=0.0, lanes=0) == pytest.approx(
        13 * MIN_CALL_S
    )


def test_a_class_of_100_in_seven_calls_ticks_within_its_frame_interval():
    """100 sessions at 1,100 frames/s (11 each): seven 16-slot calls must not stretch their tick past the
    0.9 of a frame interval that their runs' share sets (at 15 ms a call they made it 105 ms: under 10
    frames/s whatever the budget)."""
    per_member = default_tick_s_per_member(False, 1100)
    assert min_tick_s(0.030, calls=7, members=100, s_per_member=per_member) == pytest.approx(100 * per_member)
    assert 100 * per_member < 1 / 11


def test_a_ticks_share_a_run_stays_within_the_frame_interval_the_budget_gives_it():
    """A run gets at most a frame a tick: at 1,000 frames/s across 100 runs (10 each) their ticks must
    come more often than every 100 ms, so the CPU's 1.5 ms a run shrinks to 0.9; a budget of 600 leaves
    it as it was (660: 1.36 ms), and an accelerator's shorter tick is kept."""
    assert default_tick_s_per_member(False) == TICK_S_PER_MEMBER
    assert default_tick_s_per_member(False, 600.0) == pytest.approx(TICK_S_PER_MEMBER)
    assert default_tick_s_per_member(False, 1000.0) == pytest.approx(0.0009)
    assert default_tick_s_per_member(False, 300.0) == TICK_S_PER_MEMBER
    assert default_tick_s_per_member(True, 1000.0) == TICK_S_PER_MEMBER_ACCELERATOR


def test_the_servers_frame_budget_sets_its_engines_tick_unless_a_tick_is_set():
    from nnplay.app import frames_per_second, make_engine
    from nnplay.config import ServerSettings

    assert default_frames_per_second(False) == 1200.0 and default_frames_per_second(True) == 3000.0
    assert frames_per_second(ServerSettings()) == 1200.0  # the sessions' budget, as the engine's
    assert frames_per_second(ServerSettings(frames_per_second=800.0)) == 800.0
    for settings, expected in (
        (ServerSettings(), 0.9 / 1200),  # unset: the CPU's budget (these tests run on one)
        (ServerSettings(frames_per_second=1000.0), 0.0009),
        (ServerSettings(frames_per_second=1000.0, tick_ms_per_member=2.0), 0.002),
    ):
        engine = make_engine(settings)
        try:
            assert engine.scheduler.tick_s_per_member == pytest.approx(expected)  # type: ignore[attr-defined]
        finally:
            engine.close()
