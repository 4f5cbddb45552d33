"""What the image lab's frames show, computed in one jitted call per architecture, and predictions.

`evaluate` gives the losses and accuracies (evaluation mode: no dropout, batch norm's running averages,
no augmentation), every test digit's prediction, the chosen digit's feature maps through every layer and
a few training digits exactly as the last minibatch trained augmented them. `predict` gives a
drawn digit's class probabilities and its saliency (gradient of the predicted class's log-probability
with respect to the input, times the input).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ...models.cnn import StackNet
from ...models.cnn_stack import CLASSES, Layer
from .data import augment_batch
from .kernel import ImageHyper, cross_entropy, epoch_order, step_keys

SAMPLES = 8  # augmented training digits shown per frame


@dataclass(frozen=True)
class EvalKey:
    layers: tuple[Layer, ...]
    batch_size: int
    n_train: int
    n_test: int


@dataclass(frozen=True)
class Evaluation:
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    test_predictions: np.ndarray  # (n_test,) int
    test_confidence: np.ndarray  # (n_test,) probability of the predicted class
    confusion: np.ndarray  # (10, 10) int: rows true class, columns predicted
    digit_maps: list[np.ndarray]  # the chosen test digit through each layer (one example's shape)
    digit_probabilities: np.ndarray  # (10,)
    samples: np.ndarray  # (SAMPLES, 8, 8) training digits as the last minibatch saw them


def _apply(layers: tuple[Layer, ...], variables: dict[str, Any], images: jax.Array, hyper: ImageHyper) -> Any:
    return StackNet(layers, patches=False).apply(variables, images, hyper.dropout, train=False)


def make_evaluate(key: EvalKey) -> Callable[..., dict[str, Any]]:
    """The pure evaluation of a frame (jit it): (variables, hyper, train_x, train_y, test_x, test_y, digit,
    epoch, step) -> the frame's numbers as arrays."""

    def evaluate(
        variables: dict[str, Any],
        hyper: ImageHyper,
        train_x: jax.Array,
        train_y: jax.Array,
        test_x: jax.Array,
        test_y: jax.Array,
        digit: jax.Array,
        epoch: jax.Array,
        step: jax.Array,
    ) -> dict[str, Any]:
        train_logits, _ = _apply(key.layers, variables, train_x, hyper)
        test_logits, _ = _apply(key.layers, variables, test_x, hyper)
        digit_logits, digit_maps = _apply(key.layers, variables, test_x[digit][None], hyper)
        probabilities = jax.nn.softmax(test_logits)
        predictions = jnp.argmax(test_logits, axis=1)
        confusion = jnp.zeros((CLASSES, CLASSES), jnp.int32).at[test_y, predictions].add(1)
        # the last minibatch trained, augmented as that update saw it (the first one before any training)
        steps_per_epoch = key.n_train // key.batch_size
        last_epoch = jnp.where(step > 0, epoch, jnp.maximum(epoch - 1, 0))
        last_step = jnp.where(step > 0, step - 1, jnp.where(epoch > 0, steps_per_epoch - 1, 0))
        indices = epoch_order(hyper.seed, last_epoch, key.n_train, key.batch_size)[last_step]
        augment_key, _ = step_keys(hyper.seed, last_epoch, last_step)
        samples = augment_batch(train_x[indices], augment_key, hyper.augment)[:SAMPLES, ..., 0]
        return {
            "train_loss": cross_entropy(train_logits, train_y),
            "train_accuracy": jnp.mean(jnp.argmax(train_logits, axis=1) == train_y),
            "test_loss": cross_entropy(test_logits, test_y),
            "test_accuracy": jnp.mean(predictions == test_y),
            "test_predictions": predictions,
            "test_confidence": jnp.max(probabilities, axis=1),
            "confusion": confusion,
            "digit_maps": [m[0] for m in digit_maps],
            "digit_probabilities": jax.nn.softmax(digit_logits[0]),
            "samples": samples,
        }

    return evaluate


def evaluation_of(out: dict[str, Any]) -> Evaluation:
    """The host Evaluation of make_evaluate's numbers (already on the host)."""
    return Evaluation(
        train_loss=float(out["train_loss"]),
        train_accuracy=float(out["train_accuracy"]),
        test_loss=float(out["test_loss"]),
        test_accuracy=float(out["test_accuracy"]),
        test_predictions=np.asarray(out["test_predictions"]),
        test_confidence=np.asarray(out["test_confidence"]),
        confusion=np.asarray(out["confusion"]),
        digit_maps=[np.asarray(m) for m in out["digit_maps"]],
        digit_probabilities=np.asarray(out["digit_probabilities"]),
        samples=np.asarray(out["samples"]),
    )


def make_predict(layers: tuple[Layer, ...]) -> Callable[..., tuple[jax.Array, jax.Array]]:
    """The pure prediction (jit it): (variables, hyper, image (8, 8, 1)) -> (probabilities (10,),
    saliency (8, 8))."""

    def predict(
        variables: dict[str, Any], hyper: ImageHyper, image: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        def log_probabilities(x: jax.Array) -> jax.Array:
            logits, _ = _apply(layers, variables, x[None], hyper)
            return jax.nn.log_softmax(logits[0])

        log_p = log_probabilities(image)
        best = jnp.argmax(log_p)
        gradient = jax.grad(lambda x: log_probabilities(x)[best])(image)
        return jnp.exp(log_p), (gradient * image)[..., 0]

    return predict
