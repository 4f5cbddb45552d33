import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnplay.families.mlp.plan import shared_arch
from nnplay.families.mlp.train import batch_loss
from nnplay.features import all_features, feature_mask
from nnplay.models.mlp import ACTIVATION_NAMES, MlpShape, activate, make_arch
from nnplay.models.mlp import forward as mlp_forward
from nnplay.models.mlp_init import init_params

from reference import ACT, exact_layers, features, forward, loss

RNG = np.random.default_rng(0)
POINTS = RNG.uniform(-6, 6, (40, 2)).astype(np.float32)


def padded_inputs(shape: MlpShape) -> jnp.ndarray:
    x = np.zeros((len(POINTS), shape.width), np.float32)
    x[:, :7] = all_features(POINTS)
    return jnp.asarray(x)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_code_selects_the_closed_form(name):
    z = np.linspace(-5, 5, 101, dtype=np.float32)
    code = jnp.asarray(np.eye(len(ACTIVATION_NAMES), dtype=np.float32)[ACTIVATION_NAMES.index(name)])
    np.testing.assert_allclose(np.asarray(activate(jnp.asarray(z), code)), ACT[name](z), atol=2e-6)


@pytest.mark.parametrize(
    ("selected", "hidden", "activation"),
    [
        (["x1", "x2"], [4, 2], "tanh"),
        (["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"], [8] * 6, "relu"),
        (["x1_sq", "sin_x2"], [3], "sigmoid"),
        (["x1"], [], "tanh"),
        (["x1", "x2"], [32, 5, 17], "linear"),  # wider than 8: the 32-wide bucket
    ],
)
def test_padded_net_equals_exact_shape_numpy_net(selected, hidden, activation):
    shape = MlpShape.bucket_for(hidden)
    params = init_params(jax.random.PRNGKey(3), shape)
    arch = make_arch(shape, feature_mask(selected), hidden, activation, "tanh")
    out, _ = mlp_forward(params, arch, padded_inputs(shape))
    idx = [i for i, m in enumerate(feature_mask(selected)) if m]
    expected = forward(exact_layers(params, idx, hidden), features(POINTS, idx), activation, "tanh")
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-5)


def test_gradient_matches_numpy_finite_differences():
    shape = MlpShape(6, 8)
    selected, hidden, idx = ["x1", "x2", "x1_x2"], [3, 2], [0, 1, 4]
    params = init_params(jax.random.PRNGKey(1), shape)
    arch = make_arch(shape, feature_mask(selected), hidden, "tanh", "tanh")
    y = np.sign(POINTS[:, 0] * POINTS[:, 1]).astype(np.float32)
    mask = jnp.ones(len(POINTS))
    grads = jax.grad(batch_loss)(params, arch, padded_inputs(shape), jnp.asarray(y), mask)
    layers = exact_layers(params, idx, hidden)
    x = features(POINTS, idx)
    eps = 1e-5
    # every weight of the first hidden layer, a few of the second, and the output bias
    checks = [(0, r, c) for r in range(3) for c in range(3)] + [(1, 0, 1), (1, 2, 0)]
    for layer, r, c in checks:
        plus = [(w.copy(), b.copy()) for w, b in layers]
        minus = [(w.copy(), b.copy()) for w, b in layers]
        plus[layer][0][r, c] += eps
        minus[layer][0][r, c] -= eps
        numeric = (loss(plus, x, y, "tanh", "tanh") - loss(minus, x, y, "tanh", "tanh")) / (2 * eps)
        analytic = float(grads.w[layer][idx[r] if layer == 0 else r, c])
        assert analytic == pytest.approx(numeric, rel=2e-3, abs=1e-6), (layer, r, c)


def test_absent_neurons_features_and_layers_get_zero_gradient():
    shape = MlpShape(6, 8)
    params = init_params(jax.random.PRNGKey(2), shape)
    arch = make_arch(shape, feature_mask(["x1", "x2"]), [4, 2], "relu", "tanh")
    y = jnp.asarray(np.sign(POINTS[:, 0]).astype(np.float32))
    grads = jax.grad(batch_loss)(params, arch, padded_inputs(shape), y, jnp.ones(len(POINTS)))
    gw = np.asarray(grads.w)
    assert np.all(gw[0, 2:, :] == 0)  # unselected features
    assert np.all(gw[0, :, 4:] == 0)  # neurons 5..8 of layer 1 do not exist
    assert np.all(gw[1, 4:, :] == 0) and np.all(gw[1, :, 2:] == 0)
    assert np.all(gw[2:] == 0)  # layers 3..6 do not exist
    assert np.all(np.asarray(grads.w_out)[2:] == 0)
    assert np.any(gw[0, :2, :4] != 0)


def test_bucket_for_picks_the_smallest_fitting_shape():
    assert MlpShape.bucket_for([4, 2]) == MlpShape(6, 8)
    assert MlpShape.bucket_for([]) == MlpShape(6, 8)
    assert MlpShape.bucket_for([9]) == MlpShape(6, 16)
    assert MlpShape.bucket_for([32] * 10) == MlpShape(12, 32)
    with pytest.raises(ValueError, match="exceeds the largest bucket"):
        MlpShape.bucket_for([65])


def test_init_follows_tf_playground():
    params = init_params(jax.random.PRNGKey(0), MlpShape(6, 8))
    w = np.asarray(params.w)
    assert w.min() >= -0.5 and w.max() <= 0.5 and w.std() > 0.2
    assert np.all(np.asarray(params.b) == np.float32(0.1)) and np.all(
        np.asarray(params.b_out) == np.float32(0.1)
    )


EXTRA_FORMS = {
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(z)),
    "gelu": lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3))),
    "swish": lambda z: z / (1 + np.exp(-z)),
    "softplus": lambda z: np.log1p(np.exp(z)),
}


@pytest.mark.parametrize("name", sorted(EXTRA_FORMS))
def test_extra_activation_in_the_padded_net_equals_its_closed_form(name):
    shape = MlpShape(6, 8)
    params = init_params(jax.random.PRNGKey(4), shape)
    arch = make_arch(shape, feature_mask(["x1", "x2", "x1_x2"]), [5, 3], name, "tanh")
    out, _ = mlp_forward(params, arch, padded_inputs(shape))
    layers = exact_layers(params, [0, 1, 4], [5, 3])
    h = features(POINTS, [0, 1, 4])
    for w, b in layers[:-1]:
        h = EXTRA_FORMS[name](h @ w + b)
    expected = np.tanh(h @ layers[-1][0] + layers[-1][1])[:, 0]
    np.testing.assert_allclose(np.asarray(out), expected, rtol=2e-5, atol=2e-5)


def test_an_architecture_is_put_on_the_device_once_and_its_values_follow_its_settings():
    shape = MlpShape.bucket_for([4, 2])
    arch = shared_arch(shape, feature_mask(["x1", "x2"]), [4, 2], "relu", "tanh", dropout=False)
    # an edit of another setting makes the same arch again: the device's copy is shared, not made anew
    assert shared_arch(shape, feature_mask(["x1", "x2"]), (4, 2), "relu", "tanh", dropout=False) is arch
    expected = make_arch(shape, feature_mask(["x1", "x2"]), [4, 2], "relu", "tanh")
    assert arch.kind == expected.kind
    for shown, value in zip(arch[:-1], expected[:-1], strict=True):
        np.testing.assert_array_equal(np.asarray(shown), np.asarray(value))
    other = shared_arch(shape, feature_mask(["x1", "x2"]), [4, 3], ["relu", "sigmoid"], "tanh")
    assert other is not arch and np.asarray(other.neuron_mask)[1].sum() == 3
    assert np.asarray(other.activation)[1, ACTIVATION_NAMES.index("sigmoid")] == 1
