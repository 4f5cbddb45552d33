"""The sequence lab's padded stand-ins: an edit past its bucket keeps training in a larger compiled bucket
while its own kernel compiles, and the padded kernel computes exactly the smaller net."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnplay.engine.batched import BatchedEngine
from nnplay.engine.seam import resolve
from nnplay.engine.serial import SerialEngine
from nnplay.families.seq import plan as seq_plan
from nnplay.families.seq.config import make_seq_config
from nnplay.families.seq.family import SeqFamily
from nnplay.families.seq.frames import frame_payload
from nnplay.families.seq.kernel import KernelKey, NetKey
from nnplay.families.seq.names import TASK_NAMES, TASKS
from nnplay.families.seq.standby import holds
from nnplay.families.seq.tasks import make_batch

FAMILY = SeqFamily()
LSTM = {"model": "lstm", "task": "parity_dense", "length": 6, "width": 8}


def _close(a, b, rtol=2e-4, atol=2e-5):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def _edited(changes, edit, steps=5):
    """A run trained `steps` in its bucket, then edited: (the new plan, its state, the old plan)."""
    old = FAMILY.make_plan(make_seq_config(None, changes), None, None)
    state = old.train(old.fresh_state(), steps)
    new = FAMILY.make_plan(make_seq_config(old.config, edit), old, None)
    return new, FAMILY.fit_state(state, new), old


@pytest.mark.parametrize("task", TASK_NAMES)
def test_a_batch_is_the_same_sequences_in_every_bucket_of_steps(task):
    def draw(steps, recurrent):
        length = jnp.asarray(5 if TASKS[task].seq2seq else 10)
        return make_batch(TASKS[task], jax.random.PRNGKey(7), 16, steps, length, jnp.asarray(6), recurrent)

    for recurrent in (False, True):
        small, big = draw(16, recurrent), draw(64, recurrent)
        for a, b in zip(small, big, strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b)[:, :16])


@pytest.mark.parametrize(
    ("changes", "edit"),
    [
        (LSTM, {"width": 20}),  # a wider bucket
        (LSTM, {"length": 12}),  # more steps
        ({**LSTM, "model": "gru", "task": "adding"}, {"layers": 2}),  # more layers
        ({**LSTM, "width": 20}, {"width": 8}),  # a narrower edit: the bucket it trained in stands in
    ],
    ids=["width", "length", "layers", "narrower"],
)
def test_every_stand_in_trains_exactly_the_smaller_net(changes, edit):
    plan, state, old = _edited(changes, edit)
    standbys = [use for use in plan.train_uses() if use.standby]
    assert standbys and not plan.train_uses()[0].standby
    if edit.get("width") == 8:
        assert ("seq.train", old.kernel_key) in [use.key for use in standbys]
    exact = plan.train(state, 10)
    for use in standbys[:3]:  # the smallest stand-ins (the largest ones cost seconds to compile here)
        trained, done, diverged = jax.jit(use.build())(use.fit(state), use.inputs, np.int32(10))
        assert int(done) == 10 and not bool(diverged)
        back = use.unfit(trained)
        assert jax.tree.structure(back) == jax.tree.structure(exact)
        _close(back, exact, rtol=1e-5, atol=1e-6)


def test_a_padded_transformer_says_what_the_exact_one_says():
    """Attention's key bias has no gradient (a softmax ignores a shift): Adam moves it by round-off, so the
    weights agree up to that direction and every figure agrees."""
    plan, state, _ = _edited({"model": "transformer", "length": 6, "width": 16}, {"length": 12, "layers": 2})
    exact = plan.evaluate(plan.train(state, 10))
    for use in [u for u in plan.train_uses() if u.standby][:2]:
        trained, _, _ = jax.jit(use.build())(use.fit(state), use.inputs, np.int32(10))
        padded = plan.evaluate(use.unfit(trained))
        assert padded.test_loss == pytest.approx(exact.test_loss, rel=1e-5)
        assert padded.test_accuracy == pytest.approx(exact.test_accuracy, abs=1e-6)


def _hold_own_compiles(monkeypatch, plan) -> tuple[threading.Event, threading.Event]:
    """Make the builds of `plan`'s own kernels (training and frame) wait until the test lets them go:
    (set when one is building, the event that releases them)."""
    building, release = threading.Event(), threading.Event()
    make_chunk, make_frame = seq_plan.make_train_chunk, seq_plan.SeqPlan._frame_builder

    def held(key):
        if key in (plan.kernel_key, plan.net):
            building.set()
            release.wait(120)
        return make_frame(key) if isinstance(key, NetKey) else make_chunk(key)

    monkeypatch.setattr(seq_plan, "make_train_chunk", held)
    monkeypatch.setattr(seq_plan.SeqPlan, "_frame_builder", staticmethod(held))
    return building, release


def _run(coro):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.mark.parametrize("engine_kind", [BatchedEngine, SerialEngine])
def test_an_edit_past_its_bucket_trains_padded_until_its_own_kernel_compiles(engine_kind, monkeypatch):
    base = make_seq_config(None, LSTM)
    plan, start, _ = _edited(LSTM, {"width": 20})  # bucket 16 -> 32
    wider = FAMILY.make_plan(make_seq_config(base, {"width": 40}), None, None)  # bucket 64: compiled first
    assert ("seq.train", wider.kernel_key) in [use.key for use in plan.train_uses() if use.standby]
    make_chunk, make_frame = seq_plan.make_train_chunk, seq_plan.SeqPlan._frame_builder
    building, release = _hold_own_compiles(monkeypatch, plan)  # the new bucket's

    async def scenario():
        engine = engine_kind()
        try:
            outcome = await engine.train("wider", wider, wider.fresh_state(), 1)
            assert outcome.kernel == "lstm"
            await asyncio.wrap_future(engine.frame(wider, outcome.state, False, 0))  # its frame kernel too
            assert engine.ready(plan)  # a stand-in is compiled: the run does not wait
            compiled = engine.stats()["compiles"]
            state, padded_units, kernels = start, 0, set()
            for _ in range(4):
                outcome = await engine.train("run", plan, state, 3)
                state, padded_units = outcome.state, padded_units + outcome.units
                kernels.add(outcome.kernel)
            assert kernels == {"lstm (padded)"}
            assert padded_units > 0  # the epoch went on ...
            assert not release.is_set() and building.is_set()  # ... while the new bucket's kernel was held
            assert engine.stats()["compiles_in_flight"] >= 1
            padded = (resolve(state), padded_units)
            # its frame, made in the larger bucket while the new one's frame kernel is held too
            shown = await asyncio.wrap_future(engine.frame(plan, state, False, 0))
            assert not release.is_set()
            release.set()
            exact_units = 0
            while outcome.kernel != "lstm":  # the new kernel lands: the run moves to it
                outcome = await engine.train("run", plan, state, 3)
                state = outcome.state
                exact_units += outcome.units if outcome.kernel == "lstm" else 0
                padded_units += outcome.units if outcome.kernel != "lstm" else 0
            grew = engine.stats()["compiles"] - compiled
            return padded, shown, resolve(state), padded_units + exact_units, grew
        finally:
            release.set()
            await asyncio.to_thread(engine.close)

    (padded, held_units), shown, final, total_units, grew = _run(scenario())
    assert grew >= 1  # the new bucket's kernel compiled (counted by the engine)
    monkeypatch.setattr(seq_plan, "make_train_chunk", make_chunk)
    monkeypatch.setattr(seq_plan.SeqPlan, "_frame_builder", staticmethod(make_frame))
    # The padded frame tells the truth: the config's units and steps, the exact evaluation's figures.
    exact = plan.evaluate(padded, 0)
    assert shown.test_loss == pytest.approx(exact.test_loss, rel=1e-5)
    payload, truth = frame_payload(shown, plan)["hidden"], frame_payload(exact, plan)["hidden"]
    assert payload["shape"] == truth["shape"] == [20, 6]
    pixels = [np.frombuffer(p["data"], np.uint8).astype(int) for p in (payload, truth)]
    assert np.abs(pixels[0] - pixels[1]).max() <= 1  # uint8 pictures of the same numbers
    # What the exact kernel gives, within round-off: after the padded chunks, and after all of them.
    _close(padded, plan.train(start, held_units))
    _close(final, plan.train(start, total_units))
    assert int(final.step) == int(start.step) + total_units


@pytest.mark.parametrize("engine_kind", [BatchedEngine, SerialEngine])
def test_a_training_run_compiles_the_bucket_one_up_so_a_wider_edit_trains_padded_at_once(
    engine_kind, monkeypatch
):
    plan, _, old = _edited(LSTM, {"width": 20})  # bucket 16 -> 32: nothing of width 32 compiled yet
    assert old.warm_net == NetKey("lstm", "parity_dense", 16, 32, 2, 1) and holds(old.warm_net, plan.net)
    warm = [use.key for use in old.train_uses() if use.warm]
    assert warm == [("seq.train", KernelKey(old.warm_net, "adam", "constant", old.config.batch_size))]
    assert [use.warm for use in plan.train_uses()].count(True) == 1  # the new bucket's own neighbour
    _, release = _hold_own_compiles(monkeypatch, plan)  # the edit's own kernels

    async def scenario():
        engine = engine_kind()
        try:
            state = old.fresh_state()
            assert not engine.ready(plan)
            for _ in range(2):  # training and frames in the run's own kernels ...
                state = (await engine.train("run", old, state, 2)).state
                await asyncio.wrap_future(engine.frame(old, state, False, 0))
            deadline = time.monotonic() + 300
            while engine.stats()["compiles_in_flight"] and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert engine.ready(plan)  # ... compiled the bucket one up in the background
            edited = FAMILY.fit_state(state, plan)
            outcome = await engine.train("run", plan, edited, 3)
            assert outcome.kernel == "lstm (padded)" and outcome.units > 0  # no wait for the new bucket
            frame = engine.frame(plan, outcome.state, False, 0)
            shown = await asyncio.wait_for(asyncio.wrap_future(frame), 60)
            assert not release.is_set()  # made padded while the edit's own frame kernel is held
            return shown
        finally:
            release.set()
            await asyncio.to_thread(engine.close)

    shown = _run(scenario())
    assert frame_payload(shown, plan)["hidden"]["shape"] == [20, 6]
