"""What the sequence lab's frames show, computed in one jitted call per bucket: test figures on a fixed
set of sequences (the seed's test stream), train figures on the next training batch, and one example
sequence seen in full: its tokens, targets and predictions, the last layer's hidden state and gates over
time, the attention of every layer and head, the gradient of its loss through time (‖∂L/∂h_t‖, taken by
differentiating a zero probe added to the first layer's state) and its connectivity (‖∂y/∂x_t‖ of the
last scored output with respect to each step's input embedding). Also the prediction for a typed
sequence (`make_predict`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .kernel import TEST_STREAM, NetKey, SeqHyper, apply_batch, batch_of, class_mask, losses, masks_of
from .model import positional_table
from .names import TASKS, TOKENS
from .tasks import Batch

N_TEST = 256
N_TRAIN_EVAL = 64
EXAMPLES = N_TEST  # the example a frame shows is one of the test sequences


def _predictions(key: NetKey, hyper: SeqHyper, outputs: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(predicted class (.., T), predicted value (.., T))."""
    logits = outputs[..., :TOKENS] + class_mask(key, hyper)
    return jnp.argmax(logits, -1).astype(jnp.int32), outputs[..., -1]


def _example(key: NetKey, params: Any, hyper: SeqHyper, batch: Batch) -> dict[str, jax.Array]:
    """One sequence (a batch of one) in full, with its gradients through time."""
    zero = jnp.zeros((1, key.steps, key.width))

    def loss_of(p_in: jax.Array, p_h: jax.Array) -> tuple[jax.Array, Any]:
        outputs, trace = apply_batch(key, params, hyper, batch.x, (p_in, p_h))
        return losses(key, hyper, outputs, batch)["loss"], (outputs, trace)

    (_, (outputs, trace)), (g_in, g_h) = jax.value_and_grad(loss_of, argnums=(0, 1), has_aux=True)(zero, zero)
    through_time = g_in if key.model == "transformer" else g_h
    predicted, value = _predictions(key, hyper, outputs)
    last = jnp.max(jnp.where(batch.weight[0] > 0, jnp.arange(key.steps), 0))
    regression = TASKS[key.task].regression

    def last_output(p_in: jax.Array) -> jax.Array:
        out, _ = apply_batch(key, params, hyper, batch.x, (p_in, zero))
        return out[0, last, -1] if regression else out[0, last, predicted[0, last]]

    connectivity = jnp.linalg.norm(jax.grad(last_output)(zero)[0], axis=-1)
    example = {
        "tokens": batch.tokens[0],
        "target": batch.target[0],
        "value": batch.value[0],
        "weight": batch.weight[0],
        "predicted": predicted[0],
        "predicted_value": value[0],
        "hidden": trace["hidden"][0],
        "grad_through_time": jnp.linalg.norm(through_time[0], axis=-1),
        "connectivity": connectivity,
    }
    if key.model == "transformer":
        example["attention"] = trace["attention"][0]
        example["scores"] = trace["scores"][0]
    else:
        example["gates"] = trace["gates"][0]
    return example


def _figures(key: NetKey, params: Any, hyper: SeqHyper, batch: Batch) -> tuple[dict[str, jax.Array], Any]:
    outputs, _ = apply_batch(key, params, hyper, batch.x)
    return losses(key, hyper, outputs, batch), outputs


def make_evaluate(key: NetKey) -> Callable[..., dict[str, Any]]:
    """The pure evaluation of a frame: (params, hyper, example index, step) -> the frame's numbers."""

    def evaluate(params: Any, hyper: SeqHyper, index: jax.Array, step: jax.Array) -> dict[str, Any]:
        test = batch_of(key, hyper, TEST_STREAM, N_TEST)
        train = batch_of(key, hyper, step, N_TRAIN_EVAL)
        test_figures, _ = _figures(key, params, hyper, test)
        train_figures, _ = _figures(key, params, hyper, train)
        one = jax.tree.map(lambda a: jax.lax.dynamic_slice_in_dim(a, index, 1), test)
        out: dict[str, Any] = {
            "test": test_figures,
            "train": train_figures,
            "example": _example(key, params, hyper, one),
            "length": hyper.length,
        }
        if key.model == "transformer":
            table = positional_table(params["position"], masks_of(key, hyper))
            unit = table / jnp.maximum(jnp.linalg.norm(table, axis=-1, keepdims=True), 1e-6)
            out["positional_similarity"] = unit @ unit.T
        return out

    return evaluate


def make_predict(key: NetKey) -> Callable[..., dict[str, jax.Array]]:
    """The pure prediction of one typed sequence (a batch of one, already encoded)."""

    def predict(params: Any, hyper: SeqHyper, x: jax.Array) -> dict[str, jax.Array]:
        outputs, _ = apply_batch(key, params, hyper, x)
        predicted, value = _predictions(key, hyper, outputs)
        logits = outputs[0, :, :TOKENS] + class_mask(key, hyper)
        return {
            "predicted": predicted[0],
            "value": value[0],
            "confidence": jnp.max(jax.nn.softmax(logits, -1), -1),
        }

    return predict
