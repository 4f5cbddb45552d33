"""The sequence lab's family: tasks generated as their rules say, edits that keep the weights and the
kernel, typed sequences checked with clear errors, the engines training it alike, side-by-side runs
equal to lone runs, and the CLI's default tasks reaching their targets."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnplay import cli
from nnplay.engine.batched import BatchedEngine
from nnplay.engine.seam import resolve
from nnplay.engine.serial import SerialEngine
from nnplay.families.seq.config import SeqConfigError, make_seq_config
from nnplay.families.seq.family import SeqFamily
from nnplay.families.seq.names import TASKS
from nnplay.families.seq.tasks import FLAG, VALUE, make_batch
from nnplay.families.seq.typed import TypedError, parse_typed

FAMILY = SeqFamily()


def batch(task, length=6, vocab=5, steps=16, recurrent=False, size=32):
    return make_batch(
        TASKS[task], jax.random.PRNGKey(3), size, steps, jnp.asarray(length), jnp.asarray(vocab), recurrent
    )


def test_reverse_copy_and_sort_targets_follow_their_rules_in_place_and_read_then_answer():
    for task, rule in (("reverse", lambda x: x[::-1]), ("copy", lambda x: x), ("sort", sorted)):
        b = batch(task)
        tokens, target, weight = (np.asarray(a) for a in (b.tokens, b.target, b.weight))
        for i in range(8):
            assert list(target[i, :6]) == list(rule(list(tokens[i, :6])))
            assert tokens[i, :6].max() < 5 and np.all(tokens[i, 6:] == -1)
        assert np.all(weight[:, :6] == 1) and np.all(weight[:, 6:] == 0)
        late = batch(task, recurrent=True)
        assert np.all(np.asarray(late.weight)[:, :6] == 0) and np.all(np.asarray(late.weight)[:, 6:12] == 1)
        for i in range(8):
            shown = list(np.asarray(late.tokens)[i, :6])
            assert list(np.asarray(late.target)[i, 6:12]) == list(rule(shown))


def test_adding_parity_and_bracket_targets_follow_their_rules():
    b = batch("adding", length=10)
    x, value, weight = np.asarray(b.x), np.asarray(b.value), np.asarray(b.weight)
    for i in range(8):
        flags = x[i, :10, FLAG] > 0
        assert flags.sum() == 2 and flags[:5].sum() == 1  # one marker in each half
        assert value[i, 9] == pytest.approx(float(x[i, :10, VALUE][flags].sum()), rel=1e-5)
        assert weight[i].sum() == 1 and weight[i, 9] == 1
    dense, final = batch("parity_dense", length=7), batch("parity", length=7)
    bits = np.asarray(dense.tokens)[:, :7]
    np.testing.assert_array_equal(np.asarray(dense.target)[:, :7], np.cumsum(bits, 1) % 2)
    assert np.all(np.asarray(final.weight).sum(1) == 1) and np.all(np.asarray(final.weight)[:, 6] == 1)
    brackets = batch("brackets", length=12)
    closes = np.asarray(brackets.tokens)[:, :12]
    depth = np.cumsum(1 - 2 * closes, axis=1)
    assert depth.min() >= 0
    np.testing.assert_array_equal(np.asarray(brackets.target)[:, :12], depth)


def test_a_batch_is_a_pure_function_of_its_key():
    a, b = batch("sort"), batch("sort")
    np.testing.assert_array_equal(np.asarray(a.tokens), np.asarray(b.tokens))


def test_edits_within_a_bucket_keep_the_kernel_and_the_weights_and_change_only_what_they_name():
    config = make_seq_config(None, {})
    plan = FAMILY.make_plan(config, None, None)
    state = plan.fresh_state()
    for changes, field in (
        ({"width": 20}, "width"),
        ({"length": 5}, "length"),
        ({"learning_rate": 0.003}, "learning_rate"),
        ({"positional": "sinusoidal"}, "positional"),
    ):
        new_plan = FAMILY.make_plan(FAMILY.make_config(config, changes), plan, None)
        assert new_plan.train_uses()[0].key == plan.train_uses()[0].key  # nothing to compile
        kept = FAMILY.fit_state(state, new_plan)
        assert kept is state  # the very same weights and moments
        changed = [
            name
            for name in plan.hyper._fields
            if not np.array_equal(
                np.asarray(getattr(plan.hyper, name)), np.asarray(getattr(new_plan.hyper, name))
            )
        ]
        assert set(changed) <= {field, f"{field}_mask"} and changed, (changes, changed)
    layers = FAMILY.make_plan(FAMILY.make_config(config, {"layers": 2}), plan, None)
    assert layers.net.layers == 2 and layers.train_uses()[0].key != plan.train_uses()[0].key
    carried = FAMILY.fit_state(state, layers)
    np.testing.assert_array_equal(
        np.asarray(carried.params["embed"]["kernel"]), np.asarray(state.params["embed"]["kernel"])
    )
    np.testing.assert_array_equal(
        np.asarray(carried.params["block_0"]["query"]["kernel"]),
        np.asarray(state.params["block_0"]["query"]["kernel"]),
    )


def test_a_wider_bucket_carries_every_weight_it_shares():
    config = make_seq_config(None, {"model": "lstm", "task": "adding", "length": 20})
    plan = FAMILY.make_plan(config, None, None)
    state = plan.fresh_state()
    wide = FAMILY.make_plan(FAMILY.make_config(config, {"width": 48}), plan, None)
    carried = FAMILY.fit_state(state, wide)
    old, new = (
        np.asarray(state.params["layer_0"]["recurrent"]),
        np.asarray(carried.params["layer_0"]["recurrent"]),
    )
    assert new.shape == (4, 64, 64)
    np.testing.assert_array_equal(
        new[:, :32, :32], old
    )  # gate by gate: the forget gate stays the forget gate


@pytest.mark.parametrize(
    ("changes", "text", "words"),
    [
        ({}, "01z", "unknown token 'z' at position 3"),
        ({}, "0123456701", "too long: 10 tokens"),
        ({"task": "brackets"}, "())(", "close more than they open"),
        ({"task": "adding", "length": 10}, "0101", "reads numbers"),
        ({"vocab": 4}, "45", "unknown token '4'"),
    ],
)
def test_a_bad_typed_sequence_is_refused_with_what_is_wrong(changes, text, words):
    with pytest.raises(TypedError, match=words):
        parse_typed(make_seq_config(None, changes), text)
    assert parse_typed(make_seq_config(None, {}), "7 3") == [7, 3]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"length": 33}, "length"),
        ({"model": "gru", "length": 151}, "length"),
        ({"width": 30, "heads": 4}, "width"),
        ({"model": "cnn"}, "model"),
        ({"tempo": 1}, "tempo"),
    ],
)
def test_inconsistent_settings_name_their_field(changes, field):
    with pytest.raises(SeqConfigError) as error:
        make_seq_config(None, changes)
    assert error.value.field == field


def _run(coro):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _train(engine, plan, state, units, run="run"):
    done = 0
    while done < units:
        outcome = await engine.train(run, plan, state, units - done)
        state, done = outcome.state, done + outcome.units
    return resolve(state)


def _close(a, b):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=2e-4, atol=2e-5)


def test_side_by_side_runs_in_one_batched_call_equal_the_same_runs_trained_alone():
    base = {"model": "gru", "task": "parity_dense", "length": 6, "width": 8}
    plans = [
        FAMILY.make_plan(make_seq_config(None, {**base, "seed": s, "learning_rate": lr}), None, None)
        for s, lr in ((1, 0.01), (2, 0.003), (3, 0.03))
    ]
    starts = [p.fresh_state() for p in plans]
    units = 30

    async def together():
        engine = BatchedEngine()
        try:
            await asyncio.wrap_future(engine.prepare(plans[0], starts[0]))
            results = await asyncio.gather(
                *(
                    _train(engine, p, s, units, run=i)
                    for i, (p, s) in enumerate(zip(plans, starts, strict=True))
                )
            )
            return results, engine.stats()
        finally:
            await asyncio.to_thread(engine.close)

    results, _ = _run(together())
    for plan, start, result in zip(plans, starts, results, strict=True):
        alone = plan.train(start, units)  # the same pure chunk, jitted for one run
        _close(result, alone)


def test_frames_through_the_engine_say_what_the_headless_evaluation_says():
    plan = FAMILY.make_plan(
        make_seq_config(None, {"model": "lstm", "task": "parity_dense", "length": 6, "width": 8}), None, None
    )
    state = plan.train(plan.fresh_state(), 5)

    async def frame():
        engine = SerialEngine()
        try:
            return await asyncio.wrap_future(engine.frame(plan, state, False, 3))
        finally:
            await asyncio.to_thread(engine.close)

    served, local = _run(frame()), plan.evaluate(state, 3)
    assert served.index == 3
    assert served.test_loss == pytest.approx(local.test_loss, rel=1e-5)
    np.testing.assert_allclose(
        np.asarray(served.out["example"]["hidden"]), np.asarray(local.out["example"]["hidden"]), atol=1e-6
    )
    assert np.asarray(served.out["example"]["gates"]).shape == (8, 4, 16)  # the width-16 bucket


@pytest.mark.parametrize(
    ("args", "figure", "target"),
    [
        (
            ["--task", "reverse", "--model", "transformer", "--steps", "600", "--until", "0.99"],
            "test_sequence_accuracy",
            0.99,
        ),
        (
            ["--task", "adding", "--model", "gru", "--length", "50", "--steps", "1500", "--until", "0.01"],
            "test_mse",
            0.01,
        ),
    ],
    ids=["reverse-transformer", "adding-T50-gru"],
)
def test_the_default_tasks_reach_their_targets_in_the_cli_on_three_seeds(args, figure, target, capsys):
    for seed in (1, 2, 3):
        assert cli.main(["train", "--lab", "sequences", "--json", "--seed", str(seed), *args]) == 0
        result = json.loads(capsys.readouterr().out)
        if figure == "test_mse":
            assert result["test_mse"] < target, (seed, result)
        else:
            assert result[figure] >= target, (seed, result)
            assert result["test_token_accuracy"] >= target
        assert result["steps"] < int(args[args.index("--steps") + 1])  # reached before the step limit


def test_three_heads_are_refused_with_the_reason_and_an_rnn_ignores_heads():
    with pytest.raises(SeqConfigError) as refused:
        make_seq_config(None, {"model": "transformer", "width": 48, "heads": 3})
    assert refused.value.field == "heads" and "1, 2 or 4" in str(refused.value)
    assert make_seq_config(None, {"model": "transformer", "width": 48, "heads": 4}).heads == 4
    assert make_seq_config(None, {"model": "gru", "heads": 3}).heads == 3


def test_the_cli_compares_models_side_by_side_each_as_it_trains_alone(capsys):
    args = ["train", "--lab", "sequences", "--json", "--task", "copy", "--length", "6", "--steps", "30"]
    assert cli.main([*args, "--model", "gru", "--compare", "lstm"]) == 0
    together = json.loads(capsys.readouterr().out)
    assert together["steps"] == 30 and [m["model"] for m in together["models"]] == ["gru", "lstm"]
    assert together["config"]["compare"] == ["lstm"]
    assert cli.main([*args, "--model", "lstm"]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert abs(together["models"][1]["test_loss"] - alone["test_loss"]) < 1e-4
    assert cli.main([*args, "--model", "gru", "--compare", "gru"]) == 2  # refused in words, on stderr
    assert "--compare: compare lists other models" in capsys.readouterr().err
