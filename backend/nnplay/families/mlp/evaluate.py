"""What a frame shows: losses, accuracy, the output over the domain and a thumbnail per neuron."""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ...models.losses import correct, point_loss, score
from ...models.mlp import Arch, Params, Stats, forward, forward_pooled, forward_with_stats
from .train import batch_loss

GRID_SIZE = 100
NEURON_GRID_SIZE = 10
_BLOCK = GRID_SIZE // NEURON_GRID_SIZE  # a thumbnail pixel is the mean of a block this many cells wide


def _grid_order() -> np.ndarray:
    """The order in which the evaluation takes the grid's cells (EvalData.grid_x): block by block, the
    cells of each thumbnail pixel together, so a thumbnail is a mean over contiguous rows (measured, a
    batch of 30 frames on 2 CPU cores: 12.5 ms instead of 14.1). Entry k: the row-major (image) index of
    the k-th cell."""
    cells = np.arange(GRID_SIZE**2).reshape(NEURON_GRID_SIZE, _BLOCK, NEURON_GRID_SIZE, _BLOCK)
    return cells.transpose(0, 2, 1, 3).reshape(-1)


GRID_ORDER = _grid_order()
_IMAGE_ORDER = np.argsort(GRID_ORDER)  # entry j: where the j-th cell of the image is in GRID_ORDER


class EvalData(NamedTuple):
    train_x: jax.Array  # (n_pad, width) padded features
    train_y: jax.Array
    train_n: jax.Array  # i32 ()
    test_x: jax.Array
    test_y: jax.Array
    test_n: jax.Array
    grid_x: jax.Array  # (GRID_SIZE**2, width) features of the grid cell centres, in GRID_ORDER


class Evaluation(NamedTuple):
    train_loss: jax.Array
    test_loss: jax.Array
    train_accuracy: jax.Array
    test_accuracy: jax.Array
    output_grid: jax.Array  # (GRID_SIZE**2,) uint8: the output, or (softmax) the top class's 2p - 1
    output_classes: jax.Array  # (GRID_SIZE**2,) uint8 predicted class (softmax), else (0,)
    neuron_grids: jax.Array  # (depth, width, NEURON_GRID_SIZE**2) uint8
    train_out: jax.Array  # (n_pad,) the score at each training point (softmax: (n_pad, K) probabilities)
    test_out: jax.Array
    train_hidden: jax.Array  # (depth, n_pad, width) hidden activations at the training points
    grad_w: jax.Array  # (depth + 1,) L2 norm of the training loss's gradient per layer's weights
    grad_b: jax.Array  # (depth + 1,) ... and per layer's biases


def quantize(values: jax.Array) -> jax.Array:
    """[-1, 1] -> uint8 (0..255); values outside are clipped, as the views' colour scale is."""
    return jnp.round((jnp.clip(values, -1.0, 1.0) + 1.0) * 127.5).astype(jnp.uint8)


def loss_and_accuracy(out: jax.Array, y: jax.Array, n: jax.Array, kind: str) -> tuple[jax.Array, jax.Array]:
    """Mean loss and accuracy of the outputs of the first `n` (padded) rows."""
    mask = (jnp.arange(out.shape[0]) < n).astype(jnp.float32)
    count = jnp.maximum(n.astype(jnp.float32), 1.0)
    return jnp.sum(mask * point_loss(out, y, kind)) / count, jnp.sum(mask * correct(out, y, kind)) / count


def thumbnail(a: jax.Array) -> jax.Array:
    """(GRID_SIZE**2 cells in GRID_ORDER, units) activations -> (units, NEURON_GRID_SIZE**2) row-major:
    each thumbnail pixel the mean of a block of the full grid, as TF Playground does."""
    return a.reshape(NEURON_GRID_SIZE**2, _BLOCK**2, a.shape[1]).mean(axis=1).T


def grid_view(out: jax.Array, kind: str) -> tuple[jax.Array, jax.Array]:
    """The output over the grid (cells in GRID_ORDER) as the views show it: quantized, row-major (row 0
    at the top) and, for softmax, each cell's class."""
    grid = score(out, kind)
    if kind != "softmax":
        return quantize(grid)[_IMAGE_ORDER], jnp.zeros((0,), jnp.uint8)
    top = quantize(2.0 * jnp.max(grid, axis=1) - 1.0)
    return top[_IMAGE_ORDER], jnp.argmax(grid, axis=1).astype(jnp.uint8)[_IMAGE_ORDER]


def _loss_and_accuracy(
    params: Params, arch: Arch, x: jax.Array, y: jax.Array, n: jax.Array, stats: Stats | None
) -> tuple[jax.Array, jax.Array, jax.Array, list[jax.Array]]:
    out, hidden = forward_pooled(params, arch, x, lambda a: a, stats=stats)  # absent layers: zeros
    loss, accuracy = loss_and_accuracy(out, y, n, arch.kind.loss)
    return loss, accuracy, score(out, arch.kind.loss), hidden


def training_stats(params: Params, arch: Arch, data: EvalData) -> Stats | None:
    """Batch norm's evaluation statistics: each neuron's mean and variance over the whole training set
    (what running averages of batch statistics estimate, computed exactly). None without batch norm."""
    if not arch.kind.batch_norm:
        return None
    rows = (jnp.arange(data.train_x.shape[0]) < data.train_n).astype(jnp.float32)
    return forward_with_stats(params, arch, data.train_x, rows=rows)[2]


def gradient_norms(params: Params, arch: Arch, data: EvalData) -> tuple[jax.Array, jax.Array]:
    """Per-layer L2 norms of the full training loss's gradient: weights and biases, output layer last.

    This is what shows vanishing gradients: deep sigmoid layers get orders of magnitude less signal.
    """
    mask = (jnp.arange(data.train_x.shape[0]) < data.train_n).astype(jnp.float32)
    grads = jax.grad(batch_loss)(params, arch, data.train_x, data.train_y, mask)
    grad_w = jnp.concatenate([jnp.sqrt(jnp.sum(grads.w**2, axis=(1, 2))), jnp.linalg.norm(grads.w_out)[None]])
    grad_b = jnp.concatenate([jnp.sqrt(jnp.sum(grads.b**2, axis=1)), jnp.linalg.norm(grads.b_out)[None]])
    return grad_w, grad_b


def evaluate(params: Params, arch: Arch, data: EvalData, detail: bool = True) -> Evaluation:
    """Everything a frame needs, in one pass (jit it, `detail` static). Without `detail` the gradient
    norms, which only the insight views draw, are zeros (a backward pass saved: ~20% of a frame)."""
    stats = training_stats(params, arch, data)
    train_loss, train_acc, train_out, train_hidden = _loss_and_accuracy(
        params, arch, data.train_x, data.train_y, data.train_n, stats
    )
    test_loss, test_acc, test_out, _ = _loss_and_accuracy(
        params, arch, data.test_x, data.test_y, data.test_n, stats
    )
    out, thumbs = forward_pooled(params, arch, data.grid_x, thumbnail, stats=stats)
    grid, classes = grid_view(out, arch.kind.loss)
    if detail:
        grad_w, grad_b = gradient_norms(params, arch, data)
    else:
        grad_w = grad_b = jnp.zeros(params.w.shape[0] + 1, jnp.float32)
    return Evaluation(
        train_loss,
        test_loss,
        train_acc,
        test_acc,
        grid,
        classes,
        quantize(jnp.stack(thumbs)),
        train_out,
        test_out,
        jnp.stack(train_hidden),
        grad_w,
        grad_b,
    )


@cache
def compiled_evaluate() -> Any:
    return jax.jit(evaluate, static_argnames="detail")


def predict(params: Params, arch: Arch, x: jax.Array, stats: Stats | None = None) -> jax.Array:
    """Scores for padded features x (used by the CLI and tests): see models.losses.score."""
    return score(forward(params, arch, x, stats=stats)[0], arch.kind.loss)
