"""The two engines behind the seam: the same run trains to the same numbers on either, for every model
family; an engine owns its threads and kernels, and leaves none behind when closed."""

import asyncio
import threading

import jax
import numpy as np
import pytest
from loops import run

from nnplay.engine.batched import BatchedEngine
from nnplay.engine.resident import Shard, compile_stacked
from nnplay.engine.seam import resolve
from nnplay.engine.serial import SerialEngine
from nnplay.families import default_families

FAMILIES = default_families()
RUNS = {
    "playground spiral": ("playground", {"dataset": "spiral", "hidden_layers": [6, 6], "seed": 3}),
    "playground adam": ("playground", {"dataset": "xor", "optimizer": "adam", "learning_rate": 0.01}),
    "images": (
        "images",
        {"layers": [{"kind": "conv", "filters": 2}, {"kind": "maxpool"}, {"kind": "flatten"}]},
    ),
    "generative gan": (
        "generative",
        {"generator_layers": [16], "discriminator_layers": [16], "batch_size": 32, "d_steps": 2},
    ),
}


def plan_of(lab, changes):
    family = FAMILIES[lab]
    plan = family.make_plan(family.make_config(None, changes), None, None)
    return plan, family.fresh_state(plan)


async def train(engine, plan, state, units):
    """`units` of training through the engine, chunk after chunk, as a session's run loop does."""
    done = 0
    while done < units:
        outcome = await engine.train("run", plan, state, units - done)
        state, done = outcome.state, done + outcome.units
    return resolve(state)


def close_enough(a, b, rtol=1e-4, atol=1e-5):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", list(RUNS))
def test_the_batched_and_the_serial_engine_train_a_run_to_the_same_numbers(name):
    lab, changes = RUNS[name]
    plan, start = plan_of(lab, changes)
    units = 60

    async def both():
        results = []
        for engine in (BatchedEngine(), SerialEngine()):
            try:
                await asyncio.wrap_future(engine.prepare(plan, start))
                results.append(await train(engine, plan, start, units))
            finally:
                await asyncio.to_thread(engine.close)
        return results

    batched, serial = run(both())
    close_enough(batched, serial)
    assert not all(
        np.array_equal(np.asarray(x), np.asarray(y))
        for x, y in zip(jax.tree.leaves(batched), jax.tree.leaves(resolve(start)), strict=True)
    )  # it did train


def test_image_lab_runs_in_one_shard_match_their_lone_runs():
    lab, changes = RUNS["images"]
    runs = [plan_of(lab, {**changes, "seed": seed, "learning_rate": 0.002 * seed}) for seed in (1, 2, 3)]
    use = runs[0][0].train_uses()[0]
    assert len({plan.train_uses()[0].key for plan, _ in runs}) == 1  # one kernel for the three
    shard = Shard(use.key, 4, compile_stacked(use.build(), 4, runs[0][1], use.inputs, use.key))
    shard.fill([(i, state, plan.train_uses()[0].inputs) for i, (plan, state) in enumerate(runs)])
    together = shard.train({0: 40, 1: 40, 2: 40})
    for i, (plan, state) in enumerate(runs):
        alone = jax.jit(use.build())(state, plan.train_uses()[0].inputs, np.int32(40))
        assert together[i][1] == 40 and not together[i][2]
        close_enough(together[i][0].value(), alone[0])


def _engine_threads():
    return {t for t in threading.enumerate() if t.name.startswith("nnplay") and t.is_alive()}


@pytest.mark.parametrize("kind", [BatchedEngine, SerialEngine])
def test_an_engine_leaves_no_thread_and_no_kernel_behind_when_closed(kind):
    before = _engine_threads()
    plan, state = plan_of("playground", {"dataset": "circle"})

    async def use_it():
        engine = kind()
        await asyncio.wrap_future(engine.prepare(plan, state))
        trained = await train(engine, plan, state, 30)
        await asyncio.wrap_future(engine.frame(plan, trained, False))
        return engine

    engine = run(use_it())
    assert _engine_threads() - before, "the engine runs its own threads"
    assert engine.compiler.count() > 0
    engine.close()
    assert _engine_threads() - before == set()
    assert engine.compiler.count() == 0 and engine.compiler.in_flight() == 0
