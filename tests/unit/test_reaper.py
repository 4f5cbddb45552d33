"""Where the engine's device arrays die (engine/reaper.py): on the reaper's thread, after a while, not on
the thread that let them go last (the event loop, for a run's state)."""

import asyncio
import threading
import time
import weakref

import jax
from loops import run
from test_batched import Run, shard_of
from test_engines import plan_of

from nnplay.engine.reaper import Reaper
from nnplay.engine.seam import SlotRef
from nnplay.engine.serial import SerialEngine


class Thing:
    pass


def _watch(value) -> list[str]:
    """The name of the thread `value` dies on, once it has."""
    died: list[str] = []
    weakref.finalize(value, lambda: died.append(threading.current_thread().name))
    return died


def test_what_the_reaper_is_handed_lives_its_hold_and_dies_on_the_reapers_thread():
    reaper = Reaper(hold_s=0.3)
    try:
        thing = Thing()
        died = _watch(thing)
        reaper.keep(thing)
        del thing  # the caller lets go: the reaper's is the last reference
        time.sleep(0.1)
        assert died == []
        deadline = time.monotonic() + 5
        while not died and time.monotonic() < deadline:
            time.sleep(0.02)
        assert died == ["nnplay-reaper"]
        assert len(reaper) == 0
    finally:
        reaper.close()


def test_close_drops_what_is_left_and_ends_the_thread():
    reaper = Reaper(hold_s=60)
    thing = Thing()
    died = _watch(thing)
    reaper.keep(thing)
    del thing
    reaper.close()
    assert died == ["nnplay-reaper"]
    assert not [t for t in threading.enumerate() if t.name == "nnplay-reaper"]


def test_a_shard_hands_its_old_states_and_the_refs_it_gives_out_to_the_reaper():
    reaper = Reaper(hold_s=60)
    try:
        runs = [Run({"dataset": "spiral", "seed": i}) for i in range(2)]
        shard = shard_of(runs, slots=2)
        shard.keep = reaper.keep
        first = shard.state
        refs = {run: ref for run, (ref, _, _) in shard.train({0: 3, 1: 3}).items()}
        assert isinstance(refs[0], SlotRef)
        stack_died, ref_died = _watch(first), _watch(refs[0])
        del first
        refs.clear()  # the runs move on: what they held dies later, on the reaper's thread
        shard.train({0: 1, 1: 1})
        shard.update(1, runs[1].state, runs[1].use.inputs)  # a write lets the stacked state go too
        assert stack_died == [] and ref_died == []
        reaper.close()
        assert stack_died == ["nnplay-reaper"] and ref_died == ["nnplay-reaper"]
    finally:
        reaper.close()


def test_the_serial_engine_hands_the_state_a_chunk_replaced_to_its_reaper():
    plan, state = plan_of("playground", {"dataset": "circle"})
    engine = SerialEngine()
    engine._reaper.close()
    engine._reaper = reaper = Reaper(hold_s=60)
    try:
        leaf = jax.tree.leaves(state)[0]
        died = _watch(leaf)
        del leaf

        async def chunk(state):
            await asyncio.wrap_future(engine.prepare(plan, state))
            return await engine.train("run", plan, state, 5)

        outcome = run(chunk(state))
        del state  # the run moves on to the outcome's state: the old one's last holder is the reaper
        assert outcome.units > 0
        assert died == [] and len(reaper) == 1
        reaper.close()
        assert died == ["nnplay-reaper"]
    finally:
        engine.close()
