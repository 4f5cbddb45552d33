"""A fully connected net padded to a bucket (depth, width): layer and neuron edits within the bucket are
traced 0/1 masks, so they compile nothing and keep every weight.

A masked neuron outputs 0 (its weights get zero gradient, so Adam leaves them as they were: a neuron
switched back on comes back with its weights); a switched-off layer passes its input through. The
activation is a traced code into ACTIVATIONS. Used for the GAN's generator and discriminator and the
autoencoder's encoder and decoder (families/gen/gan.py, vae.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .settings import ACTIVATIONS

WIDTH_BUCKETS = (16, 32, 64, 128, 256)
DEPTH_BUCKETS = (2, 4, 6)


@dataclass(frozen=True)
class NetShape:
    """The padded shape one compiled kernel serves, with the net's input and output sizes."""

    depth: int
    width: int
    inputs: int
    outputs: int

    @staticmethod
    def bucket_for(layers: tuple[int, ...], inputs: int, outputs: int) -> NetShape:
        width = next(w for w in WIDTH_BUCKETS if w >= max(layers))
        depth = next(d for d in DEPTH_BUCKETS if d >= len(layers))
        return NetShape(depth, width, inputs, outputs)


class Net(NamedTuple):
    """Weights as jax arrays while training, numpy ones when made or carried over on the host."""

    w_in: Any  # (inputs, width)
    b_in: Any  # (width,)
    w: Any  # (depth - 1, width, width)
    b: Any  # (depth - 1, width)
    w_out: Any  # (width, outputs)
    b_out: Any  # (outputs,)


class NetMask(NamedTuple):
    """The traced part of an architecture: which neurons are on, and the activation's code."""

    neurons: jax.Array  # f32 (depth, width): 1 where layer l has neuron j
    activation: jax.Array  # i32 ()


def net_mask(shape: NetShape, layers: tuple[int, ...], activation: str) -> NetMask:
    mask = np.zeros((shape.depth, shape.width), np.float32)
    for i, n in enumerate(layers):
        mask[i, :n] = 1.0
    return NetMask(jnp.asarray(mask), jnp.asarray(ACTIVATIONS.index(activation), jnp.int32))


def init_net(seed: int, stream: int, shape: NetShape, layers: tuple[int, ...]) -> Net:
    """He-scaled weights for the whole bucket (the fan-ins of the config's own widths), zero biases. Drawn
    with numpy from (seed, stream): a new run costs no compile (jax's random ops would compile one kernel
    each, seconds on a busy machine)."""
    rng = np.random.default_rng([seed, stream])
    fans = [shape.inputs, *layers, *([layers[-1]] * shape.depth)]

    def normal(rows: int, cols: int, fan: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * np.sqrt(2.0 / max(1, fan))).astype(np.float32)

    w_in = normal(shape.inputs, shape.width, fans[0])
    w = np.stack([normal(shape.width, shape.width, fans[1 + i]) for i in range(shape.depth - 1)])
    w_out = normal(shape.width, shape.outputs, layers[-1]) * np.float32(np.sqrt(0.5))
    zeros = np.zeros
    b = zeros((shape.depth - 1, shape.width), np.float32)
    return Net(w_in, zeros(shape.width, np.float32), w, b, w_out, zeros(shape.outputs, np.float32))


def zeros_like_init(init: Callable[[Any], Any], params: Any) -> Any:
    """An optimizer's initial state as numpy zeros, from its shapes alone (no compile): Adam's is zeros."""
    return jax.tree.map(lambda leaf: np.zeros(leaf.shape, leaf.dtype), jax.eval_shape(init, params))


def activate(z: jax.Array, code: jax.Array) -> jax.Array:
    """ACTIVATIONS[code](z), the code traced (every branch is cheap at these sizes)."""
    return jax.lax.switch(
        code,
        [jax.nn.relu, lambda v: jax.nn.leaky_relu(v, 0.2), jnp.tanh, jax.nn.elu],
        z,
    )


def apply_net(net: Net, mask: NetMask, x: jax.Array) -> jax.Array:
    """The net's output for inputs x (..., inputs) -> (..., outputs)."""
    h = activate(x @ net.w_in + net.b_in, mask.activation) * mask.neurons[0]
    for layer in range(net.w.shape[0]):
        on = mask.neurons[layer + 1]
        z = activate(h @ net.w[layer] + net.b[layer], mask.activation) * on
        h = jnp.where(jnp.any(on > 0), z, h)
    return h @ net.w_out + net.b_out


def fit_net(old: Net, new: Net) -> Net:
    """`new` with `old`'s weights copied where their shapes overlap (a bucket change keeps the weights)."""

    def copy(o: Any, n: Any) -> Any:
        if o.ndim != n.ndim:
            return n
        region = tuple(slice(0, min(a, b)) for a, b in zip(o.shape, n.shape, strict=True))
        out = np.array(n)  # numpy: carrying weights over compiles nothing
        out[region] = np.asarray(o)[region]
        return out

    return Net(*(copy(o, n) for o, n in zip(old, new, strict=True)))
