"""The fast path: a kernel compiled for one exact architecture, batch size and training-set size.

The padded kernel (train.py) serves every edit at once; this one is compiled in the background for the
config actually in use and swapped in when ready (~3-6x more epochs/s on CPU). Inside, shapes are
static: batches come from a pre-batched array through an unrolled `lax.scan`, features are a static
gather and the activation is a plain function. It reads and writes the same padded training state
(weights and the optimizer's moments), so the two kernels are interchangeable between chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ...engine.optimizers import (
    Hyper,
    OptimizerSpec,
    TrainState,
    dropout_key,
    is_params,
    make_optimizer,
    map_moments,
    penalty_gradient,
    scheduled_rate,
)
from ...models.losses import point_loss
from ...models.mlp import BN_EPSILON, EXTRA_ACTIVATIONS, Params, drop
from .train import ChunkResult, healthy, regularized_update, run_epochs, shuffle_order

SCAN_UNROLL = 5  # measured: 1.8x over no unrolling for the default net; 25 was slower than 5

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "linear": lambda z: z,
    **EXTRA_ACTIVATIONS,
}


@dataclass(frozen=True)
class ExactSpec:
    """Everything the exact kernel is specialised on (hashable: the key of the compile cache)."""

    features: tuple[int, ...]  # indices of the selected features
    hidden: tuple[int, ...]
    activations: tuple[str, ...]  # one per hidden layer
    output_activation: str
    regularization: str  # none | l1 | l2: plain SGD skips the penalty's ops entirely
    dropout: bool  # compiled in only when a rate is set (the rates themselves are traced)
    batch_size: int
    n_train: int
    optimizer: OptimizerSpec
    loss: str = "square"  # models.mlp.LOSS_KINDS
    outputs: int = 1  # output columns in use (classes for "softmax")
    batch_norm: bool = False
    shuffle: bool = False  # a fresh order of the points every epoch (train.shuffle_order)


class BatchedData(NamedTuple):
    x: jax.Array  # (n_batches, batch, n_features)
    y: jax.Array  # (n_batches, batch)
    rest_x: jax.Array  # (n_train % batch, n_features): the short last batch
    rest_y: jax.Array


def batch_data(spec: ExactSpec, features: np.ndarray, labels: np.ndarray) -> BatchedData:
    """Host-side: the training set in batches, in order (TF Playground does not reshuffle)."""
    x = features[: spec.n_train][:, list(spec.features)]
    y = labels[: spec.n_train]
    full = spec.n_train // spec.batch_size * spec.batch_size
    return BatchedData(
        # device_put, not jnp.asarray: a new shape must never cost a compile on the edit path
        jax.device_put(np.ascontiguousarray(x[:full].reshape(-1, spec.batch_size, x.shape[1]), np.float32)),
        jax.device_put(np.ascontiguousarray(y[:full].reshape(-1, spec.batch_size), np.float32)),
        jax.device_put(np.ascontiguousarray(x[full:], np.float32)),
        jax.device_put(np.ascontiguousarray(y[full:], np.float32)),
    )


Layers = list[tuple[jax.Array, jax.Array]]
Runs = tuple[tuple[int, int], ...]  # (start, stop) of padded rows, in the exact layer's order


def _runs(indices: tuple[int, ...]) -> Runs:
    """The padded rows of these indices as runs of consecutive rows: (0, 1, 4) -> ((0, 2), (4, 5)). Cutting
    and writing back by slices makes XLA copy blocks; a gather and a scatter of each slot's weights every
    call grew a stacked call's fixed part ~4x from 32 slots to 512 (bench/batch_call.py)."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return tuple(runs)


def _cut(padded: jax.Array, runs: Runs, n: int) -> jax.Array:
    """The rows of `runs` x the first `n` columns of `padded` (rows, columns)."""
    parts = [padded[start:stop, :n] for start, stop in runs]
    return parts[0] if len(parts) == 1 else jnp.concatenate(parts)


def _set(padded: jax.Array, at: tuple[int, ...], runs: Runs, value: jax.Array) -> jax.Array:
    """`padded` with the rows of `value` written at [*at, rows of `runs`, :columns of value]."""
    row, n = 0, value.shape[1]
    for start, stop in runs:
        padded = padded.at[(*at, slice(start, stop), slice(0, n))].set(value[row : row + stop - start])
        row += stop - start
    return padded


def extract_layers(
    params: Params, features: tuple[int, ...], hidden: tuple[int, ...], outputs: int
) -> Layers:
    """The exact-shape (weights, biases) of each layer, output last, cut out of padded params."""
    runs = _runs(features)
    layers = []
    for layer, n in enumerate(hidden):
        layers.append((_cut(params.w[layer], runs, n), params.b[layer][:n]))
        runs = ((0, n),)
    layers.append((_cut(params.w_out, runs, outputs), params.b_out[:outputs]))
    return layers


def _extract(params: Params, spec: ExactSpec) -> Layers:
    return extract_layers(params, spec.features, spec.hidden, spec.outputs)


def _insert(params: Params, layers: Layers, spec: ExactSpec) -> Params:
    w, b = params.w, params.b
    runs = _runs(spec.features)
    for layer, n in enumerate(spec.hidden):
        w = _set(w, (layer,), runs, layers[layer][0])
        b = b.at[layer, :n].set(layers[layer][1])
        runs = ((0, n),)
    w_out_new, b_out_new = layers[-1]
    w_out = _set(params.w_out, (), runs, w_out_new)
    return Params(w, b, w_out, params.b_out.at[: spec.outputs].set(b_out_new))


class ExactState(NamedTuple):
    """The training state inside the exact kernel: exact-shape layers and moments."""

    layers: Layers
    opt_state: Any
    epoch: jax.Array


def make_exact_chunk(spec: ExactSpec) -> Callable[[TrainState, Hyper, BatchedData, jax.Array], ChunkResult]:
    """A pure chunk function for `spec` (jit it)."""
    acts = [ACTIVATIONS[name] for name in spec.activations]
    out_act = ACTIVATIONS[spec.output_activation]
    optimizer, schedule = spec.optimizer.optimizer, spec.optimizer.schedule
    steps_per_epoch = -(-spec.n_train // spec.batch_size)

    def loss(
        layers: Layers, x: jax.Array, y: jax.Array, drop_key: jax.Array | None, rate: jax.Array
    ) -> jax.Array:
        h = x
        for layer, (w, b) in enumerate(layers[:-1]):
            z = h @ w
            if spec.batch_norm:  # the batch's statistics, as models.mlp's normalise
                mean = jnp.mean(z, axis=0)
                z = (z - mean) * jax.lax.rsqrt(jnp.mean((z - mean) ** 2, axis=0) + BN_EPSILON)
            h = acts[layer](z + b)
            if drop_key is not None:
                h = drop(h, jax.random.fold_in(drop_key, layer), rate[layer])
        w, b = layers[-1]
        z = h @ w + b
        if spec.loss == "square":
            return jnp.mean(0.5 * (out_act(z[:, 0]) - y) ** 2)
        return jnp.mean(point_loss(z if spec.loss == "softmax" else z[:, 0], y, spec.loss))

    grad = jax.grad(loss)

    def step(
        layers: Layers,
        opt_state: Any,
        hyper: Hyper,
        lr: jax.Array,
        x: jax.Array,
        y: jax.Array,
        drop_key: jax.Array | None = None,
    ) -> tuple[Layers, Any]:
        grads = grad(layers, x, y, drop_key, hyper.dropout)
        if optimizer == "sgd":  # TF Playground's update (plain SGD skips the penalty's ops entirely)
            if spec.regularization == "none":
                return [
                    (w - lr * gw, b - lr * gb) for (w, b), (gw, gb) in zip(layers, grads, strict=True)
                ], ()
            h = hyper._replace(learning_rate=lr)
            return [
                (regularized_update(w, gw, h), b - lr * gb)
                for (w, b), (gw, gb) in zip(layers, grads, strict=True)
            ], ()
        if spec.regularization != "none":
            grads = [
                (gw + penalty_gradient(w, hyper), gb) for (w, _), (gw, gb) in zip(layers, grads, strict=True)
            ]
        tx = make_optimizer(optimizer, lr, hyper.momentum, hyper.weight_decay)
        updates, opt_state = tx.update(grads, opt_state, layers)
        return optax.apply_updates(layers, updates), opt_state

    def reshuffled(data: BatchedData, hyper: Hyper, epoch: jax.Array) -> BatchedData:
        """The points in this epoch's random order, batched again (static shapes throughout)."""
        width = data.x.shape[2]
        x = jnp.concatenate([data.x.reshape(-1, width), data.rest_x])
        y = jnp.concatenate([data.y.reshape(-1), data.rest_y])
        order = shuffle_order(hyper, epoch, spec.n_train)[: spec.n_train]
        x, y = x[order], y[order]
        full = data.x.shape[0] * data.x.shape[1]
        return BatchedData(x[:full].reshape(data.x.shape), y[:full].reshape(data.y.shape), x[full:], y[full:])

    def chunk(state: TrainState, hyper: Hyper, data: BatchedData, n_epochs: jax.Array) -> ChunkResult:
        def epoch(s: ExactState) -> ExactState:
            epoch_data = reshuffled(data, hyper, s.epoch) if spec.shuffle else data

            def batch(
                carry: tuple[Layers, Any], xs: tuple[jax.Array, ...]
            ) -> tuple[tuple[Layers, Any], None]:
                x, y, *k = xs  # k: the batch's index, passed only to a schedule or dropout that need it
                lr = (
                    scheduled_rate(schedule, hyper, s.epoch, k[0], steps_per_epoch)
                    if k and schedule != "constant"
                    else hyper.learning_rate
                )
                drop_key = dropout_key(hyper, s.epoch, k[0]) if spec.dropout else None
                return step(*carry, hyper, lr, x, y, drop_key), None

            n_full = epoch_data.x.shape[0]
            xs: tuple[jax.Array, ...] = (epoch_data.x, epoch_data.y)
            if schedule != "constant" or spec.dropout:
                xs += (jnp.arange(n_full, dtype=jnp.int32),)
            carry, _ = jax.lax.scan(batch, (s.layers, s.opt_state), xs, unroll=SCAN_UNROLL)
            if spec.n_train % spec.batch_size:
                lr = scheduled_rate(schedule, hyper, s.epoch, n_full, steps_per_epoch)
                drop_key = dropout_key(hyper, s.epoch, n_full) if spec.dropout else None
                carry = step(*carry, hyper, lr, epoch_data.rest_x, epoch_data.rest_y, drop_key)
            return ExactState(*carry, s.epoch + 1)

        start = ExactState(
            _extract(state.params, spec),
            map_moments(lambda moments: _extract(moments, spec), state.opt_state),
            state.epoch,
        )
        final, done, diverged = run_epochs(epoch, start, n_epochs, lambda s: healthy(s.layers, s.opt_state))
        # Moments of weights outside the exact net keep their padded values (the weights do too).
        opt_state = jax.tree.map(
            lambda padded, exact: _insert(padded, exact, spec) if is_params(padded) else exact,
            state.opt_state,
            final.opt_state,
            is_leaf=is_params,
        )
        params = _insert(state.params, final.layers, spec)
        return ChunkResult(TrainState(params, opt_state, final.epoch, state.spec), done, diverged)

    return chunk


@lru_cache(maxsize=32)
def compiled_exact_chunk(spec: ExactSpec) -> jax.stages.Wrapped:
    """The jitted exact kernel of `spec` (the trainer lowers and compiles it ahead, in the background)."""
    return jax.jit(make_exact_chunk(spec))
