"""Losses, multi-class, per-layer activations and dropout, batch norm: engine behaviour."""

import random

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from test_trainer import losses_after

from nnplay import datasets
from nnplay.cli import run_training
from nnplay.engine import runtime
from nnplay.families.mlp.trainer import Trainer
from nnplay.features import all_features, feature_mask
from nnplay.models.losses import point_loss, score
from nnplay.models.mlp import MlpShape, forward, forward_with_stats, make_arch
from nnplay.models.mlp_init import init_params
from nnplay.schemas import ConfigError, make_config

BLOBS = {"dataset": "blobs", "loss": "cross_entropy", "classes": 4}


# ---- the losses against optax's ------------------------------------------------------------------


def test_each_loss_equals_optax_on_the_same_outputs():
    rng = np.random.default_rng(0)
    z = jnp.asarray(rng.normal(size=20) * 2, jnp.float32)
    signs = jnp.asarray(rng.choice([-1.0, 1.0], 20), jnp.float32)
    targets = jnp.asarray(rng.normal(size=20) * 2, jnp.float32)
    np.testing.assert_allclose(point_loss(z, signs, "square"), 0.5 * optax.squared_error(z, signs), rtol=1e-6)
    np.testing.assert_allclose(
        point_loss(z, signs, "bce"), optax.sigmoid_binary_cross_entropy(z, (signs + 1) / 2), rtol=1e-5
    )
    np.testing.assert_allclose(
        point_loss(z, targets, "huber"), optax.huber_loss(z, targets, delta=1.0), rtol=1e-6
    )
    logits = jnp.asarray(rng.normal(size=(20, 5)) * 3, jnp.float32)
    labels = rng.integers(0, 5, 20)
    np.testing.assert_allclose(
        point_loss(logits, jnp.asarray(labels, jnp.float32), "softmax"),
        optax.softmax_cross_entropy_with_integer_labels(logits, jnp.asarray(labels)),
        rtol=1e-5,
    )
    # the binary cross-entropy's score is the sigmoid's probability on TF Playground's [-1, 1] scale
    np.testing.assert_allclose(score(z, "bce"), 2 * jax.nn.sigmoid(z) - 1, atol=1e-6)


# ---- multi-class -----------------------------------------------------------------------------------


@pytest.mark.parametrize("classes", [3, 8])
def test_multiclass_data_sets_label_every_class_evenly(classes):
    for name in ("blobs", "spirals"):
        split = datasets.generate(name, 0, 50, 1, classes=classes)
        labels = np.concatenate([split.train_y, split.test_y])
        counts = np.bincount(labels.astype(int))
        assert len(counts) == classes and counts.min() >= counts.max() - 1
        assert np.abs(np.concatenate([split.train_x, split.test_x])).max() <= 6.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_blobs_reach_95pct_test_accuracy_with_softmax_cross_entropy(seed):
    result = run_training({**BLOBS, "seed": seed}, 200)
    assert result["test_accuracy"] >= 0.95, result
    matrix = np.asarray(result["confusion_matrix"])
    assert matrix.shape == (4, 4) and matrix.sum() == 250
    assert result["f1"] >= 0.95 and result["roc_auc"] > 0.99 and not result["diverged"]


def test_three_arm_spirals_are_learnt_with_all_features():
    changes = {"dataset": "spirals", "loss": "cross_entropy", "classes": 3, "hidden_layers": [8] * 4}
    changes |= {"features": ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]}
    changes |= {"optimizer": "adam", "learning_rate": 0.003}
    result = run_training(changes, 600)
    assert result["test_accuracy"] >= 0.9, result  # a chance-level net scores 0.33


@pytest.mark.parametrize(
    "changes",
    [
        BLOBS,
        {"dataset": "circle", "loss": "cross_entropy"},
        {"dataset": "multigauss", "problem": "regression", "loss": "huber", "hidden_layers": [6, 6]},
        {"batch_norm": "on", "hidden_layers": [6, 6, 4], "activation": "relu"},
        {"shuffle": "on", "batch_size": 7},
        {"layer_activations": ["relu", "gelu"], "dataset": "xor"},
        {**BLOBS, "batch_norm": "on", "optimizer": "adam", "layer_activations": ["elu", "tanh"]},
    ],
)
def test_exact_kernel_matches_padded_kernel_for_every_new_kind(changes):
    # (dropout is left out: the kernels draw their masks over differently padded batches)
    padded = losses_after(changes, 25, exact=False)
    exact = losses_after(changes, 25, exact=True)
    np.testing.assert_allclose(padded[:2], exact[:2], rtol=2e-3)


def test_a_multiclass_frame_has_one_output_per_class_and_a_class_map():
    trainer = Trainer(make_config(None, BLOBS))
    state = trainer.train(trainer.init_params(), 30).params
    ev = trainer.evaluate(state)
    assert ev.outputs == 4 and ev.weights[-1].shape == (2, 4) and ev.biases[-1].shape == (4,)
    assert ev.output_classes is not None and ev.output_classes.shape == (100 * 100,)
    assert set(np.unique(ev.output_classes)) == {0, 1, 2, 3}  # each blob wins its corner of the plane
    assert ev.metrics is not None and np.asarray(ev.metrics["test"]["confusion_matrix"]).shape == (4, 4)
    # set_weight/set_bias address output k as in the frame
    edited = trainer.set_weight(state, 2, 1, 3, 7.5)
    edited = trainer.set_bias(edited, 2, 3, -2.0)
    again = trainer.evaluate(edited)
    assert again.weights[-1][1, 3] == 7.5 and again.biases[-1][3] == -2.0
    with pytest.raises(ConfigError):
        trainer.set_weight(state, 2, 0, 4, 1.0)


def test_binary_runs_keep_their_weights_with_the_wider_output_layer():
    # Column 0 of the output layer is drawn exactly as the single output was: TF-mode runs are unchanged.
    params = init_params(jax.random.PRNGKey(3), MlpShape(6, 8))
    _, k_out = jax.random.split(jax.random.PRNGKey(3))
    np.testing.assert_array_equal(
        np.asarray(params.w_out[:, 0]), np.asarray(jax.random.uniform(k_out, (8,), jnp.float32, -0.5, 0.5))
    )


# ---- batch norm ------------------------------------------------------------------------------------


def test_batch_norm_uses_the_batch_in_training_and_the_training_set_in_evaluation():
    split = datasets.generate("circle", 0, 50, 1)
    shape = MlpShape(6, 8)
    arch = make_arch(shape, feature_mask(["x1", "x2"]), [6, 6], "relu", "tanh", batch_norm=True)
    params = init_params(jax.random.PRNGKey(0), shape, "he", [2, 6, 6, 1])
    x = np.zeros((len(split.train_x), 8), np.float32)
    x[:, :7] = all_features(split.train_x)
    x = jnp.asarray(x)
    # training: every neuron's pre-activation is normalised over the batch
    _, _, stats = forward_with_stats(params, arch, x[:10])
    z = (x[:10] * arch.feature_mask) @ params.w[0]
    np.testing.assert_allclose(stats[0][0], z.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats[0][1], z.var(axis=0), rtol=1e-4, atol=1e-6)
    in_batch, _ = forward(params, arch, x[:10])
    # evaluation: the statistics of the whole training set; a point's output no longer depends on its batch
    _, _, train_stats = forward_with_stats(params, arch, x)
    alone, _ = forward(params, arch, x[:1], stats=train_stats)
    with_others, _ = forward(params, arch, x[:10], stats=train_stats)
    assert float(alone[0]) == pytest.approx(float(with_others[0]), abs=1e-6)
    assert not np.allclose(np.asarray(in_batch), np.asarray(with_others), atol=1e-3)


def test_batch_norm_rescues_the_deep_sigmoid_net_that_vanishing_gradients_stall():
    changes = {"hidden_layers": [8] * 6, "activation": "sigmoid", "learning_rate": 0.03}
    stalled = run_training({**changes, "batch_norm": "off"}, 100)
    rescued = run_training({**changes, "batch_norm": "on"}, 100)
    assert stalled["test_accuracy"] < 0.6 and rescued["test_accuracy"] >= 0.95, (stalled, rescued)


def test_reshuffling_visits_every_point_once_per_epoch_in_a_new_order():
    from nnplay.engine.optimizers import make_hyper
    from nnplay.families.mlp.train import TRAIN_ROWS, shuffle_order

    hyper = make_hyper(0.03, seed=4)
    first, second = (np.asarray(shuffle_order(hyper, jnp.int32(e), 250)) for e in (0, 1))
    assert sorted(first[:250]) == list(range(250)) and sorted(first[250:]) == list(range(250, TRAIN_ROWS))
    assert not np.array_equal(first[:250], second[:250])
    np.testing.assert_array_equal(first, np.asarray(shuffle_order(hyper, jnp.int32(0), 250)))


def test_batch_norm_reshuffles_so_evaluation_matches_training():
    # In fixed batches a batch-normed net learns to lean on its batch-mates and fails on the whole set.
    assert make_config(None, {"batch_norm": "on"}).reshuffles
    changes = {"dataset": "spirals", "loss": "cross_entropy", "hidden_layers": [8] * 6, "batch_norm": "on"}
    changes |= {"features": ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]}
    changes |= {"activation": "relu", "init": "he", "optimizer": "adam", "learning_rate": 0.003}
    result = run_training(changes, 300)
    assert result["train_accuracy"] >= 0.9 and result["test_accuracy"] >= 0.85, result


# ---- per-layer activations and dropout -------------------------------------------------------------


def test_layer_activations_apply_per_layer_and_missing_layers_follow_the_global_one():
    config = make_config(None, {"hidden_layers": [4, 3, 2], "layer_activations": ["relu", "elu"]})
    assert [config.layer_activation(i) for i in range(3)] == ["relu", "elu", "tanh"]
    trainer = Trainer(config)
    assert trainer.plan.exact_spec.activations == ("relu", "elu", "tanh")
    assert trainer.plan.arch.kind.extras == (None, "elu")
    # the padded net computes exactly that: compare with hand-applied activations
    params = trainer.init_params().params
    x = trainer.plan.eval_data.test_x[:5]
    _, hidden = forward(params, trainer.plan.arch, x)
    h = x * trainer.plan.arch.feature_mask
    for layer, act in enumerate([jax.nn.relu, jax.nn.elu, jnp.tanh]):
        h = act(h @ params.w[layer] + params.b[layer]) * trainer.plan.arch.neuron_mask[layer]
        np.testing.assert_allclose(hidden[layer], h, rtol=1e-5, atol=1e-6)


def test_lists_longer_than_the_net_are_cut_to_its_layers():
    config = make_config(None, {"hidden_layers": [3], "layer_activations": ["relu", "elu"]})
    assert config.layer_activations == ("relu",)
    config = make_config(None, {"hidden_layers": [3, 3], "layer_dropout": [0.1, 0.2, 0.3]})
    assert config.layer_dropout == (0.1, 0.2)


def test_per_layer_dropout_drops_only_where_its_rate_is_set():
    trainer = Trainer(make_config(None, {"hidden_layers": [8, 8], "layer_dropout": [0.0, 0.5]}))
    params = trainer.init_params().params
    x = trainer.plan.eval_data.train_x[:50]
    key = jax.random.PRNGKey(0)
    _, plain = forward(params, trainer.plan.arch, x)
    _, dropped = forward(params, trainer.plan.arch, x, (key, trainer.plan.hyper.dropout))
    np.testing.assert_allclose(dropped[0], plain[0], rtol=1e-6)  # rate 0: untouched
    zeros = float(jnp.mean((dropped[1] == 0) & (plain[1] != 0)))
    assert 0.3 < zeros < 0.7  # about half of layer 2's live units dropped


def test_hyperparameter_and_per_layer_edits_never_recompile():
    trainer = Trainer(make_config(None, {"hidden_layers": [4, 4], "dropout": 0.1, **BLOBS}))
    state = trainer.train(trainer.init_params(), 2).params
    trainer.evaluate(state)
    before = runtime.compile_count()
    rng = random.Random(2)
    for _ in range(15):
        changes = {
            "layer_dropout": [rng.choice([0.0, 0.1, 0.5]) for _ in range(2)],
            "layer_activations": [rng.choice(["relu", "tanh", "sigmoid", "linear"]) for _ in range(2)],
            "classes": rng.randint(3, 8),
            "learning_rate": rng.choice([0.01, 0.03]),
            "noise": rng.choice([0, 20]),
        }
        trainer.configure(make_config(trainer.config, changes))
        state = trainer.train(trainer.fit_params(state), 2).params
        trainer.evaluate(state)
    assert runtime.compile_count() == before


# ---- inconsistent settings get an error naming the field --------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"dataset": "blobs", "loss": "square"}, "loss", "cross_entropy"),
        ({"dataset": "plane", "problem": "regression", "loss": "cross_entropy"}, "loss", "regression"),
        ({"loss": "huber"}, "loss", "regression loss"),
        ({"dataset": "plane", "problem": "regression", "loss": "cross_entropy"}, "loss", "square or huber"),
        ({"batch_norm": "on", "batch_size": 1}, "batch_size", "at least 2"),
        ({**BLOBS, "classes": 1}, "classes", "between 3 and 8"),
        ({**BLOBS, "classes": 9}, "classes", "between 3 and 8"),
        ({"layer_dropout": [0.2, 1.0]}, "layer_dropout", "between 0 and 0.9"),
        ({"layer_activations": ["relu", "banana"]}, "layer_activations", "relu"),
        ({"loss": "hinge"}, "loss", "square, cross_entropy, huber"),
    ],
)
def test_inconsistent_or_out_of_range_settings_name_the_field(changes, field, words):
    with pytest.raises(ConfigError) as info:
        make_config(None, changes)
    assert info.value.field == field and words in info.value.message, info.value.message


def test_a_change_that_names_no_loss_gets_one_that_suits_its_data():
    blobs = make_config(None, {"dataset": "blobs"})
    assert blobs.loss == "cross_entropy"
    plane = make_config(blobs, {"dataset": "plane", "problem": "regression"})
    assert plane.loss == "square"
    huber = make_config(plane, {"loss": "huber"})
    assert make_config(huber, {"noise": 10}).loss == "huber"  # a loss that suits the data is kept
    assert make_config(huber, {"dataset": "circle", "problem": "classification"}).loss == "square"
    binary_ce = make_config(None, {"loss": "cross_entropy"})
    assert make_config(binary_ce, {"dataset": "xor"}).loss == "cross_entropy"
