import jax
import jax.numpy as jnp
import numpy as np

from nnplay.engine.optimizers import OptimizerSpec, TrainState, init_state, make_hyper
from nnplay.families.mlp.train import TrainData, regularized_update, train_chunk
from nnplay.features import feature_mask
from nnplay.models.mlp import MlpShape, Params, make_arch
from nnplay.models.mlp_init import init_params


def hyper(lr=0.1, l1=0.0, l2=0.0, batch=10):
    return make_hyper(lr, l1=l1, l2=l2, batch_size=batch)


def test_update_without_regularization_is_plain_sgd():
    w, g = jnp.asarray([0.5, -0.2]), jnp.asarray([1.0, -2.0])
    np.testing.assert_allclose(regularized_update(w, g, hyper(lr=0.1)), [0.4, 0.0], atol=1e-7)


def test_l2_shrinks_by_lr_times_rate_times_old_weight():
    w, g = jnp.asarray([0.5, -0.2]), jnp.asarray([0.0, 0.0])
    # w - lr*g - lr*rate*w = w * (1 - 0.1*0.5)
    np.testing.assert_allclose(regularized_update(w, g, hyper(lr=0.1, l2=0.5)), [0.475, -0.19], rtol=1e-6)


def test_l1_stops_a_weight_at_zero_instead_of_crossing_it():
    w, g = jnp.asarray([0.01, 0.5, -0.01]), jnp.zeros(3)
    out = np.asarray(regularized_update(w, g, hyper(lr=0.1, l1=1.0)))
    # 0.01 - 0.1*1*sign -> -0.09 crosses zero -> 0; 0.5 -> 0.4; -0.01 -> 0
    np.testing.assert_allclose(out, [0.0, 0.4, 0.0], atol=1e-7)


def test_masked_weights_are_not_regularized():
    w, g = jnp.asarray([0.5, 0.5]), jnp.zeros(2)
    out = regularized_update(w, g, hyper(lr=0.1, l2=1.0), jnp.asarray([1.0, 0.0]))
    np.testing.assert_allclose(out, [0.45, 0.5], rtol=1e-6)


def _toy(lr: float, activation: str = "relu"):
    shape = MlpShape(6, 8)
    rng = np.random.default_rng(0)
    n = 40
    x = np.zeros((n + 30, 8), np.float32)
    x[:n, :2] = rng.uniform(-6, 6, (n, 2))
    y = np.zeros(n + 30, np.float32)
    y[:n] = np.sign(x[:n, 0])
    state = init_state(OptimizerSpec(), init_params(jax.random.PRNGKey(0), shape))
    arch = make_arch(shape, feature_mask(["x1", "x2"]), [8, 8, 8], activation, "linear")
    data = TrainData(jnp.asarray(x), jnp.asarray(y), jnp.int32(n))
    return state, arch, hyper(lr=lr, batch=1), data


def test_chunk_runs_the_requested_epochs_when_stable():
    state, arch, h, data = _toy(0.01, "tanh")
    result = train_chunk(state, arch, h, data, jnp.int32(7))
    assert int(result.epochs) == 7 and not bool(result.diverged)
    assert int(result.state.epoch) == 7


def test_divergence_stops_the_chunk_and_keeps_the_last_finite_weights():
    state, arch, h, data = _toy(10.0)
    result = train_chunk(state, arch, h, data, jnp.int32(200))
    assert bool(result.diverged)
    assert int(result.epochs) < 200
    assert all(bool(jnp.all(jnp.abs(leaf) < 1e6)) for leaf in result.state.params)
    # the kept weights are exactly those after `epochs` epochs
    again = train_chunk(state, arch, h, data, result.epochs)
    for a, b in zip(again.state.params, result.state.params, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert isinstance(result.state, TrainState) and isinstance(result.state.params, Params)
    assert int(result.state.epoch) == int(result.epochs)
