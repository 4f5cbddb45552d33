"""The sequence lab's networks: each cell's gradients against finite differences, the flax cells against a
hand-written numpy step, attention's rows and masks, and padded buckets equal to the exact sizes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnplay.families.seq.config import make_seq_config
from nnplay.families.seq.kernel import NetKey, apply_batch, init_params, make_hyper
from nnplay.families.seq.model import Masks, RecurrentLayer, attend, cell_step
from nnplay.families.seq.plan import carry_params
from nnplay.families.seq.tasks import FEATURES

W, F, T = 5, 3, 6


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def reference_step(kind, p, carry, x):
    """One step written out in numpy from the textbook equations (independent of the flax code)."""
    wi, b, u = (np.asarray(p[k], np.float64) for k in ("input", "bias", "recurrent"))
    xp = np.einsum("i,giw->gw", x, wi) + b
    if kind == "rnn":
        return np.tanh(xp[0] + carry @ u[0])
    if kind == "gru":
        h = carry
        r = _sigmoid(xp[0] + h @ u[0])
        z = _sigmoid(xp[1] + h @ u[1])
        n = np.tanh(xp[2] + r * (h @ u[2] + np.asarray(p["hidden_bias"])))
        return (1 - z) * n + z * h
    h, c = carry
    i = _sigmoid(xp[0] + h @ u[0])
    f = _sigmoid(xp[1] + h @ u[1])
    g = np.tanh(xp[2] + h @ u[2])
    o = _sigmoid(xp[3] + h @ u[3])
    c = f * c + i * g
    return o * np.tanh(c), c


def full_masks(width=W, steps=T, layers=1):
    return Masks(
        jnp.ones((width,)),
        jnp.asarray(float(width)),
        jnp.ones((layers,)),
        jnp.asarray(0),
        jnp.ones((steps, steps), bool),
    )


def layer_and_params(kind, seed=0):
    layer = RecurrentLayer(kind, W)
    xs = jax.random.normal(jax.random.PRNGKey(seed), (T, F))
    zero = jnp.zeros((T, W))
    params = layer.init(jax.random.PRNGKey(seed + 1), xs, full_masks(), zero)["params"]
    # a non-zero GRU hidden bias, so its place in the equations is checked too
    if kind == "gru":
        params = {**params, "hidden_bias": jnp.linspace(-0.5, 0.5, W)}
    return layer, params, xs, zero


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_a_flax_recurrent_layer_equals_the_hand_written_step_at_every_step(kind):
    layer, params, xs, zero = layer_and_params(kind)
    states, gates = layer.apply({"params": params}, xs, full_masks(), zero)
    p = {k: np.asarray(v) for k, v in params.items()}
    carry = np.zeros(W) if kind != "lstm" else (np.zeros(W), np.zeros(W))
    for t in range(T):
        carry = reference_step(kind, p, carry, np.asarray(xs[t], np.float64))
        h = carry[0] if kind == "lstm" else carry
        np.testing.assert_allclose(np.asarray(states[t]), h, rtol=1e-4, atol=1e-5)
        if kind == "lstm":  # the cell state is the fourth gate shown
            np.testing.assert_allclose(np.asarray(gates[t, 3]), carry[1], rtol=1e-4, atol=1e-5)


def test_the_lstm_starts_with_a_forget_bias_of_one_and_orthogonal_recurrent_kernels():
    _, params, _, _ = layer_and_params("lstm")
    np.testing.assert_array_equal(np.asarray(params["bias"][1]), np.ones(W))
    np.testing.assert_array_equal(np.asarray(params["bias"][0]), np.zeros(W))
    for u in np.asarray(params["recurrent"]):
        np.testing.assert_allclose(u @ u.T, np.eye(W), atol=1e-5)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_each_cells_gradients_match_central_finite_differences(kind):
    layer, params, xs, zero = layer_and_params(kind, seed=3)
    target = jax.random.normal(jax.random.PRNGKey(9), (T, W))

    @jax.jit
    def loss(p, x):
        states, _ = layer.apply({"params": p}, x, full_masks(), zero)
        return jnp.sum((states - target) ** 2)

    grads = jax.grad(loss, argnums=(0, 1))(params, xs)
    rng = np.random.default_rng(0)
    eps = 1e-2
    checks = [("recurrent", grads[0]["recurrent"]), ("input", grads[0]["input"]), ("bias", grads[0]["bias"])]
    for name, grad in checks:
        for _ in range(4):
            index = tuple(int(rng.integers(0, n)) for n in grad.shape)
            bumped = [{**params, name: params[name].at[index].add(sign * eps)} for sign in (1.0, -1.0)]
            numeric = (loss(bumped[0], xs) - loss(bumped[1], xs)) / (2 * eps)
            assert float(grad[index]) == pytest.approx(float(numeric), rel=3e-2, abs=3e-3), (name, index)
    # and through time: the gradient with respect to the first step's input
    for i in range(F):
        bumped = [xs.at[0, i].add(sign * eps) for sign in (1.0, -1.0)]
        numeric = (loss(params, bumped[0]) - loss(params, bumped[1])) / (2 * eps)
        assert float(grads[1][0, i]) == pytest.approx(float(numeric), rel=3e-2, abs=3e-3)


def test_cell_step_carries_units_past_the_width_at_zero():
    layer, params, xs, zero = layer_and_params("gru")
    masks = full_masks()._replace(width_mask=jnp.asarray([1.0, 1.0, 1.0, 0.0, 0.0]), width=jnp.asarray(3.0))
    states, _ = layer.apply({"params": params}, xs, masks, zero)
    assert np.all(np.asarray(states[:, 3:]) == 0)
    assert np.any(np.asarray(states[:, :3]) != 0)
    _, h, _ = cell_step("rnn", {"recurrent": jnp.eye(2)[None]}, jnp.zeros(2), jnp.ones((1, 2)))
    np.testing.assert_allclose(np.asarray(h), np.tanh(1.0) * np.ones(2), rtol=1e-6)


def test_attention_rows_sum_to_one_and_a_masked_key_gets_no_weight():
    q, k, v = (jax.random.normal(jax.random.PRNGKey(i), (2, 6, 4)) for i in range(3))
    t = jnp.arange(6)
    allowed = (t[None, :] < 4) & (t[None, :] <= t[:, None])  # keys past 4 and ahead of the query: masked
    _, weights, _ = attend(q, k, v, allowed, jnp.asarray(4.0))
    weights = np.asarray(weights)
    np.testing.assert_allclose(weights.sum(-1), np.ones((2, 6)), rtol=1e-5)
    assert np.all(weights[:, :, 4:] == 0)
    for query in range(6):
        assert np.all(weights[:, query, query + 1 :] == 0)  # nothing ahead of a causal query


@pytest.mark.parametrize("model", ["gru", "transformer"])
def test_a_net_padded_into_a_bigger_bucket_computes_what_the_exact_bucket_does(model):
    """Width 16 in the width-32 bucket, 1 layer in the 2-layer bucket, length 5 in the 16-step bucket:
    the masked net's outputs equal the exact net's (so editing within a bucket is an exact edit)."""
    exact = NetKey(model, "copy", 8, 16, 1, 2)
    padded = NetKey(model, "copy", 16, 32, 2, 2)
    config = make_seq_config(None, {"model": model, "task": "copy", "width": 16, "length": 4, "layers": 1})
    small = init_params(exact, 1)
    big = carry_params(small, init_params(padded, 2))
    x = jax.random.normal(jax.random.PRNGKey(4), (3, 8, FEATURES))
    x_big = jnp.concatenate([x, jnp.zeros((3, 8, FEATURES))], axis=1)
    apply = jax.jit(apply_batch, static_argnums=0)
    out_small, trace_small = apply(exact, small, make_hyper(config, exact), x)
    out_big, trace_big = apply(padded, big, make_hyper(config, padded), x_big)
    used = 8 if model == "gru" else 4  # a recurrent net reads then answers: 2 x length steps
    np.testing.assert_allclose(
        np.asarray(out_big[:, :used]), np.asarray(out_small[:, :used]), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(
        np.asarray(trace_big["hidden"][:, :used, :16]), np.asarray(trace_small["hidden"][:, :used]), atol=1e-5
    )
