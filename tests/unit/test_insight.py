"""What a frame shows beyond the output: gradient norms, histograms, metrics, initializers."""

import jax
import numpy as np
import pytest

from nnplay.families.mlp.trainer import HIST_BINS, Trainer, histogram
from nnplay.models.mlp import MlpShape
from nnplay.models.mlp_init import init_params
from nnplay.schemas import make_config

from reference import exact_layers, features, loss


def test_gradient_norms_match_numpy_finite_differences():
    trainer = Trainer(make_config(None, {"hidden_layers": [3], "dataset": "xor"}))
    state = trainer.init_params()
    frame = trainer.evaluate(state)
    split = trainer.plan.split
    layers = exact_layers(state.params, [0, 1], [3])
    x, y = features(split.train_x, [0, 1]), split.train_y.astype(np.float64)
    eps = 1e-5
    for layer, expected_norm in ((0, frame.grad_norms[0]), (1, frame.grad_norms[1])):
        w = layers[layer][0]
        grad = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            w[idx] += eps
            up = loss(layers, x, y, "tanh", "tanh")
            w[idx] -= 2 * eps
            down = loss(layers, x, y, "tanh", "tanh")
            w[idx] += eps
            grad[idx] = (up - down) / (2 * eps)
        assert expected_norm == pytest.approx(np.linalg.norm(grad), rel=1e-3)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vanishing_gradients_six_sigmoid_layers_vs_relu_he(seed):
    def first_layer_norm(activation, init):
        config = make_config(
            None, {"hidden_layers": [8] * 6, "activation": activation, "init": init, "seed": seed}
        )
        trainer = Trainer(config)
        return trainer.evaluate(trainer.init_params()).grad_norms[0]

    assert first_layer_norm("relu", "he") >= 100 * first_layer_norm("sigmoid", "uniform")


def test_initializers_follow_their_definitions():
    shape, sizes = MlpShape(6, 8), [7, 8, 8, 8, 8, 8, 8, 1]
    key = jax.random.PRNGKey(0)
    xavier = np.asarray(init_params(key, shape, "xavier", sizes).w)
    assert np.abs(xavier[0]).max() <= np.sqrt(6 / (7 + 8)) and np.abs(xavier[1]).max() <= np.sqrt(6 / 16)
    assert np.abs(xavier[1]).max() > 0.8 * np.sqrt(6 / 16)
    he = init_params(jax.random.PRNGKey(1), MlpShape(6, 64), "he", [7, 64, 64, 1])
    assert np.asarray(he.w[1]).std() == pytest.approx(np.sqrt(2 / 64), rel=0.05)
    zeros = init_params(key, shape, "zeros", sizes)
    assert not np.any(np.asarray(zeros.w)) and not np.any(np.asarray(zeros.w_out))
    uniform = init_params(key, shape, "uniform", sizes)
    assert np.all(np.asarray(uniform.b) == np.float32(0.1))


def test_zero_init_keeps_every_neuron_of_a_layer_identical():
    trainer = Trainer(make_config(None, {"init": "zeros", "hidden_layers": [4, 4], "activation": "tanh"}))
    state = trainer.train(trainer.init_params(), 50).params
    frame = trainer.evaluate(state)
    w = frame.weights[1]  # layer 2's incoming weights: every column the same
    assert np.allclose(w, w[:, :1])
    grids = frame.neuron_grids[4:8]
    assert np.all(grids == grids[0])


def test_histogram_counts_every_value_in_a_symmetric_range():
    values = np.asarray([-2.0, -0.5, 0.0, 0.1, 1.0, 1.9, np.nan])
    result = histogram(values)
    assert len(result["counts"]) == HIST_BINS and sum(result["counts"]) == 6
    assert result["lo"] == -2.0 and result["hi"] == 2.0
    assert histogram(np.zeros(3))["counts"][HIST_BINS // 2] == 3


def test_frame_carries_metrics_learning_rate_and_histograms_per_layer():
    trainer = Trainer(
        make_config(None, {"hidden_layers": [5, 3], "optimizer": "adam", "learning_rate": 0.01})
    )
    frame = trainer.evaluate(trainer.train(trainer.init_params(), 20).params)
    assert len(frame.grad_norms) == 3 and len(frame.weight_hist) == 3 and len(frame.activation_hist) == 2
    assert sum(frame.activation_hist[0]["counts"]) == 250 * 5
    assert frame.learning_rate == pytest.approx(0.01)
    test = frame.metrics["test"]
    assert test["accuracy"] == pytest.approx(frame.test_accuracy)
    assert len(test["roc_fpr"]) == len(test["roc_tpr"]) and np.sum(test["confusion_matrix"]) == 250
    regression = Trainer(make_config(None, {"dataset": "plane", "problem": "regression"}))
    assert regression.evaluate(regression.init_params()).metrics is None
