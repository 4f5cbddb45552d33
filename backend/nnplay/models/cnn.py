"""The flax (linen) module that runs a convolutional stack (models/cnn_stack.py describes and checks it),
its dropout rates as a traced array, and its initial variables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn

from .cnn_stack import CLASSES, INPUT_SHAPE, MAX_LAYERS, POOL, Layer, architecture_key

# the functions of the activations a stack may name (cnn_stack.ACTIVATIONS)
ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "linear": lambda x: x,
    "leaky_relu": jax.nn.leaky_relu,
    "elu": jax.nn.elu,
    "gelu": jax.nn.gelu,
    "swish": jax.nn.swish,
}


class PatchConv(nn.Module):
    """A 2-D convolution (cross-correlation, as nn.Conv, with the same 'kernel' (k, k, in, out) and 'bias'
    parameters and the same SAME/VALID padding) computed as k*k shifted slices and one einsum.

    Why not nn.Conv: on XLA:CPU, lax.conv inside the training kernel's loop ran 4-5x slower than this
    for 8x8 maps (measured: 17 vs 80 ms per epoch of the default CNN), slower even than one jitted call
    per step; slices and a dot are what the loop runs well. Outside a loop, on a whole data set, the
    patches cost memory (25x the map for a 5x5 kernel) and lax.conv is faster: `patches=False` uses it,
    with the same parameters (evaluation and prediction do).
    """

    features: int
    kernel: int
    stride: int
    padding: str  # "same" | "valid"
    patches: bool = True

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        k, s, channels = self.kernel, self.stride, x.shape[-1]
        kernel = self.param("kernel", nn.initializers.lecun_normal(), (k, k, channels, self.features))
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        if not self.patches:
            y = jax.lax.conv_general_dilated(
                x, kernel, (s, s), self.padding.upper(), dimension_numbers=("NHWC", "HWIO", "NHWC")
            )
            return y + bias
        side = x.shape[1]
        if self.padding == "same":
            out = -(-side // s)
            total = max((out - 1) * s + k - side, 0)
            low = total // 2
            x = jnp.pad(x, ((0, 0), (low, total - low), (low, total - low), (0, 0)))
        else:
            out = (side - k) // s + 1
        end = s * (out - 1) + 1
        patches = jnp.stack(
            [x[:, i : i + end : s, j : j + end : s, :] for i in range(k) for j in range(k)], 3
        )
        return jnp.einsum("nhwpc,pcf->nhwf", patches, kernel.reshape(k * k, channels, self.features)) + bias


class StackNet(nn.Module):
    """The network of a stack. __call__ returns (logits, each layer's output) for a batch (n, 8, 8, 1).

    `dropout_rates[i]` is the rate of layer i when it is a dropout layer (traced); dropout needs the
    'dropout' rng in training. Batch norm uses batch statistics in training (mutable 'batch_stats') and
    the running averages in evaluation.
    """

    layers: tuple[Layer, ...]
    patches: bool = True  # convolutions as slices + einsum (training loops) or lax.conv (whole data sets)

    @nn.compact
    def __call__(
        self, x: jax.Array, dropout_rates: jax.Array, train: bool = False
    ) -> tuple[jax.Array, list[jax.Array]]:
        outputs = []
        for i, layer in enumerate(self.layers):
            if layer.kind == "conv":
                conv = PatchConv(
                    layer.filters, layer.kernel, layer.stride, layer.padding, self.patches, name=f"conv_{i}"
                )
                x = ACTIVATIONS[layer.activation](conv(x))
            elif layer.kind == "maxpool":
                x = nn.max_pool(x, (POOL, POOL), strides=(POOL, POOL))
            elif layer.kind == "avgpool":
                x = nn.avg_pool(x, (POOL, POOL), strides=(POOL, POOL))
            elif layer.kind == "flatten":
                x = x.reshape(x.shape[0], -1)
            elif layer.kind == "dense":
                x = ACTIVATIONS[layer.activation](nn.Dense(layer.units, name=f"dense_{i}")(_flat(x)))
            elif layer.kind == "batchnorm":
                x = nn.BatchNorm(use_running_average=not train, momentum=0.9, name=f"batchnorm_{i}")(x)
            elif layer.kind == "dropout" and train:
                keep = 1.0 - dropout_rates[i]
                mask = jax.random.bernoulli(self.make_rng("dropout"), keep, x.shape)
                x = jnp.where(mask, x / keep, 0.0)
            outputs.append(x)
        return nn.Dense(CLASSES, name="output")(_flat(x)), outputs


def _flat(x: jax.Array) -> jax.Array:
    return x.reshape(x.shape[0], -1)


def dropout_rates(layers: Sequence[Layer]) -> jax.Array:
    """The traced rate array of a stack: entry i is layer i's dropout rate (0 elsewhere)."""
    rates = [layer.rate if layer.kind == "dropout" else 0.0 for layer in layers]
    return jnp.asarray(rates + [0.0] * (MAX_LAYERS - len(rates)), jnp.float32)


@cache
def _variable_shapes(layers: tuple[Layer, ...]) -> Any:
    net = StackNet(layers)
    return jax.eval_shape(
        lambda: net.init(jax.random.PRNGKey(0), jnp.zeros((1, *INPUT_SHAPE)), jnp.zeros(MAX_LAYERS))
    )


def _initial_value(path: tuple[Any, ...], leaf: Any, rng: np.random.Generator) -> np.ndarray:
    """flax's defaults, drawn with numpy: LeCun-normal kernels (truncated at 2 sigma), zero biases,
    batch norm's scale and running variance 1, its shift and running mean 0."""
    name = str(getattr(path[-1], "key", path[-1]))
    shape = tuple(leaf.shape)
    if name == "kernel":
        std = 1.0 / math.sqrt(math.prod(shape[:-1])) / 0.87962566103423978  # flax's truncation factor
        values = rng.standard_normal(shape)
        while (outside := np.abs(values) > 2).any():
            values[outside] = rng.standard_normal(int(outside.sum()))
        return (values * std).astype(np.float32)
    if name in ("scale", "var"):
        return np.ones(shape, np.float32)
    return np.zeros(shape, np.float32)


def init_variables(layers: Sequence[Layer], seed: int) -> dict[str, Any]:
    """Fresh variables ('params' and, with batch norm, 'batch_stats') of a stack: a pure function of
    the architecture and the seed. Drawn on the host: an eager or jitted flax init would compile (slow)."""
    rng = np.random.default_rng(seed)
    shapes = _variable_shapes(architecture_key(layers))
    variables = jax.tree_util.tree_map_with_path(lambda path, leaf: _initial_value(path, leaf, rng), shapes)
    variables = jax.tree.map(jnp.asarray, variables)
    return {"params": variables["params"], "batch_stats": variables.get("batch_stats", {})}
