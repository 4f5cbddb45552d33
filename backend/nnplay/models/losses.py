"""Per-point losses and the displayed output of each loss kind (models.mlp.LOSS_KINDS).

`out` is what models.mlp.forward returns: (n,) for the single-output kinds, (n, MAX_OUTPUTS) logits for
"softmax". Labels are +1/-1 for "square" and "bce" classification, targets for regression, and class
indices (as floats) for "softmax".
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

HUBER_DELTA = 1.0


def point_loss(out: jax.Array, y: jax.Array, kind: str) -> jax.Array:
    """(n,) loss of each point."""
    if kind == "square":  # TF Playground's: 1/2 (output - target)^2
        return 0.5 * (out - y) ** 2
    if kind == "bce":  # -log sigmoid(y z): binary cross-entropy of a sigmoid output, labels +1/-1
        return jax.nn.softplus(-y * out)
    if kind == "huber":
        err = jnp.abs(out - y)
        return jnp.where(err <= HUBER_DELTA, 0.5 * err**2, HUBER_DELTA * (err - 0.5 * HUBER_DELTA))
    if kind == "softmax":  # -log softmax(z)[y]
        picked = jnp.take_along_axis(out, y.astype(jnp.int32)[:, None], axis=1)[:, 0]
        return jax.nn.logsumexp(out, axis=1) - picked
    raise ValueError(f"unknown loss {kind!r}")


def score(out: jax.Array, kind: str) -> jax.Array:
    """What the views show: a value in [-1, 1] whose sign is the predicted class (or the regression
    value), or, for "softmax", each class's probability (n, MAX_OUTPUTS)."""
    if kind == "bce":
        return jnp.tanh(out / 2)  # = 2 sigmoid(z) - 1: the probability of +1 on TF Playground's scale
    if kind == "softmax":
        return jax.nn.softmax(out, axis=1)
    return out


def correct(out: jax.Array, y: jax.Array, kind: str) -> jax.Array:
    """(n,) 1.0 where the prediction is the label's class."""
    if kind == "softmax":
        return (jnp.argmax(out, axis=1) == y.astype(jnp.int32)).astype(jnp.float32)
    return (jnp.where(out >= 0, 1.0, -1.0) == y).astype(jnp.float32)
