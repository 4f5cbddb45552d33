"""The training kernel: many epochs of TF-Playground SGD fused into one jitted call.

Every hyperparameter and the data itself are traced arguments of fixed (padded) shape, so one compile
per net bucket serves every edit. Epochs run in a `while_loop` that stops early at divergence.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import NamedTuple, TypeVar

import jax
import jax.numpy as jnp

from ..models.mlp import Arch, MlpShape, Params, forward, weight_masks

MAX_BATCH = 30
T = TypeVar("T")


class Hyper(NamedTuple):
    learning_rate: jax.Array  # f32 ()
    l1: jax.Array  # f32 (): regularization rate when L1 is on, else 0
    l2: jax.Array  # f32 ()
    batch_size: jax.Array  # i32 ()


class TrainData(NamedTuple):
    x: jax.Array  # (n_pad + MAX_BATCH, width) padded features; rows past n are zeros
    y: jax.Array  # (n_pad + MAX_BATCH,)
    n: jax.Array  # i32 () number of real points


class ChunkResult(NamedTuple):
    params: Params  # after the last finite epoch
    epochs: jax.Array  # i32 () epochs completed with finite weights
    diverged: jax.Array  # bool () an epoch produced non-finite weights (they were discarded)


def batch_loss(params: Params, arch: Arch, x: jax.Array, y: jax.Array, mask: jax.Array) -> jax.Array:
    """Mean over the masked points of 1/2 (output - target)^2 (TF Playground's square loss)."""
    out, _ = forward(params, arch, x)
    return jnp.sum(mask * 0.5 * (out - y) ** 2) / jnp.maximum(jnp.sum(mask), 1.0)


def sgd_step(
    params: Params,
    arch: Arch,
    hyper: Hyper,
    masks: tuple[jax.Array, jax.Array],
    x: jax.Array,
    y: jax.Array,
    mask: jax.Array,
) -> Params:
    """One TF-Playground update: gradient step, then L1/L2 on the weights (not biases)."""
    grads = jax.grad(batch_loss)(params, arch, x, y, mask)
    w_mask, out_mask = masks
    return Params(
        w=regularized_update(params.w, grads.w, hyper, w_mask),
        b=params.b - hyper.learning_rate * grads.b,
        w_out=regularized_update(params.w_out, grads.w_out, hyper, out_mask),
        b_out=params.b_out - hyper.learning_rate * grads.b_out,
    )


def regularized_update(w: jax.Array, g: jax.Array, hyper: Hyper, mask: jax.Array | float = 1.0) -> jax.Array:
    """TF Playground's weight update: w - lr g, then w - lr rate R'(w), R' taken at the old weight.

    L1 may not push a weight across zero: it stops at exactly zero. `mask` keeps absent weights fixed.
    """
    lr = hyper.learning_rate
    stepped = w - lr * g
    regularized = stepped - lr * (hyper.l1 * jnp.sign(w) + hyper.l2 * w) * mask
    crossed = (hyper.l1 > 0) & (stepped * regularized < 0)
    return jnp.where(crossed, 0.0, regularized)


def train_epoch(params: Params, arch: Arch, hyper: Hyper, data: TrainData) -> Params:
    """One pass over the training points in order, in batches of `batch_size` (the last may be short)."""
    width = data.x.shape[1]
    batch = hyper.batch_size
    n_steps = (data.n + batch - 1) // batch
    offsets = jnp.arange(MAX_BATCH)
    masks = weight_masks(arch)

    def step(k: jax.Array, p: Params) -> Params:
        start = k * batch
        x = jax.lax.dynamic_slice(data.x, (start, 0), (MAX_BATCH, width))
        y = jax.lax.dynamic_slice(data.y, (start,), (MAX_BATCH,))
        mask = ((offsets < batch) & (start + offsets < data.n)).astype(jnp.float32)
        return sgd_step(p, arch, hyper, masks, x, y, mask)

    return jax.lax.fori_loop(0, n_steps, step, params)


DIVERGED_WEIGHT = 1e6  # no playground net needs weights this large; past it outputs overflow float32


def healthy(tree: object) -> jax.Array:
    """Every leaf finite and below DIVERGED_WEIGHT in magnitude (NaN fails both tests)."""
    return jnp.all(jnp.stack([jnp.all(jnp.abs(leaf) < DIVERGED_WEIGHT) for leaf in jax.tree.leaves(tree)]))


def run_epochs(epoch: Callable[[T], T], params: T, n_epochs: jax.Array) -> tuple[T, jax.Array, jax.Array]:
    """Apply `epoch` up to n_epochs times; stop at the first result that is not healthy and drop it.

    Returns (last healthy params, epochs completed, diverged).
    """

    def cond(carry: tuple[jax.Array, T, jax.Array]) -> jax.Array:
        done, _, ok = carry
        return (done < n_epochs) & ok

    def body(carry: tuple[jax.Array, T, jax.Array]) -> tuple[jax.Array, T, jax.Array]:
        done, p, _ = carry
        new = epoch(p)
        ok = healthy(new)
        kept = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, p)
        return done + ok.astype(jnp.int32), kept, ok

    init = (jnp.asarray(0, jnp.int32), params, jnp.asarray(True))
    done, final, ok = jax.lax.while_loop(cond, body, init)
    return final, done, jnp.logical_not(ok)


def train_chunk(
    params: Params, arch: Arch, hyper: Hyper, data: TrainData, n_epochs: jax.Array
) -> ChunkResult:
    """Run up to `n_epochs` epochs of the padded net; stops early at divergence."""
    final, done, diverged = run_epochs(lambda p: train_epoch(p, arch, hyper, data), params, n_epochs)
    return ChunkResult(final, done, diverged)


@cache
def compiled_train_chunk(shape: MlpShape) -> Callable[..., ChunkResult]:
    """The jitted chunk function for one padded shape (jit itself caches by input shapes)."""
    del shape  # the key of the cache: one jitted callable per bucket keeps compile counts explicit
    return jax.jit(train_chunk)
