"""A small convolutional network described by a stack of layers: shapes, parameter counts, validation,
and the flax (linen) module that runs it.

A stack is a tuple of `Layer`s applied to an 8x8x1 image, followed by a fixed output layer (dense, one
unit per class, softmax in the loss). Dense layers (and the output) flatten a map first. The dropout rate
of a layer is not part of its structure: it reaches the module as a traced array, so editing it never
recompiles; `architecture_key` is what a compiled kernel depends on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn

INPUT_SHAPE = (8, 8, 1)
CLASSES = 10
MAX_LAYERS = 12
POOL = 2  # pools are 2x2 with stride 2
KINDS = ("conv", "maxpool", "avgpool", "flatten", "dense", "dropout", "batchnorm")
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
LIMITS = {"filters": (1, 16), "kernel": (3, 5), "stride": (1, 2), "units": (1, 128)}
MAX_DROPOUT = 0.9


class StackError(ValueError):
    """An invalid stack; `index` is the 1-based layer it names (0 for the stack as a whole)."""

    def __init__(self, index: int, kind: str, problem: str) -> None:
        self.index = index
        self.kind = kind
        self.problem = problem
        where = f"layer {index} ({kind})" if index else "the stack"
        super().__init__(f"{where}: {problem}")
        self.message = str(self)


@dataclass(frozen=True)
class Layer:
    """One layer of the stack. Only the fields of its kind matter (conv: filters, kernel, stride, padding,
    activation; dense: units, activation; dropout: rate)."""

    kind: str
    filters: int = 8
    kernel: int = 3
    stride: int = 1
    padding: str = "same"
    units: int = 32
    rate: float = 0.25
    activation: str = "relu"

    def public(self) -> dict[str, Any]:
        """The fields that matter for this kind, as plain data (for JSON)."""
        fields: dict[str, tuple[str, ...]] = {
            "conv": ("filters", "kernel", "stride", "padding", "activation"),
            "dense": ("units", "activation"),
            "dropout": ("rate",),
        }
        return {"kind": self.kind, **{name: getattr(self, name) for name in fields.get(self.kind, ())}}


@dataclass(frozen=True)
class LayerSummary:
    index: int  # 1-based
    kind: str
    shape: tuple[int, ...]  # output shape of one example
    params: int  # trainable parameters


def architecture_key(layers: Sequence[Layer]) -> tuple[Layer, ...]:
    """What a compiled network depends on: the layers without their (traced) dropout rates."""
    return tuple(replace(layer, rate=0.0) if layer.kind == "dropout" else layer for layer in layers)


def _check_range(index: int, layer: Layer, name: str) -> None:
    low, high = LIMITS[name]
    value = getattr(layer, name)
    if name == "kernel" and value not in (3, 5):
        raise StackError(index, layer.kind, f"kernel must be 3 or 5, got {value}")
    if not low <= value <= high:
        raise StackError(index, layer.kind, f"{name} must be between {low} and {high}, got {value}")


def _check_fields(index: int, layer: Layer) -> None:
    if layer.kind not in KINDS:
        raise StackError(index, str(layer.kind), f"unknown kind; kinds are {', '.join(KINDS)}")
    if layer.kind in ("conv", "dense") and layer.activation not in ACTIVATIONS:
        raise StackError(
            index,
            layer.kind,
            f"unknown activation {layer.activation!r}; activations are {', '.join(ACTIVATIONS)}",
        )
    if layer.kind == "conv":
        for name in ("filters", "kernel", "stride"):
            _check_range(index, layer, name)
        if layer.padding not in ("same", "valid"):
            raise StackError(index, layer.kind, f"padding must be 'same' or 'valid', got {layer.padding!r}")
    if layer.kind == "dense":
        _check_range(index, layer, "units")
    if layer.kind == "dropout" and not (0.0 <= layer.rate <= MAX_DROPOUT):
        raise StackError(index, layer.kind, f"rate must be between 0 and {MAX_DROPOUT}, got {layer.rate}")


def _conv_side(side: int, layer: Layer, index: int) -> int:
    if layer.padding == "same":
        return math.ceil(side / layer.stride)
    if layer.kernel > side:
        raise StackError(
            index,
            "conv",
            f"a {layer.kernel}x{layer.kernel} kernel with valid padding needs a map of at least "
            f"{layer.kernel}x{layer.kernel}, got {side}x{side}",
        )
    return (side - layer.kernel) // layer.stride + 1


def _next_shape(shape: tuple[int, ...], layer: Layer, index: int) -> tuple[tuple[int, ...], int]:
    """(output shape, trainable parameters) of `layer` on an input of `shape`, or StackError."""
    flat = math.prod(shape)
    if layer.kind == "conv":
        if len(shape) != 3:
            raise StackError(
                index, "conv", f"needs an image map, but its input is flat ({flat}); put it first"
            )
        side = _conv_side(shape[0], layer, index)
        return (side, side, layer.filters), (layer.kernel**2 * shape[2] + 1) * layer.filters
    if layer.kind in ("maxpool", "avgpool"):
        if len(shape) != 3:
            raise StackError(index, layer.kind, f"needs an image map, but its input is flat ({flat})")
        if shape[0] < POOL:
            raise StackError(
                index,
                layer.kind,
                f"a {POOL}x{POOL} pool needs a map of at least {POOL}x{POOL}, got {shape[0]}x{shape[1]}",
            )
        return (shape[0] // POOL, shape[1] // POOL, shape[2]), 0
    if layer.kind == "flatten":
        return (flat,), 0
    if layer.kind == "dense":
        return (layer.units,), (flat + 1) * layer.units
    if layer.kind == "batchnorm":
        return shape, 2 * shape[-1]
    return shape, 0  # dropout


def summarize(layers: Sequence[Layer]) -> list[LayerSummary]:
    """Each layer's output shape and parameter count, then the output layer's; StackError if invalid."""
    if len(layers) > MAX_LAYERS:
        raise StackError(0, "stack", f"at most {MAX_LAYERS} layers, got {len(layers)}")
    shape: tuple[int, ...] = INPUT_SHAPE
    result = []
    for index, layer in enumerate(layers, start=1):
        _check_fields(index, layer)
        shape, params = _next_shape(shape, layer, index)
        result.append(LayerSummary(index, layer.kind, shape, params))
    result.append(LayerSummary(len(layers) + 1, "output", (CLASSES,), (math.prod(shape) + 1) * CLASSES))
    return result


def parameter_count(layers: Sequence[Layer]) -> int:
    return sum(s.params for s in summarize(layers))


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
