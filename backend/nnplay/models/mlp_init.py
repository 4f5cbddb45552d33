"""The padded MLP's initial weights: TF Playground's uniform draw, Xavier, He or zeros, with the fans of
the exact net (models/mlp.py holds the net itself)."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .mlp import MAX_OUTPUTS, N_FEATURES, MlpShape, Params

INITIALIZERS = ("uniform", "xavier", "he", "zeros")


def init_params(
    key: jax.Array, shape: MlpShape, kind: str = "uniform", sizes: list[int] | None = None
) -> Params:
    """Initial weights. `sizes` = [inputs, *hidden, 1] of the exact net sets the fans of each layer.

    uniform: TF Playground's U(-0.5, 0.5), biases 0.1. xavier: Glorot uniform, limit sqrt(6 / (in + out)).
    he: normal with std sqrt(2 / in) (for ReLU). zeros: every weight 0 (all neurons stay identical).
    The last three start biases at 0.
    """
    k_hidden, k_out = jax.random.split(key)
    k_more = jax.random.fold_in(k_out, 1)  # outputs past the first (classes): their own stream
    depth, width = shape.depth, shape.width

    def outputs(draw: Callable[[jax.Array, tuple[int, ...]], jax.Array]) -> jax.Array:
        # Column 0 is drawn exactly as a single output always was, so binary runs keep their weights.
        return jnp.concatenate([draw(k_out, (width,))[:, None], draw(k_more, (width, MAX_OUTPUTS - 1))], 1)

    if kind == "uniform":
        w = jax.random.uniform(k_hidden, (depth, width, width), jnp.float32, -0.5, 0.5)
        w_out = outputs(lambda k, s: jax.random.uniform(k, s, jnp.float32, -0.5, 0.5))
        return Params(
            w, jnp.full((depth, width), 0.1, jnp.float32), w_out, jnp.full((MAX_OUTPUTS,), 0.1, jnp.float32)
        )
    if kind not in INITIALIZERS:
        raise ValueError(f"unknown initializer {kind!r}; choose one of {', '.join(INITIALIZERS)}")
    sizes = sizes or [N_FEATURES, *([width] * depth), 1]
    hidden = sizes[1:-1]
    # fans per padded layer: exact for existing layers, the padded width for absent ones
    fan_in = np.asarray([sizes[0], *hidden][:depth] + [width] * (depth - len(hidden)), np.float32)[:depth]
    fan_out = np.asarray(hidden[:depth] + [width] * (depth - len(hidden)), np.float32)[:depth]
    out_in = float(hidden[-1] if hidden else sizes[0])
    zeros = jnp.zeros
    out_fan = float(sizes[-1])
    if kind == "zeros":
        return Params(
            zeros((depth, width, width)),
            zeros((depth, width)),
            zeros((width, MAX_OUTPUTS)),
            zeros(MAX_OUTPUTS),
        )
    if kind == "xavier":
        limit = jnp.asarray(np.sqrt(6.0 / (fan_in + fan_out)))[:, None, None]
        w = jax.random.uniform(k_hidden, (depth, width, width), jnp.float32, -1.0, 1.0) * limit
        out_limit = np.sqrt(6.0 / (out_in + out_fan))
        w_out = outputs(lambda k, s: jax.random.uniform(k, s, jnp.float32, -1.0, 1.0)) * out_limit
    else:  # he
        std = jnp.asarray(np.sqrt(2.0 / fan_in))[:, None, None]
        w = jax.random.normal(k_hidden, (depth, width, width), jnp.float32) * std
        w_out = outputs(lambda k, s: jax.random.normal(k, s, jnp.float32)) * np.sqrt(2.0 / out_in)
    return Params(w, zeros((depth, width)), w_out, zeros(MAX_OUTPUTS, jnp.float32))
