"""The conv stack: shapes and parameter counts, errors that name the layer, gradients and a numpy forward."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import linen as nn
from jax.flatten_util import ravel_pytree

from nnplay.models.cnn import PatchConv, StackNet, dropout_rates, init_variables
from nnplay.models.cnn_stack import Layer, StackError, summarize


def _shapes(stack):
    return [(s.shape, s.params) for s in summarize(stack)]


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ((), [((10,), 650)]),
        (
            (Layer("conv", filters=8), Layer("maxpool"), Layer("conv", filters=16), Layer("flatten")),
            [((8, 8, 8), 80), ((4, 4, 8), 0), ((4, 4, 16), 1168), ((256,), 0), ((10,), 2570)],
        ),
        (
            (Layer("conv", filters=4, kernel=5, padding="valid"), Layer("avgpool"), Layer("dense", units=7)),
            [((4, 4, 4), 104), ((2, 2, 4), 0), ((7,), 7 * 17), ((10,), 80)],
        ),
        (
            (Layer("conv", filters=3, stride=2), Layer("batchnorm"), Layer("dropout", rate=0.5)),
            [((4, 4, 3), 30), ((4, 4, 3), 6), ((4, 4, 3), 0), ((10,), 490)],
        ),
        (
            (Layer("conv", filters=2, kernel=3, stride=2, padding="valid"), Layer("flatten")),
            [((3, 3, 2), 20), ((18,), 0), ((10,), 190)],
        ),
        (
            (Layer("flatten"), Layer("dense", units=128), Layer("batchnorm")),
            [((64,), 0), ((128,), 8320), ((128,), 256), ((10,), 1290)],
        ),
    ],
)
def test_shapes_and_parameter_counts_match_the_arithmetic_and_flax(stack, expected):
    assert _shapes(stack) == expected
    variables = init_variables(stack, 0)
    assert sum(x.size for x in jax.tree.leaves(variables["params"])) == sum(p for _, p in expected)
    logits, outputs = StackNet(stack).apply(variables, jnp.zeros((2, 8, 8, 1)), dropout_rates(stack))
    assert logits.shape == (2, 10)
    assert [o.shape[1:] for o in outputs] == [shape for shape, _ in expected[:-1]]


@pytest.mark.parametrize(
    ("stack", "message"),
    [
        ([Layer("maxpool")] * 4, "layer 4 (maxpool): a 2x2 pool needs a map of at least 2x2, got 1x1"),
        (
            [Layer("conv", stride=2), Layer("conv", kernel=5, padding="valid")],
            "layer 2 (conv): a 5x5 kernel with valid padding needs a map of at least 5x5, got 4x4",
        ),
        ([Layer("flatten"), Layer("conv")], "layer 2 (conv): needs an image map, but its input is flat (64)"),
        (
            [Layer("dense"), Layer("avgpool")],
            "layer 2 (avgpool): needs an image map, but its input is flat (32)",
        ),
        ([Layer("conv", filters=17)], "layer 1 (conv): filters must be between 1 and 16, got 17"),
        ([Layer("flatten"), Layer("conv", kernel=4)], "layer 2 (conv): kernel must be 3 or 5, got 4"),
        ([Layer("conv", stride=3)], "layer 1 (conv): stride must be between 1 and 2, got 3"),
        ([Layer("conv", padding="full")], "layer 1 (conv): padding must be 'same' or 'valid', got 'full'"),
        (
            [Layer("flatten"), Layer("dense", units=0)],
            "layer 2 (dense): units must be between 1 and 128, got 0",
        ),
        ([Layer("dense", activation="cube")], "layer 1 (dense): unknown activation 'cube'"),
        ([Layer("dropout", rate=1.0)], "layer 1 (dropout): rate must be between 0 and 0.9, got 1.0"),
        ([Layer("flatten"), Layer("pool")], "layer 2 (pool): unknown kind"),
        ([Layer("flatten")] * 13, "the stack: at most 12 layers, got 13"),
    ],
)
def test_each_invalid_stack_is_rejected_with_its_layer_named(stack, message):
    with pytest.raises(StackError) as caught:
        summarize(stack)
    assert str(caught.value).startswith(message)


def _numpy_conv_same(image, kernel, bias):
    """Cross-correlation with zero 'same' padding, stride 1: (h, w, cin) x (k, k, cin, cout)."""
    k = kernel.shape[0]
    pad = k // 2
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)))
    out = np.zeros((*image.shape[:2], kernel.shape[3]))
    for r in range(image.shape[0]):
        for c in range(image.shape[1]):
            out[r, c] = np.tensordot(padded[r : r + k, c : c + k], kernel, axes=3) + bias
    return out


def test_conv_layer_matches_a_numpy_cross_correlation():
    stack = (Layer("conv", filters=3, kernel=5, activation="linear"),)
    variables = init_variables(stack, 3)
    image = np.random.default_rng(0).random((8, 8, 1)).astype(np.float32)
    _, (out,) = StackNet(stack).apply(variables, image[None], dropout_rates(stack))
    p = variables["params"]["conv_0"]
    expected = _numpy_conv_same(image, np.asarray(p["kernel"]), np.asarray(p["bias"]))
    np.testing.assert_allclose(np.asarray(out[0]), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "side"),
    [
        (k, s, p, side)
        for k in (3, 5)
        for s in (1, 2)
        for p in ("same", "valid")
        for side in (8, 5, 4)
        if p == "same" or k <= side
    ],
)
def test_patch_conv_equals_flax_conv(kernel, stride, padding, side):
    x = jax.numpy.asarray(np.random.default_rng(side).standard_normal((3, side, side, 2)), jnp.float32)
    reference = nn.Conv(4, (kernel, kernel), strides=(stride, stride), padding=padding.upper())
    variables = reference.init(jax.random.PRNGKey(0), x)
    ours = PatchConv(4, kernel, stride, padding).apply(variables, x)
    np.testing.assert_allclose(
        np.asarray(ours), np.asarray(reference.apply(variables, x)), rtol=1e-5, atol=1e-5
    )


def test_gradients_of_the_conv_stack_match_finite_differences():
    stack = (
        Layer("conv", filters=3, activation="tanh"),
        Layer("avgpool"),
        Layer("conv", filters=2, kernel=3, stride=2, padding="valid", activation="swish"),
        Layer("dense", units=5, activation="tanh"),
    )
    with jax.enable_x64(True):
        variables = init_variables(stack, 1)
        params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), variables["params"])
        rng = np.random.default_rng(2)
        images = jnp.asarray(rng.random((4, 8, 8, 1)))
        labels = jnp.asarray(rng.integers(0, 10, 4))
        net = StackNet(stack)

        def loss(p):
            logits, _ = net.apply({"params": p}, images, dropout_rates(stack))
            return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

        grads = jax.grad(loss)(params)
        flat, unravel = ravel_pytree(params)
        flat_grads, _ = ravel_pytree(grads)
        eps = 1e-6
        for i in rng.choice(flat.size, 40, replace=False):
            step = np.zeros(flat.size)
            step[i] = eps
            numeric = (loss(unravel(flat + step)) - loss(unravel(flat - step))) / (2 * eps)
            assert float(flat_grads[i]) == pytest.approx(float(numeric), rel=1e-5, abs=1e-9)


def test_every_activation_a_stack_may_name_is_one_the_module_runs():
    from nnplay.models import cnn, cnn_stack

    assert tuple(cnn.ACTIVATIONS) == cnn_stack.ACTIVATIONS
