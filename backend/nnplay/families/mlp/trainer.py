"""A convenience owner of one config's plan and state helpers, for the CLI, benchmarks and tests.

Sessions do not use it: they train through the app's engine. A Trainer calls the jitted kernels itself
(train.compiled_train_chunk, exact.compiled_exact_chunk) on the calling thread; it is for single-threaded
use.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from ...engine.optimizers import TrainState
from ...models.mlp import Params
from ...schemas import TrainConfig
from . import weights
from .exact import compiled_exact_chunk
from .frames import HIST_BINS, FrameData, current_learning_rate, frame_data, histogram
from .plan import DATA_FIELDS, Plan, loss_kind, make_plan, output_activation
from .train import compiled_train_chunk
from .weights import resize_params

__all__ = [
    "DATA_FIELDS",
    "HIST_BINS",
    "ChunkOutcome",
    "FrameData",
    "Plan",
    "Trainer",
    "histogram",
    "loss_kind",
    "make_plan",
    "output_activation",
    "resize_params",
]


@dataclass(frozen=True)
class ChunkOutcome:
    params: TrainState  # the training state after the chunk
    epochs: int
    diverged: bool
    kernel: str  # "exact" or "padded": which kernel ran


class Trainer:
    """Runs one config's training and evaluation on the jitted kernels."""

    def __init__(self, config: TrainConfig) -> None:
        self.custom: tuple[np.ndarray, np.ndarray] | None = None  # a person's own points, if any
        self.plan = make_plan(config)
        self._use_exact = False  # prepare_exact turns the exact kernel on for this trainer

    @property
    def config(self) -> TrainConfig:
        return self.plan.config

    def configure(self, config: TrainConfig) -> bool:
        """Adopt a new config; returns whether the data changed."""
        old = self.plan
        self.plan = make_plan(config, old, self.custom)
        return self.plan.split is not old.split

    def set_custom_points(self, points: np.ndarray, labels: np.ndarray) -> bool:
        """Keep a person's own points; returns whether the data in use changed (data set "custom")."""
        self.custom = (np.asarray(points, np.float32).reshape(-1, 2), np.asarray(labels, np.float32))
        if self.config.dataset != "custom":
            return False
        self.plan = make_plan(self.config, None, self.custom)
        return True

    def init_params(self) -> TrainState:
        return weights.fresh_state(self.plan)

    def fit_params(self, state: TrainState | Params, plan: Plan | None = None) -> TrainState:
        return weights.fit_state(state, plan or self.plan)

    def current_learning_rate(self, state: TrainState | Params) -> float:
        return current_learning_rate(self.plan, state)

    def set_weight(
        self, state: TrainState | Params, layer: int, source: int, target: int, value: float
    ) -> TrainState:
        return weights.set_weight(self.plan, state, layer, source, target, value)

    def set_bias(self, state: TrainState | Params, layer: int, neuron: int, value: float) -> TrainState:
        return weights.set_bias(self.plan, state, layer, neuron, value)

    @property
    def exact_ready(self) -> bool:
        """Whether training uses the exact kernel (prepare_exact was called)."""
        return self._use_exact

    def prepare_exact(self, state: TrainState | Params) -> bool:
        """Train with the exact kernel of the current plan from now on (compiled on its first chunk)."""
        self._use_exact = self.plan.n_train > 0
        return self._use_exact

    def train(self, state: TrainState | Params, epochs: int) -> ChunkOutcome:
        """Train up to `epochs` epochs: the exact kernel once prepared, else padded."""
        plan, n = self.plan, jnp.asarray(epochs, jnp.int32)
        state = self.fit_params(state)
        if self._use_exact and plan.n_train > 0:
            result = compiled_exact_chunk(plan.exact_spec)(state, plan.hyper, plan.exact_data, n)
            kernel = "exact"
        else:
            chunk = compiled_train_chunk(plan.shape)
            result, kernel = chunk(state, plan.arch, plan.hyper, plan.train_data, n), "padded"
        return ChunkOutcome(result.state, int(result.epochs), bool(result.diverged), kernel)

    def evaluate(self, state: TrainState | Params) -> FrameData:
        return frame_data(self.plan, state)
