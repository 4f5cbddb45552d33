"""Batched kernels: a slot's numbers are those of its lone run, whatever its batch-mates."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnplay.engine import batched
from nnplay.engine.batched import BatchKernels, EvalSlot, ExactSlot, PaddedSlot
from nnplay.families.mlp.evaluate import compiled_evaluate
from nnplay.families.mlp.exact import batch_data, compiled_exact_chunk
from nnplay.families.mlp.train import compiled_train_chunk
from nnplay.families.mlp.trainer import Trainer
from nnplay.schemas import make_config
from nnplay.settings import FEATURE_NAMES

SPIRAL = {"dataset": "spiral", "features": list(FEATURE_NAMES), "hidden_layers": [8, 8, 8]}

# Sixteen different sessions that share one padded bucket (6 x 8), layer kind and optimizer (SGD).
MIXED = [
    {**SPIRAL, "seed": 1},
    {**SPIRAL, "seed": 2, "learning_rate": 0.1},
    {"dataset": "xor", "features": ["x1", "x2"], "hidden_layers": [4, 2], "seed": 3},
    {"dataset": "circle", "hidden_layers": [], "activation": "relu", "seed": 4},
    {"dataset": "gauss", "hidden_layers": [8] * 6, "activation": "sigmoid", "learning_rate": 0.3},
    {"dataset": "spiral", "features": ["x1", "x2", "sin_x1"], "hidden_layers": [3, 7], "batch_size": 7},
    {**SPIRAL, "batch_size": 25, "activation": "linear", "seed": 7},
    {**SPIRAL, "regularization": "l2", "regularization_rate": 0.01, "seed": 8},
    {**SPIRAL, "regularization": "l1", "regularization_rate": 0.001, "seed": 9, "batch_size": 3},
    {"dataset": "moons", "features": ["x1", "x2", "x1_x2"], "hidden_layers": [5, 5, 5], "seed": 10},
    {"dataset": "checkerboard", "hidden_layers": [8, 8], "noise": 20, "seed": 11},
    {"dataset": "circle", "train_ratio": 30, "hidden_layers": [2], "seed": 12},
    {"dataset": "plane", "problem": "regression", "hidden_layers": [6, 3], "seed": 13},
    {**SPIRAL, "activation": "relu", "learning_rate": 0.01, "seed": 14},
    {"dataset": "xor", "hidden_layers": [1, 1, 1, 1], "seed": 15, "batch_size": 30},
    {**SPIRAL, "train_ratio": 80, "seed": 16},
]


def session(changes):
    trainer = Trainer(make_config(None, changes))
    return trainer, trainer.init_params()


def padded_slot(changes):
    trainer, state = session(changes)
    plan = trainer.plan
    return PaddedSlot(state, plan.arch, plan.hyper, plan.train_data), trainer


def alone_padded(slot, epochs):
    shape = batched.padded_key(slot).shape
    return compiled_train_chunk(shape)(slot.state, slot.arch, slot.hyper, slot.data, jnp.int32(epochs))


def assert_states_close(a, b, rtol=1e-5, atol=1e-6):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def assert_states_equal(a, b):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def run_padded(kernels, slots, counts, n_slots=None):
    n_slots = n_slots or batched.slot_count(len(slots), 32)
    inputs = batched.pad_slots(slots, n_slots)
    fn = kernels.compile_padded(inputs, batched.epoch_counts([1], n_slots))
    return fn(inputs, batched.epoch_counts(counts, n_slots))[: len(slots)]


@pytest.fixture(scope="module")
def kernels():
    return BatchKernels()


@pytest.fixture(scope="module")
def mixed():
    return [padded_slot(changes)[0] for changes in MIXED]


def test_slot_count_is_the_next_power_of_two_capped():
    assert [batched.slot_count(m, 32) for m in (1, 2, 3, 5, 16, 17, 32, 40)] == [1, 2, 4, 8, 16, 32, 32, 32]
    assert batched.slot_count(9, 8) == 8
    with pytest.raises(ValueError):
        batched.slot_count(0, 32)


def test_mixed_configs_in_one_padded_batch_match_their_lone_runs_after_500_epochs(kernels, mixed):
    assert len({batched.padded_key(s) for s in mixed}) == 1  # one batch key
    together = run_padded(kernels, mixed, [500] * len(mixed))
    for slot, result in zip(mixed, together, strict=True):
        alone = alone_padded(slot, 500)
        assert int(result.epochs) == int(alone.epochs) and bool(result.diverged) == bool(alone.diverged)
        assert_states_close(result.state, alone.state)


def test_each_slot_stops_at_its_own_epoch_count(kernels, mixed):
    counts = [3 * i for i in range(len(mixed))]  # slot 0 trains no epoch at all
    results = run_padded(kernels, mixed, counts)
    assert [int(r.epochs) for r in results] == counts
    assert [int(r.state.epoch) for r in results] == counts
    assert_states_equal(results[0].state, mixed[0].state)  # n = 0 leaves the state as it was
    assert_states_close(results[5].state, alone_padded(mixed[5], 15).state)


def test_a_slot_ignores_its_batch_mates_bit_for_bit(kernels, mixed):
    first = run_padded(kernels, mixed, [40] * 16)
    other_mates = [mixed[0], *[padded_slot({**SPIRAL, "seed": 100 + i})[0] for i in range(15)]]
    second = run_padded(kernels, other_mates, [40] + [7] * 15)
    assert_states_equal(first[0].state, second[0].state)


WILD = {"learning_rate": 10, "activation": "relu", "dataset": "plane", "problem": "regression"}


def test_a_diverging_slot_stops_alone_and_leaves_the_others_untouched(kernels, mixed):
    wild, _ = padded_slot(WILD)
    slots = [*mixed[:15], wild]
    results = run_padded(kernels, slots, [60] * 16)
    alone = alone_padded(wild, 60)
    assert bool(results[-1].diverged) and int(results[-1].epochs) == int(alone.epochs) < 60
    assert_states_close(results[-1].state, alone.state)
    assert all(not bool(r.diverged) and int(r.epochs) == 60 for r in results[:15])
    calm = run_padded(kernels, mixed, [60] * 16)
    for a, b in zip(results[:15], calm[:15], strict=True):
        assert_states_equal(a.state, b.state)


def test_a_repeated_batch_gives_the_same_numbers_bit_for_bit(kernels, mixed):
    first = run_padded(kernels, mixed[:8], [100] * 8)
    second = run_padded(kernels, mixed[:8], [100] * 8)
    for a, b in zip(first, second, strict=True):
        assert_states_equal(a.state, b.state)


def test_one_slot_runs_the_plain_padded_kernel_bit_for_bit(kernels, mixed):
    [result] = run_padded(kernels, mixed[:1], [50], n_slots=1)
    assert_states_equal(result.state, alone_padded(mixed[0], 50).state)


@pytest.mark.parametrize("optimizer", ["adam", "momentum", "rmsprop"])
def test_other_optimizers_batch_with_their_own_kind_and_ignore_their_batch_mates(optimizer):
    changes = [
        {**SPIRAL, "optimizer": optimizer, "learning_rate": 0.01, "seed": 1},
        {"dataset": "xor", "hidden_layers": [4, 4], "optimizer": optimizer, "learning_rate": 0.003},
        {"dataset": "circle", "optimizer": optimizer, "learning_rate": 0.02, "batch_size": 5},
    ]
    slots = [padded_slot(c)[0] for c in changes]
    kernels = BatchKernels()
    # Against the lone (unbatched) kernel: equal within float round-off. XLA compiles the optimizer's
    # update differently once it is vmapped (1 ulp after an epoch), and a chaotic run (the spiral here)
    # amplifies that (momentum here: ~1e-4 relative after 5 epochs), so the comparison is after one.
    for slot, result in zip(slots, run_padded(kernels, slots, [1] * 3), strict=True):
        assert_states_close(result.state, alone_padded(slot, 1).state)
    # Among batches: bit for bit, whatever the batch-mates and the slot count (here 4 and 16).
    first = run_padded(kernels, slots, [200] * 3)
    others = [padded_slot({**c, "seed": 50 + i})[0] for i, c in enumerate(changes * 5)]
    second = run_padded(kernels, [slots[0], *others], [200] + [30] * 15)
    assert_states_equal(first[0].state, second[0].state)


def exact_slots(changes_list):
    trainers = [session(c) for c in changes_list]
    spec = trainers[0][0].plan.exact_spec
    assert all(t.plan.exact_spec == spec for t, _ in trainers)
    slots = [
        ExactSlot(state, t.plan.hyper, batch_data(spec, t.plan.train_features, t.plan.split.train_y))
        for t, state in trainers
    ]
    return spec, slots


def test_thirty_two_sessions_of_one_exact_spec_match_their_lone_runs_after_500_epochs():
    # one spec (same net, batch size and training-set size); own data sets, seeds and learning rates
    datasets = ["spiral", "circle", "xor", "gauss"]
    changes = [
        {**SPIRAL, "dataset": datasets[i % 4], "seed": i, "learning_rate": [0.03, 0.01, 0.1][i % 3]}
        for i in range(32)
    ]
    spec, slots = exact_slots(changes)
    kernels = BatchKernels()
    counts = batched.epoch_counts([500] * 32, 32)
    fn = kernels.compile_exact(spec, slots, counts)
    results = fn(slots, counts)
    plain = compiled_exact_chunk(spec)
    for slot, result in zip(slots, results, strict=True):
        alone = plain(slot.state, slot.hyper, slot.data, jnp.int32(500))
        assert int(result.epochs) == int(alone.epochs)
        assert_states_close(result.state, alone.state)
    again = fn(slots, counts)
    for a, b in zip(results, again, strict=True):
        assert_states_equal(a.state, b.state)


def test_batched_exact_agrees_with_batched_padded():
    spec, slots = exact_slots([{**SPIRAL, "seed": i} for i in range(4)])
    padded = [padded_slot({**SPIRAL, "seed": i})[0] for i in range(4)]
    counts = batched.epoch_counts([30] * 4, 4)
    exact = BatchKernels().compile_exact(spec, slots, counts)(slots, counts)
    padded_results = run_padded(BatchKernels(), padded, [30] * 4)
    for a, b in zip(exact, padded_results, strict=True):
        np.testing.assert_allclose(np.asarray(a.state.params.w), np.asarray(b.state.params.w), atol=1e-4)


def test_batched_evaluation_matches_lone_evaluation():
    trainers = [session(c) for c in MIXED[:5]]
    slots = [EvalSlot(state.params, t.plan.arch, t.plan.eval_data) for t, state in trainers]
    keys = {batched.eval_key(s) for s in slots}
    assert len(keys) == 1
    inputs = batched.pad_slots(slots, 8)
    results = BatchKernels().compile_evaluate(inputs)(inputs)
    for slot, result in zip(slots, results, strict=False):
        alone = compiled_evaluate()(slot.params, slot.arch, slot.data)
        for field in ("train_loss", "test_loss", "train_accuracy", "grad_w"):
            np.testing.assert_allclose(getattr(result, field), getattr(alone, field), rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(result.output_grid, alone.output_grid)


def test_kernels_are_cached_by_key_and_slot_count(kernels, mixed):
    before = kernels.count()
    run_padded(kernels, mixed[:3], [1] * 3)  # 4 slots: compiled by an earlier test? count it once
    middle = kernels.count()
    run_padded(kernels, mixed[:4], [2] * 4)
    assert kernels.count() == middle and middle - before <= 1
    assert 4 in kernels.ready_slot_counts("padded", batched.padded_key(mixed[0]))


def test_batches_grow_by_compiling_the_next_size_and_shrink_without_compiling():
    plan = batched.plan_batches
    assert plan(5, [], 32) == ([], 8)  # nothing ready: wait for the compile
    assert plan(5, [8], 32) == ([(5, 8)], None)
    assert plan(9, [8], 32) == ([(8, 8), (1, 8)], 16)  # grown past 8: split meanwhile
    assert plan(7, [32], 32) == ([(7, 32)], None)  # a few left: the big batch still serves
    assert plan(3, [32], 32) == ([(3, 32)], 4)  # under a quarter full: a smaller one compiles
    assert plan(40, [32], 32) == ([(32, 32), (8, 32)], None)  # more than fit: split
    assert plan(1, [2], 32, min_slots=2) == ([(1, 2)], None)


def test_random_parts_come_from_each_sessions_own_seed_not_its_slot():
    # dropout masks and the reshuffled order are keyed by the session's seed (and epoch, step)
    kind = {**SPIRAL, "dropout": 0.2, "shuffle": "on", "activation": "relu"}
    slots = [padded_slot({**kind, "seed": i, "batch_size": 5 + i})[0] for i in range(4)]
    assert batched.padded_key(slots[0]).kind.dropout and batched.padded_key(slots[0]).kind.shuffle
    kernels = BatchKernels()
    forward = run_padded(kernels, slots, [100] * 4)
    backward = run_padded(kernels, slots[::-1], [100] * 4)[::-1]  # every session in another slot
    for slot, a, b in zip(slots, forward, backward, strict=True):
        assert_states_equal(a.state, b.state)
        # the lone run draws the same masks and orders: only float round-off apart (the vmapped dropout
        # scaling compiles differently), where another seed's stream ends ~0.9 apart
        assert_states_close(a.state, alone_padded(slot, 100).state, rtol=1e-3, atol=1e-4)
    assert not np.array_equal(forward[0].state.params.w, forward[1].state.params.w)
