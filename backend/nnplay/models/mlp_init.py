"""The padded MLP's initial weights: TF Playground's uniform draw, Xavier, He or zeros, with the fans of
the exact net (models/mlp.py holds the net itself)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .mlp import DEPTH_BUCKETS, MAX_OUTPUTS, N_FEATURES, WIDTH_BUCKETS, MlpShape, Params

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


# ---- the same weights, drawn fast ------------------------------------------------------------------
# init_params (above, and copied into exported scripts) draws op by op: with an empty compile cache JAX
# compiles each of its operations for each bucket, seconds on a small CPU, and a new run waited for it.
# draw_params gives the same numbers bit for bit (tests/unit/test_mlp_init.py) from one compiled draw that
# serves every bucket: with threefry's partitionable counters (JAX's default) a draw of shape s is the
# first prod(s) numbers of the same key's longer flat draw; the rest is arithmetic on the host.
_HIDDEN_DRAWS = DEPTH_BUCKETS[-1] * WIDTH_BUCKETS[-1] ** 2
HostParams = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # Params's leaves, in order
_DRAWS = {"uniform": ("uniform", -0.5, 0.5), "xavier": ("uniform", -1.0, 1.0), "he": ("normal", 0.0, 0.0)}


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def _flat_draws(key: jax.Array, law: str, low: float, high: float) -> jax.Array:
    """init_params's three draws (hidden weights, output column 0, the other output columns), each as
    long as the largest bucket's hidden weights: one draw over the three keys compiles in half the time
    of three draws."""
    k_hidden, k_out = jax.random.split(key)
    k_more = jax.random.fold_in(k_out, 1)

    def draw(k: jax.Array) -> jax.Array:
        if law == "normal":
            return jax.random.normal(k, (_HIDDEN_DRAWS,), jnp.float32)
        return jax.random.uniform(k, (_HIDDEN_DRAWS,), jnp.float32, low, high)

    return jax.vmap(draw)(jnp.stack([k_hidden, k_out, k_more]))


def draw_params_host(
    key: jax.Array, shape: MlpShape, kind: str = "uniform", sizes: list[int] | None = None
) -> HostParams:
    """init_params(key, shape, kind, sizes) as numpy arrays, bit for bit, without an operation per leaf."""
    if kind not in INITIALIZERS:
        raise ValueError(f"unknown initializer {kind!r}; choose one of {', '.join(INITIALIZERS)}")
    depth, width = shape.depth, shape.width
    if kind == "zeros":
        zero = np.float32(0.0)
        return (
            np.full((depth, width, width), zero),
            np.full((depth, width), zero),
            np.full((width, MAX_OUTPUTS), zero),
            np.full((MAX_OUTPUTS,), zero),
        )
    if not jax.config.jax_threefry_partitionable:  # type: ignore[attr-defined]  # no prefix draws then
        w, b, w_out, b_out = (np.asarray(leaf) for leaf in init_params(key, shape, kind, sizes))
        return w, b, w_out, b_out
    hidden, out, more = np.asarray(_flat_draws(key, *_DRAWS[kind]))
    w = hidden[: depth * width * width].reshape(depth, width, width)
    w_out = np.concatenate([out[:width, None], more[: width * (MAX_OUTPUTS - 1)].reshape(width, -1)], 1)
    if kind == "uniform":
        bias = np.float32(0.1)
        return (w, np.full((depth, width), bias), w_out, np.full((MAX_OUTPUTS,), bias))
    sizes = sizes or [N_FEATURES, *([width] * depth), 1]
    hidden_sizes = sizes[1:-1]
    fan_in = np.asarray([sizes[0], *hidden_sizes][:depth] + [width] * (depth - len(hidden_sizes)), np.float32)
    fan_in = fan_in[:depth]
    out_in = float(hidden_sizes[-1] if hidden_sizes else sizes[0])
    if kind == "xavier":
        fan_out = np.asarray(hidden_sizes[:depth] + [width] * (depth - len(hidden_sizes)), np.float32)[:depth]
        w = w * np.sqrt(6.0 / (fan_in + fan_out))[:, None, None]
        w_out = w_out * np.float32(np.sqrt(6.0 / (out_in + float(sizes[-1]))))
    else:  # he
        w = w * np.sqrt(2.0 / fan_in)[:, None, None]
        w_out = w_out * np.float32(np.sqrt(2.0 / out_in))
    zero = np.float32(0.0)
    return (w, np.full((depth, width), zero), w_out, np.full((MAX_OUTPUTS,), zero))


def draw_params(
    key: jax.Array, shape: MlpShape, kind: str = "uniform", sizes: list[int] | None = None
) -> Params:
    """init_params's weights on the device, drawn fast (draw_params_host); traced (jax.eval_shape, a
    kernel) it is init_params itself."""
    if isinstance(key, jax.core.Tracer):
        return init_params(key, shape, kind, sizes)
    w, b, w_out, b_out = jax.device_put(draw_params_host(key, shape, kind, sizes))
    return Params(w, b, w_out, b_out)
