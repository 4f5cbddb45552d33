"""The exact kernel's cut of its layers out of the padded state and their write-back: the same numbers
whichever rows the features take, and plain slices (no scatter) where they run without a gap."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnplay.engine.optimizers import OptimizerSpec, init_state, make_hyper
from nnplay.families.mlp.exact import ExactSpec, _extract, _insert, batch_data, make_exact_chunk
from nnplay.models.mlp import MlpShape
from nnplay.models.mlp_init import init_params

SHAPE = MlpShape(6, 8)


def _spec(features: tuple[int, ...], outputs: int = 1) -> ExactSpec:
    return ExactSpec(
        features=features,
        hidden=(5, 3),
        activations=("tanh", "tanh"),
        output_activation="tanh",
        regularization="none",
        dropout=False,
        batch_size=4,
        n_train=12,
        optimizer=OptimizerSpec("sgd"),
        outputs=outputs,
    )


def _random_params(seed: int):
    params = init_params(jax.random.PRNGKey(seed), SHAPE)
    return jax.tree.map(lambda leaf: jax.random.normal(jax.random.PRNGKey(seed + 1), leaf.shape), params)


@pytest.mark.parametrize("features", [(0, 1, 2, 3, 4, 5, 6), (2, 3), (0, 2, 5), (6, 1)])
def test_written_back_layers_land_where_they_were_cut_from_and_nowhere_else(features):
    spec = _spec(features, outputs=2)
    padded, other = _random_params(0), _random_params(10)
    layers = _extract(other, spec)
    written = _insert(padded, layers, spec)
    np.testing.assert_array_equal(np.asarray(layers[0][0]), np.asarray(other.w[0])[list(features)][:, :5])
    for got, want in zip(_extract(written, spec), layers, strict=True):  # the exact net: the new numbers
        np.testing.assert_array_equal(np.asarray(got[0]), np.asarray(want[0]))
        np.testing.assert_array_equal(np.asarray(got[1]), np.asarray(want[1]))
    changed = np.zeros(SHAPE.depth * SHAPE.width * SHAPE.width, bool).reshape(SHAPE.depth, 8, 8)
    changed[0][np.ix_(list(features), range(5))] = True
    changed[1][:5, :3] = True
    w = np.asarray(written.w)
    np.testing.assert_array_equal(w[~changed], np.asarray(padded.w)[~changed])  # the rest: untouched
    np.testing.assert_array_equal(np.asarray(written.w_out)[3:], np.asarray(padded.w_out)[3:])
    np.testing.assert_array_equal(np.asarray(written.w_out)[:, 2:], np.asarray(padded.w_out)[:, 2:])


@pytest.mark.parametrize("features", [(0, 1, 2, 3), (0, 1, 4), (6, 1)])
def test_the_exact_kernel_cuts_and_writes_back_its_layers_without_a_scatter_or_a_gather(features):
    # A gather and a scatter of each slot's weights every call grew a stacked call's fixed part ~4x from
    # 32 slots to 512 (bench/batch_call.py); slices stay flat.
    spec = _spec(features)
    state = init_state(spec.optimizer, init_params(jax.random.PRNGKey(0), SHAPE))
    points = np.random.default_rng(0).normal(size=(spec.n_train, 7)).astype(np.float32)
    data = batch_data(spec, points, np.sign(points[:, 0]))

    def ops(spec: ExactSpec) -> set[str]:
        compiled = (
            jax.jit(make_exact_chunk(spec)).lower(state, make_hyper(0.03), data, jnp.int32(1)).compile()
        )
        return set(re.findall(r"\s(scatter|gather)\(", compiled.as_text()))  # XLA's instructions

    assert ops(spec) == set()
