"""Dropout: on in training only, inverted scaling, deterministic masks, no recompile for a new rate."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnplay.engine import runtime
from nnplay.families.mlp.trainer import Trainer
from nnplay.features import feature_mask
from nnplay.models.mlp import MlpShape, drop, forward, make_arch
from nnplay.models.mlp_init import init_params
from nnplay.schemas import ConfigError, make_config

X = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (64, 8)).astype(np.float32))


def test_drop_zeroes_about_rate_and_scales_the_rest_to_keep_the_mean():
    a = jnp.ones((200, 50))
    dropped = np.asarray(drop(a, jax.random.PRNGKey(0), jnp.float32(0.3)))
    np.testing.assert_allclose(np.unique(dropped), [0.0, 1 / 0.7], rtol=1e-6)
    assert (dropped == 0).mean() == pytest.approx(0.3, abs=0.02)
    assert dropped.mean() == pytest.approx(1.0, abs=0.03)


def test_training_forward_differs_from_evaluation_which_is_deterministic():
    shape = MlpShape(6, 8)
    params = init_params(jax.random.PRNGKey(1), shape)
    arch = make_arch(shape, feature_mask(["x1", "x2"]), [8, 8], "relu", "linear", dropout=True)
    rate = jnp.float32(0.5)
    evaluation, _ = forward(params, arch, X)
    again, _ = forward(params, arch, X)
    train_a, _ = forward(params, arch, X, (jax.random.PRNGKey(2), rate))
    train_b, _ = forward(params, arch, X, (jax.random.PRNGKey(3), rate))
    np.testing.assert_array_equal(np.asarray(evaluation), np.asarray(again))
    assert not np.allclose(np.asarray(train_a), np.asarray(evaluation))
    assert not np.allclose(np.asarray(train_a), np.asarray(train_b))
    same_key, _ = forward(params, arch, X, (jax.random.PRNGKey(2), rate))
    np.testing.assert_array_equal(np.asarray(train_a), np.asarray(same_key))


def test_dropout_runs_are_reproducible_and_differ_from_no_dropout():
    def final_loss(changes):
        trainer = Trainer(make_config(None, {"hidden_layers": [8, 8], **changes}))
        return trainer.evaluate(trainer.train(trainer.init_params(), 40).params).train_loss

    with_dropout = final_loss({"dropout": 0.3})
    assert with_dropout == final_loss({"dropout": 0.3})
    assert with_dropout != final_loss({})


def test_changing_the_dropout_rate_does_not_recompile():
    trainer = Trainer(make_config(None, {"dropout": 0.1}))
    state = trainer.train(trainer.init_params(), 2).params
    trainer.evaluate(state)
    before = runtime.compile_count()
    for rate in (0.2, 0.5, 0.9, 0.3):
        trainer.configure(make_config(trainer.config, {"dropout": rate}))
        state = trainer.train(trainer.fit_params(state), 2).params
        trainer.evaluate(state)
    assert runtime.compile_count() == before


def test_exact_kernel_with_dropout_learns_circle():
    trainer = Trainer(make_config(None, {"dropout": 0.1, "hidden_layers": [8, 8]}))
    state = trainer.init_params()
    trainer.prepare_exact(state)
    outcome = trainer.train(state, 400)
    assert outcome.kernel == "exact"
    assert trainer.evaluate(outcome.params).test_accuracy >= 0.95


def test_dropout_of_one_is_refused():
    with pytest.raises(ConfigError) as error:
        make_config(None, {"dropout": 1.0})
    assert error.value.field == "dropout" and "between 0 and 0.9" in error.value.message
