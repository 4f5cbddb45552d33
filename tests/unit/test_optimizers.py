"""Optimizers and learning-rate schedules: each against plain optax on the exact-shape net, the schedules
against their closed forms, the two kernels against each other, and the compile count under edits."""

from __future__ import annotations

import math
import random

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from nnplay.engine import runtime
from nnplay.engine.optimizers import (
    OPTIMIZERS,
    SCHEDULES,
    OptimizerSpec,
    init_state,
    make_hyper,
    shared_hyper,
)
from nnplay.families.mlp.exact import ExactSpec, batch_data, make_exact_chunk
from nnplay.families.mlp.train import MAX_BATCH, TrainData, train_chunk
from nnplay.families.mlp.trainer import Trainer
from nnplay.features import all_features, feature_mask
from nnplay.models.mlp import MlpShape, Params, make_arch
from nnplay.models.mlp_init import init_params
from nnplay.schemas import make_config
from nnplay.settings import SETTINGS_BY_NAME

from reference import exact_layers

# A fixed batch: 20 points, one batch per epoch (batch size = number of points), so one epoch = one step.
N_POINTS = 20
SELECTED, HIDDEN = ["x1", "x2", "x1_x2"], [4, 3]
INDICES = [0, 1, 4]
SHAPE = MlpShape(6, 8)
LR, MOMENTUM, WEIGHT_DECAY = 0.05, 0.8, 0.1
_RNG = np.random.default_rng(7)
POINTS = _RNG.uniform(-6, 6, (N_POINTS, 2)).astype(np.float32)
LABELS = np.where(POINTS[:, 0] * POINTS[:, 1] >= 0, 1.0, -1.0).astype(np.float32)

# What each optimizer must equal: plain optax with the same hyperparameters.
OPTAX_REFERENCE = {
    "sgd": lambda lr: optax.sgd(lr),
    "momentum": lambda lr: optax.sgd(lr, momentum=MOMENTUM),
    "nesterov": lambda lr: optax.sgd(lr, momentum=MOMENTUM, nesterov=True),
    "adam": lambda lr: optax.adam(lr, b1=MOMENTUM),
    "adamw": lambda lr: optax.adamw(lr, b1=MOMENTUM, weight_decay=WEIGHT_DECAY),
    "rmsprop": lambda lr: optax.rmsprop(lr),
    "adagrad": lambda lr: optax.adagrad(lr),
}
SCHEDULE_EPOCHS, SCHEDULE_FACTOR = 3, 0.5
OPTAX_SCHEDULE = {
    "constant": lambda lr: lr,
    "step": lambda lr: optax.exponential_decay(lr, SCHEDULE_EPOCHS, SCHEDULE_FACTOR, staircase=True),
    "cosine": lambda lr: optax.cosine_decay_schedule(lr, SCHEDULE_EPOCHS),
    "warmup": lambda lr: optax.linear_schedule(0.0, lr, SCHEDULE_EPOCHS),
}


def _hyper(batch: int = N_POINTS, l2: float = 0.0):
    return make_hyper(
        LR,
        l2=l2,
        batch_size=batch,
        momentum=MOMENTUM,
        weight_decay=WEIGHT_DECAY,
        schedule_epochs=SCHEDULE_EPOCHS,
        schedule_factor=SCHEDULE_FACTOR,
    )


def _start(spec: OptimizerSpec):
    return init_state(spec, init_params(jax.random.PRNGKey(5), SHAPE))


def padded_run(spec: OptimizerSpec, epochs: int, batch: int = N_POINTS, l2: float = 0.0):
    """Train the padded kernel on the fixed batch; returns the final state."""
    x = np.zeros((N_POINTS + MAX_BATCH, SHAPE.width), np.float32)
    x[:N_POINTS, :7] = all_features(POINTS)
    y = np.zeros(N_POINTS + MAX_BATCH, np.float32)
    y[:N_POINTS] = LABELS
    arch = make_arch(SHAPE, feature_mask(SELECTED), HIDDEN, "tanh", "tanh")
    data = TrainData(jnp.asarray(x), jnp.asarray(y), jnp.int32(N_POINTS))
    result = jax.jit(train_chunk)(_start(spec), arch, _hyper(batch, l2), data, jnp.int32(epochs))
    assert int(result.epochs) == epochs and not bool(result.diverged)
    return result.state


def exact_run(spec: OptimizerSpec, epochs: int, l2: float = 0.0):
    """Train the exact kernel on the fixed batch; returns the final (padded) state."""
    exact = ExactSpec(
        tuple(INDICES),
        tuple(HIDDEN),
        ("tanh",) * len(HIDDEN),
        "tanh",
        "l2" if l2 else "none",
        False,
        N_POINTS,
        N_POINTS,
        spec,
    )
    data = batch_data(exact, all_features(POINTS), LABELS)
    result = jax.jit(make_exact_chunk(exact))(_start(spec), _hyper(l2=l2), data, jnp.int32(epochs))
    assert int(result.epochs) == epochs and not bool(result.diverged)
    return result.state


def _loss(layers, x, y):
    h = x
    for w, b in layers[:-1]:
        h = jnp.tanh(h @ w + b)
    w, b = layers[-1]
    return jnp.mean(0.5 * (jnp.tanh(h @ w + b)[:, 0] - y) ** 2)


def optax_run(tx: optax.GradientTransformation, steps: int, batch: int = N_POINTS, l2: float = 0.0):
    """The reference: plain optax on the exact-shape layers (the penalty's gradient added to the weights')."""
    params = _start(OptimizerSpec()).params
    layers = [
        (jnp.asarray(w, jnp.float32), jnp.asarray(b, jnp.float32))
        for w, b in exact_layers(params, INDICES, HIDDEN)
    ]
    x = jnp.asarray(all_features(POINTS)[:, INDICES])
    y = jnp.asarray(LABELS)
    opt_state = tx.init(layers)
    for step in range(steps):
        start = step * batch % N_POINTS
        grads = jax.grad(_loss)(layers, x[start : start + batch], y[start : start + batch])
        grads = [(gw + l2 * w, gb) for (w, _), (gw, gb) in zip(layers, grads, strict=True)]
        updates, opt_state = tx.update(grads, opt_state, layers)
        layers = optax.apply_updates(layers, updates)
    return [(np.asarray(w), np.asarray(b)) for w, b in layers]


def assert_layers_close(params: Params, expected, rtol: float = 1e-4, atol: float = 1e-6) -> None:
    for (w, b), (w_ref, b_ref) in zip(exact_layers(params, INDICES, HIDDEN), expected, strict=True):
        np.testing.assert_allclose(w, w_ref, rtol=rtol, atol=atol)
        np.testing.assert_allclose(b, b_ref, rtol=rtol, atol=atol)


# ---- each optimizer and schedule against optax ----------------------------------------------------


def test_every_optimizer_and_schedule_of_the_settings_table_is_implemented():
    assert set(SETTINGS_BY_NAME["optimizer"].choices) == set(OPTIMIZERS) == set(OPTAX_REFERENCE)
    assert set(SETTINGS_BY_NAME["schedule"].choices) == set(SCHEDULES) == set(OPTAX_SCHEDULE)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("kernel", ["padded", "exact"])
def test_one_step_of_each_optimizer_equals_optax(optimizer, kernel):
    spec = OptimizerSpec(optimizer)
    state = padded_run(spec, 1) if kernel == "padded" else exact_run(spec, 1)
    assert_layers_close(state.params, optax_run(OPTAX_REFERENCE[optimizer](LR), 1))


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "adamw", "rmsprop", "adagrad"])
def test_the_optimizer_state_carries_over_between_steps_as_in_optax(optimizer):
    spec = OptimizerSpec(optimizer)
    assert_layers_close(padded_run(spec, 4).params, optax_run(OPTAX_REFERENCE[optimizer](LR), 4))
    assert_layers_close(exact_run(spec, 4).params, optax_run(OPTAX_REFERENCE[optimizer](LR), 4))


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_each_schedule_equals_optax_schedule_step_by_step(schedule, optimizer):
    steps = 2 * SCHEDULE_EPOCHS + 1  # past the schedule's end (cosine at 0, warm-up flat, two decays)
    expected = optax_run(OPTAX_REFERENCE[optimizer](OPTAX_SCHEDULE[schedule](LR)), steps)
    spec = OptimizerSpec(optimizer, schedule)
    assert_layers_close(padded_run(spec, steps).params, expected)
    assert_layers_close(exact_run(spec, steps).params, expected)


def test_schedules_count_updates_within_an_epoch():
    # 4 batches of 5 per epoch: warm-up over 3 epochs ramps over 12 updates, as optax's over 12 steps.
    expected = optax_run(optax.sgd(optax.linear_schedule(0.0, LR, 4 * SCHEDULE_EPOCHS)), 8, batch=5)
    assert_layers_close(padded_run(OptimizerSpec("sgd", "warmup"), 2, batch=5).params, expected)


def test_l2_with_adam_is_the_penalised_loss_gradient():
    expected = optax_run(optax.adam(LR, b1=MOMENTUM), 3, l2=0.1)
    assert_layers_close(padded_run(OptimizerSpec("adam"), 3, l2=0.1).params, expected)
    assert_layers_close(exact_run(OptimizerSpec("adam"), 3, l2=0.1).params, expected)


# ---- schedules' closed forms -----------------------------------------------------------------------


def _rate_after(schedule: str, epochs: int, **changes) -> float:
    changes = {"learning_rate": 0.1, "schedule": schedule, "schedule_epochs": 10, **changes}
    trainer = Trainer(make_config(None, changes))
    state = trainer.train(trainer.init_params(), epochs).params if epochs else trainer.init_params()
    assert int(state.epoch) == epochs
    return trainer.current_learning_rate(state)


@pytest.mark.parametrize(
    ("schedule", "epochs", "expected"),
    [
        ("constant", 0, 0.1),
        ("constant", 25, 0.1),
        ("step", 9, 0.1),
        ("step", 10, 0.1 * 0.5),
        ("step", 25, 0.1 * 0.25),
        ("cosine", 0, 0.1),
        ("cosine", 5, 0.05),
        ("cosine", 10, 0.0),
        ("cosine", 12, 0.0),
        ("warmup", 0, 0.0),
        ("warmup", 4, 0.04),
        ("warmup", 10, 0.1),
        ("warmup", 15, 0.1),
    ],
)
def test_schedule_value_after_k_epochs_is_the_closed_form(schedule, epochs, expected):
    assert _rate_after(schedule, epochs) == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_cosine_at_a_quarter_and_step_with_another_factor():
    assert _rate_after("cosine", 3, schedule_epochs=12) == pytest.approx(
        0.1 * (1 + math.cos(math.pi / 4)) / 2
    )
    assert _rate_after("step", 21, schedule_factor=0.1) == pytest.approx(0.1 * 0.01)


# ---- the two kernels, chunking, masking, state changes -----------------------------------------------


def _trained(changes: dict, epochs: int, exact: bool):
    trainer = Trainer(make_config(None, changes))
    state = trainer.init_params()
    if exact:
        trainer.prepare_exact(state)
    outcome = trainer.train(state, epochs)
    assert outcome.kernel == ("exact" if exact else "padded") and outcome.epochs == epochs
    return trainer, outcome.params


@pytest.mark.parametrize(
    "changes",
    [
        {"optimizer": "adam", "learning_rate": 0.01},
        {
            "optimizer": "adamw",
            "weight_decay": 0.01,
            "schedule": "cosine",
            "schedule_epochs": 15,
            "regularization": "l2",
            "regularization_rate": 0.003,
            "batch_size": 7,
            "learning_rate": 0.01,
        },
    ],
)
def test_adam_padded_kernel_equals_exact_kernel_after_20_epochs(changes):
    trainer, padded = _trained(changes, 20, exact=False)
    _, exact = _trained(changes, 20, exact=True)
    for a, b in zip(jax.tree.leaves(padded.params), jax.tree.leaves(exact.params), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-3, atol=1e-5)
    ev_padded, ev_exact = trainer.evaluate(padded), trainer.evaluate(exact)
    np.testing.assert_allclose(ev_padded.train_loss, ev_exact.train_loss, rtol=1e-3)
    assert int(padded.epoch) == int(exact.epoch) == 20


def test_absent_weights_do_not_move_under_adam():
    trainer, state = _trained({"optimizer": "adam", "hidden_layers": [6, 6]}, 5, exact=False)
    trainer.configure(make_config(trainer.config, {"hidden_layers": [4, 2]}))
    state = trainer.fit_params(state)  # same bucket: Adam's moments (non-zero for the removed neurons) stay
    assert jnp.any(state.opt_state[0].mu.w[0, :2, 4:6] != 0)
    after = trainer.train(state, 5).params.params
    before = state.params
    present = np.zeros(before.w.shape, bool)
    present[0, :2, :4] = True
    present[1, :4, :2] = True
    w, w0 = np.asarray(after.w), np.asarray(before.w)
    np.testing.assert_array_equal(w[~present], w0[~present])
    assert np.all(w[present] != w0[present])
    np.testing.assert_array_equal(np.asarray(after.b)[0, 4:], np.asarray(before.b)[0, 4:])
    np.testing.assert_array_equal(np.asarray(after.w_out)[2:], np.asarray(before.w_out)[2:])


def test_changing_the_optimizer_or_schedule_restarts_its_state_and_keeps_the_weights():
    trainer, state = _trained({"optimizer": "adam"}, 5, exact=False)
    trainer.configure(make_config(trainer.config, {"optimizer": "rmsprop"}))
    fitted = trainer.fit_params(state)
    assert fitted.spec == OptimizerSpec("rmsprop") and int(fitted.epoch) == 0
    assert type(fitted.opt_state[0]).__name__ == "ScaleByRmsState"
    assert fitted.params is state.params
    trained = trainer.train(fitted, 3).params
    trainer.configure(make_config(trainer.config, {"schedule": "warmup"}))
    assert trainer.current_learning_rate(trained) == 0.0  # the warm-up starts from 0 at its own epoch 0
    fitted = trainer.fit_params(trained)
    assert int(fitted.epoch) == 0 and fitted.spec == OptimizerSpec("rmsprop", "warmup")
    assert fitted.params is trained.params
    assert trainer.train(trained, 2).epochs == 2


def test_growing_past_a_bucket_restarts_the_moments_and_keeps_the_schedule_clock():
    trainer, state = _trained({"optimizer": "adam", "mode": "extended", "schedule": "cosine"}, 5, exact=False)
    trainer.configure(make_config(trainer.config, {"hidden_layers": [20, 2]}))
    grown = trainer.fit_params(state)
    assert grown.params.w.shape == (6, 32, 32) and grown.opt_state[0].mu.w.shape == (6, 32, 32)
    assert int(grown.epoch) == 5 and int(grown.opt_state[0].count) == 0
    assert trainer.train(grown, 2).params.epoch == 7


@pytest.mark.parametrize("exact", [False, True])
def test_hyperparameter_edits_never_recompile(exact):
    changes = {"optimizer": "adamw", "schedule": "step", "regularization": "l2", "regularization_rate": 0.01}
    trainer, state = _trained(changes, 2, exact=exact)
    trainer.evaluate(state)
    trainer.current_learning_rate(state)
    before = runtime.compile_count()
    rng = random.Random(3)
    config = trainer.config
    for _ in range(20):
        edit = {
            "learning_rate": rng.choice([0.001, 0.003, 0.01, 0.03, 0.1]),
            "momentum": rng.choice([0.0, 0.5, 0.9, 0.99]),
            "weight_decay": rng.choice([0.0, 0.001, 0.1]),
            "schedule_epochs": rng.randint(1, 5000),
            "schedule_factor": rng.choice([0.1, 0.5, 0.9]),
            "regularization_rate": rng.choice([0.001, 0.01, 0.3]),
        }
        config = make_config(config, edit)
        trainer.configure(config)
        state = trainer.fit_params(state)
        outcome = trainer.train(state, 2)
        assert outcome.kernel == ("exact" if exact else "padded")
        state = outcome.params
        trainer.evaluate(state)
        trainer.current_learning_rate(state)
    assert runtime.compile_count() == before


# ---- it learns ---------------------------------------------------------------------------------------


def test_adam_on_circle_reaches_97pct_test_accuracy_within_300_epochs():
    trainer = Trainer(make_config(None, {"optimizer": "adam", "learning_rate": 0.01}))
    outcome = trainer.train(trainer.init_params(), 300)
    assert outcome.epochs == 300 and not outcome.diverged
    assert trainer.evaluate(outcome.params).test_accuracy >= 0.97


def test_hyperparameters_are_put_on_the_device_once_per_set_of_values():
    hyper = shared_hyper(0.03, l2=0.001, batch_size=10, dropout=[0.1, 0.2], seed=3)
    assert shared_hyper(0.03, seed=3, batch_size=10, l2=0.001, dropout=(0.1, 0.2)) is hyper
    expected = make_hyper(0.03, l2=0.001, batch_size=10, dropout=[0.1, 0.2], seed=3)
    for name, value in expected._asdict().items():
        shown = getattr(hyper, name)
        assert shown.dtype == value.dtype and np.array_equal(np.asarray(shown), np.asarray(value)), name
    edited = shared_hyper(0.01, l2=0.001, batch_size=10, dropout=[0.1, 0.2], seed=3)
    assert float(edited.learning_rate) == np.float32(0.01) and float(hyper.learning_rate) == np.float32(0.03)
