import random

import jax
import numpy as np
import pytest

from nnplay.engine import runtime
from nnplay.families.mlp.trainer import Trainer
from nnplay.schemas import make_config
from nnplay.settings import FEATURE_NAMES

SPIRAL = {"dataset": "spiral", "features": list(FEATURE_NAMES), "hidden_layers": [8] * 6}


def losses_after(changes, epochs, exact):
    trainer = Trainer(make_config(None, changes))
    params = trainer.init_params()
    if exact:
        trainer.prepare_exact(params)
    outcome = trainer.train(params, epochs)
    assert outcome.kernel == ("exact" if exact else "padded")
    ev = trainer.evaluate(outcome.params)
    return ev.train_loss, ev.test_loss, outcome


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"regularization": "l2", "regularization_rate": 0.01, "batch_size": 7},
        {"dataset": "xor", "activation": "relu"},
    ],
)
def test_exact_kernel_matches_padded_kernel(changes):
    padded = losses_after(changes, 40, exact=False)
    exact = losses_after(changes, 40, exact=True)
    np.testing.assert_allclose(padded[:2], exact[:2], rtol=1e-3)


def test_same_config_and_seed_give_bit_identical_losses():
    first = losses_after({"dataset": "gauss", "noise": 20}, 60, exact=False)
    second = losses_after({"dataset": "gauss", "noise": 20}, 60, exact=False)
    assert first[:2] == second[:2]
    first = losses_after({"dataset": "gauss", "noise": 20}, 60, exact=True)
    second = losses_after({"dataset": "gauss", "noise": 20}, 60, exact=True)
    assert first[:2] == second[:2]


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize(
    "changes",
    [{}, {"optimizer": "adam", "schedule": "cosine", "schedule_epochs": 25, "learning_rate": 0.01}],
)
def test_chunking_does_not_change_the_result(changes, exact):
    trainer = Trainer(make_config(None, changes))
    params = trainer.init_params()
    if exact:
        trainer.prepare_exact(params)
    whole = trainer.train(params, 30).params
    split = params
    for n in (7, 13, 10):
        split = trainer.train(split, n).params
    # weights, the optimizer's moments and the schedule's clock alike
    for a, b in zip(jax.tree.leaves(whole), jax.tree.leaves(split), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_edits_within_the_reference_limits_never_recompile():
    trainer = Trainer(make_config())
    params = trainer.init_params()
    params = trainer.train(params, 2).params
    trainer.evaluate(params)
    before = runtime.compile_count()
    rng = random.Random(1)
    config = trainer.config
    for _ in range(40):
        changes = {
            "features": rng.sample(FEATURE_NAMES, rng.randint(1, 7)),
            "hidden_layers": [rng.randint(1, 8) for _ in range(rng.randint(0, 6))],
            "activation": rng.choice(["relu", "tanh", "sigmoid", "linear"]),
            "learning_rate": rng.choice([0.001, 0.03, 0.3]),
            "regularization": rng.choice(["none", "l1", "l2"]),
            "regularization_rate": rng.choice([0.0, 0.01]),
            "batch_size": rng.randint(1, 30),
            "dataset": rng.choice(["circle", "xor", "gauss", "spiral"]),
            "noise": rng.choice([0, 15, 50]),
            "train_ratio": rng.choice([10, 50, 90]),
        }
        config = make_config(config, changes)
        trainer.configure(config)
        params = trainer.fit_params(params)
        params = trainer.train(params, 2).params
        trainer.evaluate(params)
    assert runtime.compile_count() == before


def test_extended_mode_trains_a_10_by_32_net():
    _, _, outcome = losses_after({"mode": "extended", "hidden_layers": [32] * 10}, 3, exact=False)
    assert outcome.params.params.w.shape == (12, 32, 32)
    assert outcome.epochs == 3


def test_growing_past_a_bucket_keeps_the_existing_weights():
    trainer = Trainer(make_config(None, {"mode": "extended"}))
    params = trainer.train(trainer.init_params(), 5).params
    trainer.configure(make_config(trainer.config, {"hidden_layers": [20, 2]}))
    grown = trainer.fit_params(params).params
    assert grown.w.shape == (6, 32, 32)
    np.testing.assert_array_equal(np.asarray(grown.w)[:, :8, :8], np.asarray(params.params.w))


def test_frame_weights_have_the_exact_shapes():
    trainer = Trainer(make_config(None, {"features": ["x1", "x2", "sin_x1"], "hidden_layers": [5, 3]}))
    ev = trainer.evaluate(trainer.init_params())
    assert [w.shape for w in ev.weights] == [(3, 5), (5, 3), (3, 1)]
    assert [b.shape for b in ev.biases] == [(5,), (3,), (1,)]
    assert ev.neuron_grids.shape == (8, 100)
    assert ev.output_grid.shape == (10000,) and ev.output_grid.dtype == np.uint8


@pytest.mark.parametrize("lr", [10, 3])
def test_high_learning_rate_with_relu_diverges_and_keeps_usable_weights(lr):
    changes = {"learning_rate": lr, "activation": "relu", "dataset": "plane", "problem": "regression"}
    trainer = Trainer(make_config(None, changes))
    outcome = trainer.train(trainer.init_params(), 500)
    assert outcome.diverged and outcome.epochs < 500
    ev = trainer.evaluate(outcome.params)
    assert np.isfinite(ev.train_loss) and np.isfinite(ev.test_loss)


def test_switching_to_a_new_activation_kind_compiles_once_and_padded_matches_exact():
    trainer = Trainer(make_config(None, {"activation": "elu"}))
    state = trainer.train(trainer.init_params(), 2).params  # compiles the elu kernel
    trainer.configure(make_config(trainer.config, {"activation": "tanh"}))
    state = trainer.train(trainer.fit_params(state), 1).params  # ... and the blended one
    trainer.evaluate(state)
    trainer.configure(make_config(trainer.config, {"activation": "elu"}))
    trainer.evaluate(state)
    before = runtime.compile_count()
    for activation in ("elu", "tanh", "elu", "relu"):  # elu is compiled already, the blend too
        trainer.configure(make_config(trainer.config, {"activation": activation}))
        state = trainer.train(trainer.fit_params(state), 1).params
        trainer.evaluate(state)
    assert runtime.compile_count() == before
    padded = losses_after({"activation": "gelu", "dataset": "xor"}, 30, exact=False)
    exact = losses_after({"activation": "gelu", "dataset": "xor"}, 30, exact=True)
    np.testing.assert_allclose(padded[:2], exact[:2], rtol=1e-3)
