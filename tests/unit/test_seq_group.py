"""Side by side: RNN, GRU and LSTM of one config trained at once, on identical batches, in ONE engine
call per tick; each member equal to the same run trained alone; the frames show every member."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import jax
import msgpack
import numpy as np
import pytest

from nnplay.engine.batched import BatchedEngine
from nnplay.engine.seam import resolve
from nnplay.engine.serial import SerialEngine
from nnplay.families.seq.config import SeqConfigError, make_seq_config
from nnplay.families.seq.family import SeqFamily
from nnplay.families.seq.frames import encode_frame
from nnplay.sessions.family import Stamp

FAMILY = SeqFamily()
BASE = {"task": "parity_dense", "length": 6, "width": 8, "model": "rnn"}
CELLS = ("rnn", "gru", "lstm")


def _group(**changes):
    config = make_seq_config(None, {**BASE, "compare": ["gru", "lstm"], **changes})
    return FAMILY.make_plan(config, None, None)


def _alone(model, **changes):
    return FAMILY.make_plan(make_seq_config(None, {**BASE, "model": model, **changes}), None, None)


def _close(a, b):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=2e-4, atol=2e-5)


def _run(coro):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _train(engine, plan, state, units, run):
    """Train `units` in chunks; the outcomes' units and members per call."""
    done, outcomes = 0, []
    while done < units:
        outcome = await engine.train(run, plan, state, units - done)
        state, done = outcome.state, done + outcome.units
        outcomes.append(outcome)
    return resolve(state), outcomes


def test_a_side_by_side_run_trains_each_member_on_the_same_batches_as_it_would_alone():
    group = _group()
    state = group.train(group.fresh_state(), 25)
    assert len(state) == 3
    for model, member in zip(CELLS, state, strict=True):
        alone = _alone(model)
        _close(member, alone.train(alone.fresh_state(), 25))


def test_side_by_side_members_in_one_batched_call_per_tick_equal_the_same_runs_trained_alone():
    group, units = _group(), 30
    lone = [_alone(model) for model in CELLS]

    async def scenario():
        engine = BatchedEngine()
        try:
            await asyncio.wrap_future(engine.prepare(group, group.fresh_state()))
            for plan in lone:
                await asyncio.wrap_future(engine.prepare(plan, plan.fresh_state()))
            before = engine.stats()
            trained, outcomes = await _train(engine, group, group.fresh_state(), units, "group")
            grouped = engine.stats()
            separate = await asyncio.gather(
                *(_train(engine, p, p.fresh_state(), units, f"alone-{i}") for i, p in enumerate(lone))
            )
            after = engine.stats()
            return trained, outcomes, before, grouped, separate, after
        finally:
            await asyncio.to_thread(engine.close)

    trained, outcomes, before, grouped, separate, after = _run(scenario())
    for plan, member in zip(lone, trained, strict=True):
        _close(member, plan.train(plan.fresh_state(), units))  # each member: what it does alone
    # One training call per tick for the whole group: every chunk of it was one call that trained all three.
    assert grouped["training_calls"] - before["training_calls"] == len(outcomes)
    assert all(o.kernel == "side by side" and o.batch_members == 1 for o in outcomes)
    # The same three cells as three runs: a call each per tick (three kernels, three calls).
    separate_chunks = sum(len(chunks) for _, chunks in separate)
    assert after["training_calls"] - grouped["training_calls"] == separate_chunks
    assert separate_chunks >= 3 * min(len(chunks) for _, chunks in separate)
    for (state, _), plan in zip(separate, lone, strict=True):
        _close(state, plan.train(plan.fresh_state(), units))


def test_a_side_by_side_frame_shows_every_members_figures_and_hidden_state():
    group = _group()
    state = group.train(group.fresh_state(), 10)

    async def frame():
        engine = SerialEngine()
        try:
            return await asyncio.wrap_future(engine.frame(group, state, False, 2))
        finally:
            await asyncio.to_thread(engine.close)

    served = _run(frame())
    assert len(served.members) == 3 and served.healthy
    for model, member, out in zip(CELLS, state, served.members, strict=True):
        local = _alone(model).evaluate(member, 2)
        assert float(out["test"]["loss"]) == pytest.approx(local.test_loss, rel=1e-5)
        np.testing.assert_allclose(out["example"]["hidden"], local.out["example"]["hidden"], atol=1e-6)
    payload = msgpack.unpackb(encode_frame(Stamp(10, 10.0, "paused", 1, 0.0, 0, group, 2), served))
    assert [m["model"] for m in payload["members"]] == list(CELLS)
    assert all(m["hidden"]["shape"] == [8, 6] for m in payload["members"])  # units x steps in use
    assert payload["gates"] == []  # the page's views follow the first member: the RNN has no gates


def test_an_edit_within_the_bucket_keeps_every_members_weights_and_the_kernel():
    group = _group()
    state = group.train(group.fresh_state(), 5)
    changes = {"learning_rate": 0.003, "width": 12}
    edited = FAMILY.make_plan(make_seq_config(group.config, changes), group, None)
    assert edited.train_uses()[0].key == group.train_uses()[0].key  # nothing to compile
    kept = FAMILY.fit_state(state, edited)
    _close(kept, state)
    assert FAMILY.fresh_run_reason(group.config, make_seq_config(group.config, {"compare": ["lstm"]}))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"compare": ["rnn"]}, "compare"),  # the run's own model again
        ({"compare": ["gru", "gru"]}, "compare"),
        ({"compare": ["mamba"]}, "compare"),
        ({"compare": ["transformer"], "width": 10, "heads": 4}, "width"),
        ({"compare": ["transformer"], "task": "adding", "length": 100}, "length"),
    ],
)
def test_a_bad_side_by_side_names_its_field(changes, field):
    with pytest.raises(SeqConfigError) as error:
        make_seq_config(None, {**BASE, **changes})
    assert error.value.field == field
