"""A frame's evaluation compiled for one exact architecture, to run over a batch of sessions at once.

evaluate.py's padded evaluation serves any net in a bucket without recompiling (activations are traced
blends, absent layers are skipped); this one is compiled per `EvalSpec` (features, layer sizes,
activations, loss) with plain activations and exact-shape matrices, and vmapped over sessions: on 2 CPU
cores 30 sessions' frames cost ~0.4 ms each instead of ~1 ms one by one. It returns the same `Evaluation`
(thumbnails and hidden activations padded to the bucket's width; no gradient norms: the frames it makes
are those without the insight views), so frames.frame_from_evaluation finishes either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from ...models.losses import score
from ...models.mlp import MAX_OUTPUTS, Params, normalise
from .evaluate import (
    NEURON_GRID_SIZE,
    EvalData,
    Evaluation,
    grid_view,
    loss_and_accuracy,
    quantize,
    thumbnail,
)
from .exact import ACTIVATIONS, ExactSpec, extract_layers


@dataclass(frozen=True)
class EvalSpec:
    """What an exact evaluation is compiled for (hashable): an exact spec less its training settings."""

    features: tuple[int, ...]
    hidden: tuple[int, ...]
    activations: tuple[str, ...]
    output_activation: str
    loss: str
    outputs: int
    batch_norm: bool
    width: int  # the bucket's width: thumbnails and hidden activations are padded to it

    @staticmethod
    def of(spec: ExactSpec, width: int) -> EvalSpec:
        return EvalSpec(
            spec.features,
            spec.hidden,
            spec.activations,
            spec.output_activation,
            spec.loss,
            spec.outputs,
            spec.batch_norm,
            width,
        )


Layers = list[tuple[jax.Array, jax.Array]]
Stats = list[tuple[jax.Array, jax.Array]]


def make_exact_evaluate(spec: EvalSpec) -> Callable[[Params, EvalData], Evaluation]:
    """evaluate.evaluate(params, arch, data, detail=False) for nets of `spec` (jit or vmap it)."""
    acts = [ACTIVATIONS[name] for name in spec.activations]
    out_act = ACTIVATIONS[spec.output_activation]
    features = list(spec.features)
    depth, width = len(spec.hidden), spec.width

    def forward(
        layers: Layers, x: jax.Array, rows: jax.Array | None, stats: Stats | None
    ) -> tuple[jax.Array, list[jax.Array], Stats]:
        h, hidden, used = x[:, features], [], []
        for layer, (w, b) in enumerate(layers[:-1]):
            z = h @ w
            if spec.batch_norm:  # weighted statistics over `rows`, or the given ones
                z, layer_stats = normalise(z, rows, None if stats is None else stats[layer])
                used.append(layer_stats)
            h = acts[layer](z + b)
            hidden.append(h)
        w, b = layers[-1]
        z = h @ w + b
        if spec.loss == "softmax":
            out = jnp.full((z.shape[0], MAX_OUTPUTS), -1e9, z.dtype).at[:, : spec.outputs].set(z)
        elif spec.loss == "square":
            out = out_act(z[:, 0])
        else:
            out = z[:, 0]
        return out, hidden, used

    def pad(a: jax.Array) -> jax.Array:  # (..., n) -> (..., width)
        return jnp.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, width - a.shape[-1])])

    def measure(
        layers: Layers, x: jax.Array, y: jax.Array, n: jax.Array, stats: Stats | None
    ) -> tuple[jax.Array, jax.Array, jax.Array, list[jax.Array]]:
        out, hidden, _ = forward(layers, x, None, stats)
        loss, accuracy = loss_and_accuracy(out, y, n, spec.loss)
        return loss, accuracy, score(out, spec.loss), hidden

    def evaluate(params: Params, data: EvalData) -> Evaluation:
        layers = extract_layers(params, spec.features, spec.hidden, spec.outputs)
        stats = None
        if spec.batch_norm:
            rows = (jnp.arange(data.train_x.shape[0]) < data.train_n).astype(jnp.float32)
            stats = forward(layers, data.train_x, rows, None)[2]
        train_loss, train_acc, train_out, train_hidden = measure(
            layers, data.train_x, data.train_y, data.train_n, stats
        )
        test_loss, test_acc, test_out, _ = measure(layers, data.test_x, data.test_y, data.test_n, stats)
        out, hidden, _ = forward(layers, data.grid_x, None, stats)
        grid, classes = grid_view(out, spec.loss)
        thumbs = [jnp.pad(thumbnail(a), [(0, width - a.shape[1]), (0, 0)]) for a in hidden]
        return Evaluation(
            train_loss,
            test_loss,
            train_acc,
            test_acc,
            grid,
            classes,
            quantize(jnp.stack(thumbs)) if thumbs else jnp.zeros((0, width, NEURON_GRID_SIZE**2), jnp.uint8),
            train_out,
            test_out,
            jnp.stack([pad(a) for a in train_hidden])
            if train_hidden
            else jnp.zeros((0, data.train_x.shape[0], width), jnp.float32),
            jnp.zeros(depth + 1, jnp.float32),
            jnp.zeros(depth + 1, jnp.float32),
        )

    return evaluate
