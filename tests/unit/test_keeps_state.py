"""`Family.keeps_state(old, new)` promises that `fit_state` would return a state of `old` unchanged for
`new`: the run loop then leaves the state on the device (a SlotRef) when a setting changes. Checked for
every model family on the seam, on states whose every number differs from a fresh one."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from nnplay.families.cnn.config import make_image_config
from nnplay.families.cnn.family import CnnFamily
from nnplay.families.gen.config import make_gen_config
from nnplay.families.gen.family import GenFamily
from nnplay.families.mlp.family import MlpFamily
from nnplay.families.seq.config import make_seq_config
from nnplay.families.seq.family import SeqFamily
from nnplay.schemas import make_config

CNN_STACK = [{"kind": "conv", "filters": 2}, {"kind": "flatten"}]

# family, its config maker, the base settings, then (changes, whether the state's layout is kept)
CASES = [
    (
        MlpFamily(),
        make_config,
        {"dataset": "spiral", "hidden_layers": [4]},
        [
            ({"learning_rate": 0.1}, True),
            ({"regularization": "l2", "regularization_rate": 0.01}, True),
            ({"optimizer": "adam"}, False),
        ],
    ),
    (
        CnnFamily(),
        make_image_config,
        {"layers": CNN_STACK, "train_ratio": 0.2},
        [
            ({"learning_rate": 0.002}, True),
            ({"momentum": 0.5, "weight_decay": 0.01}, True),
            ({"optimizer": "sgd"}, False),
            ({"batch_size": 64}, False),
        ],
    ),
    (
        SeqFamily(),
        make_seq_config,
        {},
        [({"learning_rate": 0.002}, True), ({"optimizer": "sgd"}, False)],
    ),
    (
        GenFamily(),
        make_gen_config,
        {},
        [({"generator_lr": 0.002}, True), ({"loss": "least_squares"}, False), ({"model": "vae"}, False)],
    ),
]


def _worn(state):
    """The state with every number moved off its fresh value (moments no longer zero)."""
    return jax.tree.map(lambda leaf: np.asarray(leaf) + np.ones_like(np.asarray(leaf)), state)


def _equal(a, b) -> bool:
    left, right = jax.tree.leaves(a), jax.tree.leaves(b)
    return jax.tree.structure(a) == jax.tree.structure(b) and all(
        np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True) for x, y in zip(left, right, strict=True)
    )


@pytest.mark.parametrize(("family", "make", "base", "edits"), CASES, ids=["mlp", "cnn", "seq", "gen"])
def test_a_family_keeps_a_state_only_where_fitting_it_would_change_nothing(family, make, base, edits):
    config = make(None, base)
    old = family.make_plan(config, None, None)
    state = _worn(family.fresh_state(old))
    for changes, kept in edits:
        new = family.make_plan(make(config, changes), old, None)
        assert new.config != old.config, changes  # each edit changes a setting
        assert family.keeps_state(old, new) == kept, changes
        if kept:
            assert _equal(family.fit_state(state, new), state), changes


def test_the_image_lab_keeps_its_optimizer_moments_across_a_setting_and_starts_others_afresh():
    """Like the other families: a learning-rate change leaves Adam's moments as they were (they used to
    start again from zero at every setting changed); another optimizer starts its own."""
    family = CnnFamily()
    config = make_image_config(None, {"layers": CNN_STACK, "train_ratio": 0.2})
    old = family.make_plan(config, None, None)
    state = _worn(family.fresh_state(old))
    faster = family.fit_state(
        state, family.make_plan(make_image_config(config, {"learning_rate": 0.002}), old, None)
    )
    assert _equal(faster.opt_state, state.opt_state)
    sgd = family.fit_state(
        state, family.make_plan(make_image_config(config, {"optimizer": "sgd"}), old, None)
    )
    assert _equal(sgd.params, state.params)
    assert jax.tree.structure(sgd.opt_state) != jax.tree.structure(state.opt_state)
