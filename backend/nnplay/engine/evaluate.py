"""What a frame shows: losses, accuracy, the output over the domain and a thumbnail per neuron."""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from ..models.mlp import Arch, Params, forward

GRID_SIZE = 100
NEURON_GRID_SIZE = 10


class EvalData(NamedTuple):
    train_x: jax.Array  # (n_pad, width) padded features
    train_y: jax.Array
    train_n: jax.Array  # i32 ()
    test_x: jax.Array
    test_y: jax.Array
    test_n: jax.Array
    grid_x: jax.Array  # (GRID_SIZE**2, width) features of the grid cell centres, row 0 = top


class Evaluation(NamedTuple):
    train_loss: jax.Array
    test_loss: jax.Array
    train_accuracy: jax.Array
    test_accuracy: jax.Array
    output_grid: jax.Array  # (GRID_SIZE**2,) uint8
    neuron_grids: jax.Array  # (depth, width, NEURON_GRID_SIZE**2) uint8


def quantize(values: jax.Array) -> jax.Array:
    """[-1, 1] -> uint8 (0..255); values outside are clipped, as the views' colour scale is."""
    return jnp.round((jnp.clip(values, -1.0, 1.0) + 1.0) * 127.5).astype(jnp.uint8)


def _loss_and_accuracy(
    params: Params, arch: Arch, x: jax.Array, y: jax.Array, n: jax.Array
) -> tuple[jax.Array, jax.Array]:
    out, _ = forward(params, arch, x)
    mask = (jnp.arange(x.shape[0]) < n).astype(jnp.float32)
    count = jnp.maximum(n.astype(jnp.float32), 1.0)
    loss = jnp.sum(mask * 0.5 * (out - y) ** 2) / count
    correct = jnp.where(out >= 0, 1.0, -1.0) == y
    return loss, jnp.sum(mask * correct) / count


def evaluate(params: Params, arch: Arch, data: EvalData) -> Evaluation:
    """Everything a frame needs, in one pass (jit it)."""
    train_loss, train_acc = _loss_and_accuracy(params, arch, data.train_x, data.train_y, data.train_n)
    test_loss, test_acc = _loss_and_accuracy(params, arch, data.test_x, data.test_y, data.test_n)
    out, hidden = forward(params, arch, data.grid_x)
    # Thumbnails average 10 x 10 blocks of the full grid, as TF Playground does.
    block = GRID_SIZE // NEURON_GRID_SIZE
    stacked = jnp.stack(hidden)  # (depth, cells, width)
    depth, _, width = stacked.shape
    grids = stacked.reshape(depth, NEURON_GRID_SIZE, block, NEURON_GRID_SIZE, block, width)
    thumbs = grids.mean(axis=(2, 4)).transpose(0, 3, 1, 2).reshape(depth, width, -1)
    return Evaluation(train_loss, test_loss, train_acc, test_acc, quantize(out), quantize(thumbs))


@cache
def compiled_evaluate() -> Any:
    return jax.jit(evaluate)


def predict(params: Params, arch: Arch, x: jax.Array) -> jax.Array:
    """Outputs for padded features x (used by the CLI and tests)."""
    return forward(params, arch, x)[0]
