"""The lanes that run a tick's training calls side by side (engine/lanes.py)."""

import os
import threading

from nnplay.engine.lanes import Lanes


def test_a_lane_held_on_one_call_leaves_the_ticks_other_calls_to_the_free_lanes():
    # A lane the rest of the server keeps waiting (it runs below their priority) must hold up only the
    # call it took: dealt round the lanes in advance, the calls after it would wait with it.
    lanes = Lanes(2)
    others_done, ran = threading.Event(), []
    lock = threading.Lock()

    def call(item: int) -> None:
        if item == 0:
            assert others_done.wait(10), "the other calls waited for the held lane"
        with lock:
            ran.append(item)
            if len(ran) == 5:
                others_done.set()

    try:
        lanes.run(list(range(6)), call)
    finally:
        lanes.close()
    assert sorted(ran) == list(range(6)) and ran[-1] == 0


def test_the_extra_lanes_run_below_the_process_and_end_with_close():
    lanes = Lanes(3, nice=7)
    seen: dict[str, int] = {}
    lock = threading.Lock()
    started = threading.Barrier(3, timeout=10)  # each lane takes one call: all three threads show

    def call(item: int) -> None:
        started.wait()
        with lock:
            seen[threading.current_thread().name] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    base = os.getpriority(os.PRIO_PROCESS, os.getpid())
    lanes.run([0, 1, 2], call)
    lanes.close()
    mine = seen.pop(threading.current_thread().name)
    assert mine == base and len(seen) == 2 and set(seen.values()) == {base + 7}, seen
    assert not [t for t in threading.enumerate() if t.name.startswith("nnplay-call")]
