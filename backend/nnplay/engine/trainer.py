"""A convenience owner of one config's plan and state helpers, for the CLI, benchmarks and tests.

Sessions do not use it: they hold their plan themselves and call the pure functions of `plan`,
`kernels`, `frames` and `weights` from worker threads. A Trainer is for single-threaded use.
"""

from __future__ import annotations

import numpy as np

from ..models.mlp import Params
from ..schemas import TrainConfig
from . import kernels, weights
from .frames import HIST_BINS, FrameData, current_learning_rate, frame_data, histogram
from .kernels import ChunkOutcome
from .optimizers import TrainState
from .plan import DATA_FIELDS, Plan, loss_kind, make_plan, output_activation
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
    def padded_ready(self) -> bool:
        return kernels.padded_ready(self.plan)

    @property
    def exact_ready(self) -> bool:
        """Whether training uses the exact kernel (prepare_exact was called and it is compiled)."""
        return self._use_exact and kernels.exact_kernel(self.plan.exact_spec) is not None

    def prepare_exact(self, state: TrainState | Params) -> bool:
        """Compile the exact kernel for the current plan (blocking) and train with it from now on."""
        kernels.compile_exact(self.plan, self.fit_params(state)).result()
        self._use_exact = True
        return True

    def train(self, state: TrainState | Params, epochs: int) -> ChunkOutcome:
        """Train up to `epochs` epochs: the exact kernel once prepared (and fit for the plan), else padded."""
        return kernels.train_chunk(self.plan, self.fit_params(state), epochs, exact=self._use_exact)

    def evaluate(self, state: TrainState | Params) -> FrameData:
        return frame_data(self.plan, state)
