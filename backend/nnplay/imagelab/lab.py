"""A config bound to its data and kernels: init, compile, train, evaluate, predict.

A `Lab` is immutable (a new config makes a new Lab); the training state it works on is passed in and
returned, so worker threads can run its methods while the event loop owns the session.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..models.cnn import Layer, architecture_key, init_variables, summarize
from .config import ImageConfig
from .data import DigitSplit, pixels_to_image, split_digits
from .evaluate import EvalKey, Evaluation, evaluate, predict_kernel
from .kernel import (
    KernelKey,
    LabState,
    initial_state,
    is_compiled,
    make_hyper,
    mark_compiled,
    train_kernel,
)


def architecture_summary(stack: Sequence[Layer]) -> list[dict[str, Any]]:
    """Each layer's output shape and parameters, the output layer last (StackError if invalid)."""
    return [
        {"index": s.index, "kind": s.kind, "shape": list(s.shape), "params": s.params}
        for s in summarize(stack)
    ]


class Lab:
    def __init__(self, config: ImageConfig, previous: Lab | None = None) -> None:
        self.config = config
        self.split: DigitSplit
        self.data: tuple[jax.Array, jax.Array, jax.Array, jax.Array]
        same_split = previous is not None and (
            (previous.config.train_ratio, previous.config.seed) == (config.train_ratio, config.seed)
        )
        if previous is not None and same_split:
            self.split, self.data = previous.split, previous.data
        else:
            self.split = split_digits(config.train_ratio, config.seed)
            split = self.split
            self.data = (
                jnp.asarray(split.train_x),
                jnp.asarray(split.train_y),
                jnp.asarray(split.test_x),
                jnp.asarray(split.test_y),
            )
        self.stack = config.stack()
        self.layers = architecture_key(self.stack)
        n_train, n_test = len(self.split.train_y), len(self.split.test_y)
        self.kernel_key = KernelKey(
            self.layers, config.optimizer, config.schedule, config.batch_size, n_train
        )
        self.eval_key = EvalKey(self.layers, config.batch_size, n_train, n_test)
        self.hyper = make_hyper(config)

    @property
    def n_test(self) -> int:
        return len(self.split.test_y)

    def summary(self) -> list[dict[str, Any]]:
        return architecture_summary(self.stack)

    def fresh_state(self) -> LabState:
        """New weights from the seed (a fresh run at epoch 0)."""
        variables = init_variables(self.stack, self.config.seed)
        return initial_state(self.config.optimizer, variables)

    def adopt(self, state: LabState) -> LabState:
        """Keep `state`'s weights under this config (a new optimizer kind starts its own moments)."""
        variables = {"params": state.params, "batch_stats": state.batch_stats}
        fresh = initial_state(self.config.optimizer, variables)
        if int(state.step) >= self.steps_per_epoch:  # a bigger batch size: this epoch is over
            return fresh._replace(epoch=state.epoch + 1)
        return fresh._replace(epoch=state.epoch, step=state.step)

    def needs_fresh_run(self, other: ImageConfig) -> str | None:
        """Why going from this config to `other` needs new weights (None if the weights carry over)."""
        if architecture_key(other.stack()) != self.layers:
            return "new network: the architecture changed"
        if other.seed != self.config.seed:
            return "new seed: new data split and new weights"
        if other.train_ratio != self.config.train_ratio:
            return "new data split: the train ratio changed"
        return None

    def is_compiled(self) -> bool:
        return is_compiled(self.kernel_key) and is_compiled(self.eval_key)

    def compile(self, state: LabState) -> None:
        """Compile (or load from the cache) the kernels of this config: a zero-epoch call of each."""
        self.train(state, 0)
        mark_compiled(self.kernel_key)
        self.evaluate(state, 0)
        self.predict(state, np.zeros(64, np.float32))
        mark_compiled(self.eval_key)

    @property
    def steps_per_epoch(self) -> int:
        return len(self.split.train_y) // self.config.batch_size

    def train(self, state: LabState, epochs: int) -> tuple[LabState, float]:
        """Train to the end of the `epochs`-th epoch boundary from here (whole epochs from a boundary)."""
        return self.train_steps(state, max(0, epochs * self.steps_per_epoch - int(state.step)))

    def train_steps(self, state: LabState, steps: int) -> tuple[LabState, float]:
        train_x, train_y = self.data[0], self.data[1]
        state, loss = train_kernel(self.kernel_key)(
            state, self.hyper, train_x, train_y, jnp.asarray(steps, jnp.int32)
        )
        return state, float(loss)

    def evaluate(self, state: LabState, digit: int) -> Evaluation:
        variables = {"params": state.params, "batch_stats": state.batch_stats}
        data = self.data
        return evaluate(self.eval_key, variables, self.hyper, data, digit, state.epoch, state.step)

    def predict(self, state: LabState, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A drawn digit (64 counts 0..16) -> (class probabilities (10,), saliency (8, 8))."""
        variables = {"params": state.params, "batch_stats": state.batch_stats}
        probabilities, saliency = predict_kernel(self.layers)(
            variables, self.hyper, jnp.asarray(pixels_to_image(pixels))
        )
        return np.asarray(probabilities), np.asarray(saliency)


def check_stack(layers: Any) -> dict[str, Any]:
    """The editor's live check of a stack (raw JSON layers): shapes and parameters of every layer up to
    the first error, the total, and the error naming its layer (None if the stack is valid)."""
    from .config import ImageConfigError, LayerConfig, make_image_config

    try:
        config = make_image_config(None, {"layers": layers})
    except ImageConfigError as exc:
        valid_prefix: list[Layer] = []
        if exc.layer:
            with contextlib.suppress(Exception):
                valid_prefix = [LayerConfig.model_validate(raw).layer() for raw in layers[: exc.layer - 1]]
        summary = architecture_summary(valid_prefix)[:-1] if exc.layer else []
        return {
            "valid": False,
            "layers": summary,
            "parameters": None,
            "error": {"field": exc.field, "layer": exc.layer, "message": exc.message},
        }
    summary = architecture_summary(config.stack())
    return {"valid": True, "layers": summary, "parameters": sum(s["params"] for s in summary), "error": None}


def warm_up() -> None:
    """Compile the default network's kernels (server start-up, in a worker thread): the first visit
    to the image lab then starts at once."""
    from .config import make_image_config

    lab = Lab(make_image_config())
    lab.compile(lab.fresh_state())
