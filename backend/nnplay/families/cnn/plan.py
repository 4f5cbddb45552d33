"""An image-lab config bound to its data: the plan the engine trains and shows (its uses), fresh and
carried-over states, and the architecture summaries the editor reads.

A `Lab` is immutable (a new config makes a new Lab); the training state it works on is passed in and
returned. Its kernels are the engine's (compiled once per key and kept in the engine's cache); `train`,
`evaluate` and `predict` here jit them for headless use (the CLI, benchmarks, tests).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ...engine.seam import FrameUse, TrainUse, same_layout
from ...models.cnn import init_variables
from ...models.cnn_stack import Layer, architecture_key, summarize
from .config import ImageConfig
from .data import DigitSplit, pixels_to_image, split_digits
from .evaluate import EvalKey, Evaluation, evaluation_of, make_evaluate, make_predict
from .kernel import KernelKey, LabState, initial_state, make_hyper, make_train_chunk


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
        """Keep `state`'s weights under this config, and its optimizer's moments where this config's
        optimizer keeps moments of the same layout (momentum and Nesterov share their velocity); another
        optimizer starts its own. (They used to start afresh at every setting changed.)"""
        variables = {"params": state.params, "batch_stats": state.batch_stats}
        fresh = initial_state(self.config.optimizer, variables)
        if same_layout(state.opt_state, fresh.opt_state):
            fresh = fresh._replace(opt_state=state.opt_state)
        if int(state.step) >= self.steps_per_epoch:  # a bigger batch size: this epoch is over
            return fresh._replace(epoch=state.epoch + 1)
        return fresh._replace(epoch=state.epoch, step=state.step)

    @staticmethod
    def fresh_run_reason(old: ImageConfig, new: ImageConfig) -> str | None:
        """Why going from config `old` to `new` needs new weights (None if the weights carry over)."""
        if architecture_key(new.stack()) != architecture_key(old.stack()):
            return "new network: the architecture changed"
        if new.seed != old.seed:
            return "new seed: new data split and new weights"
        if new.train_ratio != old.train_ratio:
            return "new data split: the train ratio changed"
        return None

    @property
    def steps_per_epoch(self) -> int:
        return len(self.split.train_y) // self.config.batch_size

    @cached_property
    def _train_uses(self) -> tuple[TrainUse, ...]:
        key = self.kernel_key
        use = TrainUse(
            key=("cnn.train", key),
            inputs=(self.hyper, self.data[0], self.data[1]),
            build=lambda: make_train_chunk(key),
            label="cnn",
        )
        return (use,)

    def train_uses(self) -> Sequence[TrainUse]:
        return self._train_uses

    def frame_uses(self, detail: bool, view: Any = None) -> Sequence[FrameUse]:
        digit = min(int(view or 0), self.n_test - 1)
        uses = self._frame_uses.get(digit)
        if uses is None:
            uses = self._frame_uses[digit] = (self._frame_use(digit),)
        return uses

    @cached_property
    def _frame_uses(self) -> dict[int, tuple[FrameUse, ...]]:
        return {}

    def _frame_use(self, digit: int) -> FrameUse:
        key, inputs = self.eval_key, (self.hyper, *self.data, jnp.asarray(digit, jnp.int32))

        def build() -> Any:
            evaluate = make_evaluate(key)

            def frame(state: LabState, inputs: Any, shared: Any) -> tuple[dict[str, Any], Any]:
                variables = {"params": state.params, "batch_stats": state.batch_stats}
                return evaluate(variables, *inputs, state.epoch, state.step), state.params

            return frame

        return FrameUse(
            key=("cnn.eval", key),
            inputs=inputs,
            build=build,
            finish=lambda out: CnnFrame(evaluation_of(out[0]), out[1], digit),
            batchable=False,
        )

    # ---- headless use (the CLI, benchmarks, tests: jitted once per Lab, never by the server) ------------

    @cached_property
    def _jitted(self) -> tuple[Any, Any, Any]:
        use = self.frame_uses(False, 0)[0]
        return (
            jax.jit(make_train_chunk(self.kernel_key)),
            jax.jit(use.build()),
            jax.jit(make_predict(self.layers)),
        )

    def train(self, state: LabState, epochs: int) -> LabState:
        """Train to the end of the `epochs`-th epoch boundary from here (whole epochs from a boundary)."""
        return self.train_steps(state, max(0, epochs * self.steps_per_epoch - int(state.step)))

    def train_steps(self, state: LabState, steps: int) -> LabState:
        trained, _, _ = self._jitted[0](state, self.train_uses()[0].inputs, jnp.asarray(steps, jnp.int32))
        return trained  # type: ignore[no-any-return]

    def evaluate(self, state: LabState, digit: int) -> Evaluation:
        use = self.frame_uses(False, digit)[0]
        out = jax.device_get(self._jitted[1](state, use.inputs, None))
        return use.finish(out).ev  # type: ignore[no-any-return]

    def predict_args(self, state: LabState, pixels: np.ndarray) -> tuple[Any, ...]:
        """The prediction's arguments for a drawn digit (64 counts 0..16)."""
        variables = {"params": state.params, "batch_stats": state.batch_stats}
        return variables, self.hyper, jnp.asarray(pixels_to_image(pixels))

    def predict(self, state: LabState, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A drawn digit -> (class probabilities (10,), saliency (8, 8))."""
        probabilities, saliency = self._jitted[2](*self.predict_args(state, pixels))
        return np.asarray(probabilities), np.asarray(saliency)


@dataclass(frozen=True)
class CnnFrame:
    """A frame's numbers on the host, what it was made of, and the digit it shows."""

    ev: Evaluation
    params: Any
    digit: int

    @property
    def train_loss(self) -> float:
        return self.ev.train_loss

    @property
    def test_loss(self) -> float:
        return self.ev.test_loss

    @property
    def train_accuracy(self) -> float:
        return self.ev.train_accuracy

    @property
    def test_accuracy(self) -> float:
        return self.ev.test_accuracy

    @property
    def healthy(self) -> bool:
        return bool(np.isfinite(self.ev.train_loss) and np.isfinite(self.ev.test_loss))


def check_stack(layers: Any) -> dict[str, Any]:
    """The editor's live check of a stack (raw JSON layers): shapes and parameters of every layer up to
    the first error, the total, and the error naming its layer (None if the stack is valid)."""
    from pydantic import TypeAdapter

    from .config import ImageConfigError, make_image_config

    try:
        config = make_image_config(None, {"layers": layers})
    except ImageConfigError as exc:
        valid_prefix: list[Layer] = []
        if exc.layer:
            with contextlib.suppress(Exception):
                valid_prefix = [TypeAdapter(Layer).validate_python(raw) for raw in layers[: exc.layer - 1]]
        summary = architecture_summary(valid_prefix)[:-1] if exc.layer else []
        return {
            "valid": False,
            "layers": summary,
            "parameters": None,
            "error": {"field": exc.field, "layer": exc.layer, "message": exc.message},
        }
    summary = architecture_summary(config.stack())
    return {"valid": True, "layers": summary, "parameters": sum(s["params"] for s in summary), "error": None}
