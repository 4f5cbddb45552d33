"""The training kernel: many epochs of training fused into one jitted call.

Every hyperparameter and the data itself are traced arguments of fixed (padded) shape, so one compile
per net bucket and optimizer serves every edit. Epochs run in a `while_loop` that stops early at
divergence. SGD is TensorFlow Playground's update; the other optimizers are optax's (optimizers.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

import jax
import jax.numpy as jnp
import optax

from ...datasets import MAX_POINTS
from ...engine.optimizers import (
    Hyper,
    TrainState,
    dropout_key,
    make_optimizer,
    penalty_gradient,
    scheduled_rate,
)
from ...models.losses import point_loss
from ...models.mlp import Arch, MlpShape, Params, forward, weight_masks

MAX_BATCH = 30
TRAIN_ROWS = MAX_POINTS + MAX_BATCH  # rows of the padded training arrays
SHUFFLE_STREAM = 1_000_003  # folded into the epoch's key for its order (dropout folds in step numbers)
T = TypeVar("T")


class TrainData(NamedTuple):
    x: jax.Array  # (n_pad + MAX_BATCH, width) padded features; rows past n are zeros
    y: jax.Array  # (n_pad + MAX_BATCH,)
    n: jax.Array  # i32 () number of real points


class ChunkResult(NamedTuple):
    state: TrainState  # after the last healthy epoch
    epochs: jax.Array  # i32 () epochs completed with finite weights
    diverged: jax.Array  # bool () an epoch produced non-finite weights (they were discarded)


def batch_loss(
    params: Params,
    arch: Arch,
    x: jax.Array,
    y: jax.Array,
    mask: jax.Array,
    dropout: tuple[jax.Array, jax.Array] | None = None,
) -> jax.Array:
    """Mean loss over the masked points (the arch's loss kind; "square" is TF Playground's)."""
    out, _ = forward(params, arch, x, dropout, rows=mask)
    return jnp.sum(mask * point_loss(out, y, arch.kind.loss)) / jnp.maximum(jnp.sum(mask), 1.0)


class UpdateMasks(NamedTuple):
    """1 where a parameter exists in the padded net: updates elsewhere are zeroed (Adam would move them)."""

    w: jax.Array  # (depth, width, width)
    b: jax.Array  # (depth, width)
    w_out: jax.Array  # (width, MAX_OUTPUTS)
    b_out: jax.Array  # (MAX_OUTPUTS,)


def update_masks(arch: Arch) -> UpdateMasks:
    w_mask, out_mask = weight_masks(arch)
    return UpdateMasks(w_mask, arch.neuron_mask, out_mask, arch.out_mask)


def apply_update(
    optimizer: str,
    params: Params,
    opt_state: Any,
    grads: Params,
    hyper: Hyper,
    learning_rate: jax.Array,
    masks: UpdateMasks,
) -> tuple[Params, Any]:
    """One update of the padded net with `optimizer` at `learning_rate` (the schedule's current value)."""
    if optimizer == "sgd":
        # TF Playground's update, with the rate in place of hyper's (the very same array if constant).
        h = hyper._replace(learning_rate=learning_rate)
        return Params(
            w=regularized_update(params.w, grads.w, h, masks.w),
            b=params.b - learning_rate * grads.b,
            w_out=regularized_update(params.w_out, grads.w_out, h, masks.w_out),
            b_out=params.b_out - learning_rate * grads.b_out,
        ), opt_state
    grads = grads._replace(
        w=grads.w + penalty_gradient(params.w, hyper) * masks.w,
        w_out=grads.w_out + penalty_gradient(params.w_out, hyper) * masks.w_out,
    )
    tx = make_optimizer(optimizer, learning_rate, hyper.momentum, hyper.weight_decay)
    updates, opt_state = tx.update(grads, opt_state, params)
    updates = Params(
        updates.w * masks.w, updates.b * masks.b, updates.w_out * masks.w_out, updates.b_out * masks.b_out
    )
    return optax.apply_updates(params, updates), opt_state


def regularized_update(w: jax.Array, g: jax.Array, hyper: Hyper, mask: jax.Array | float = 1.0) -> jax.Array:
    """TF Playground's weight update: w - lr g, then w - lr rate R'(w), R' taken at the old weight.

    L1 may not push a weight across zero: it stops at exactly zero. `mask` keeps absent weights fixed.
    """
    lr = hyper.learning_rate
    stepped = w - lr * g
    regularized = stepped - lr * (hyper.l1 * jnp.sign(w) + hyper.l2 * w) * mask
    crossed = (hyper.l1 > 0) & (stepped * regularized < 0)
    return jnp.where(crossed, 0.0, regularized)


def shuffle_order(hyper: Hyper, epoch: jax.Array, n: jax.Array | int) -> jax.Array:
    """A random order of the first n of TRAIN_ROWS rows for this epoch (a pure function of seed and
    epoch), the other rows after them. Both kernels draw the same TRAIN_ROWS numbers, so they agree."""
    key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(hyper.seed), epoch), SHUFFLE_STREAM)
    u = jax.random.uniform(key, (TRAIN_ROWS,))
    return jnp.argsort(jnp.where(jnp.arange(TRAIN_ROWS) < n, u, 2.0))


def train_epoch(state: TrainState, arch: Arch, hyper: Hyper, data: TrainData) -> TrainState:
    """One pass over the training points, in batches of `batch_size` (the last may be short): in the
    data's order, or in a fresh random order every epoch when the arch shuffles."""
    if arch.kind.shuffle:
        order = shuffle_order(hyper, state.epoch, data.n)
        data = data._replace(x=data.x[order], y=data.y[order])
    width = data.x.shape[1]
    batch = hyper.batch_size
    n_steps = (data.n + batch - 1) // batch
    offsets = jnp.arange(MAX_BATCH)
    masks = update_masks(arch)
    spec = state.spec

    def step(k: jax.Array, carry: tuple[Params, Any]) -> tuple[Params, Any]:
        params, opt_state = carry
        start = k * batch
        x = jax.lax.dynamic_slice(data.x, (start, 0), (MAX_BATCH, width))
        y = jax.lax.dynamic_slice(data.y, (start,), (MAX_BATCH,))
        mask = ((offsets < batch) & (start + offsets < data.n)).astype(jnp.float32)
        drop = (dropout_key(hyper, state.epoch, k), hyper.dropout) if arch.kind.dropout else None
        grads = jax.grad(batch_loss)(params, arch, x, y, mask, drop)
        lr = scheduled_rate(spec.schedule, hyper, state.epoch, k, n_steps)
        return apply_update(spec.optimizer, params, opt_state, grads, hyper, lr, masks)

    params, opt_state = jax.lax.fori_loop(0, n_steps, step, (state.params, state.opt_state))
    return TrainState(params, opt_state, state.epoch + 1, spec)


DIVERGED_WEIGHT = 1e6  # no playground net needs weights this large; past it outputs overflow float32


def healthy(params: Any, opt_state: Any = ()) -> jax.Array:
    """Every weight finite and below DIVERGED_WEIGHT in magnitude (NaN fails both), optimizer state finite.

    The optimizer state is not bounded: Adagrad's sum of squares or Adam's count grow large in healthy runs.
    """
    checks = [jnp.all(jnp.abs(leaf) < DIVERGED_WEIGHT) for leaf in jax.tree.leaves(params)]
    checks += [
        jnp.all(jnp.isfinite(leaf))
        for leaf in jax.tree.leaves(opt_state)
        if jnp.issubdtype(leaf.dtype, jnp.floating)
    ]
    return jnp.all(jnp.stack(checks))


def run_epochs(
    epoch: Callable[[T], T], state: T, n_epochs: jax.Array, is_healthy: Callable[[T], jax.Array]
) -> tuple[T, jax.Array, jax.Array]:
    """Apply `epoch` up to n_epochs times; stop at the first result that is not healthy and drop it.

    Returns (last healthy state, epochs completed, diverged).
    """

    def cond(carry: tuple[jax.Array, T, jax.Array]) -> jax.Array:
        done, _, ok = carry
        return (done < n_epochs) & ok

    def body(carry: tuple[jax.Array, T, jax.Array]) -> tuple[jax.Array, T, jax.Array]:
        done, s, _ = carry
        new = epoch(s)
        ok = is_healthy(new)
        kept = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, s)
        return done + ok.astype(jnp.int32), kept, ok

    init = (jnp.asarray(0, jnp.int32), state, jnp.asarray(True))
    done, final, ok = jax.lax.while_loop(cond, body, init)
    return final, done, jnp.logical_not(ok)


def train_chunk(
    state: TrainState, arch: Arch, hyper: Hyper, data: TrainData, n_epochs: jax.Array
) -> ChunkResult:
    """Run up to `n_epochs` epochs of the padded net with the state's optimizer; stops early at divergence."""
    final, done, diverged = run_epochs(
        lambda s: train_epoch(s, arch, hyper, data),
        state,
        n_epochs,
        lambda s: healthy(s.params, s.opt_state),
    )
    return ChunkResult(final, done, diverged)


@lru_cache(maxsize=32)  # bounded: each holds the compiled code of its shapes
def compiled_train_chunk(shape: MlpShape) -> Callable[..., ChunkResult]:
    """The jitted chunk function for one padded shape (jit itself caches by input shapes and optimizer:
    the state's optimizer spec is part of its pytree structure)."""
    del shape  # the key of the cache: one jitted callable per bucket keeps compile counts explicit
    return jax.jit(train_chunk)
