"""What sessions hand the training scheduler and what they get back (immutable; checked on creation)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import batched
from .batched import EvalSlot, PaddedSlot
from .evaluate import EvalData
from .exact import BatchedData, ExactSpec, batch_data
from .optimizers import TrainState

if TYPE_CHECKING:
    from .trainer import Plan


@dataclass(frozen=True)
class ChunkRequest:
    """Train one session's state up to `max_epochs` epochs (fewer if the tick's budget says so)."""

    slot: Hashable  # the caller's id of the session; one request per slot at a time
    padded: PaddedSlot  # state, arch, hyper and training data of the padded kernel (always usable)
    max_epochs: int
    exact_spec: ExactSpec | None = None  # with exact_data: the exact kernel may run instead
    exact_data: BatchedData | None = None

    def __post_init__(self) -> None:
        if self.max_epochs < 1:
            raise ValueError(f"max_epochs must be at least 1, got {self.max_epochs}")
        if (self.exact_spec is None) != (self.exact_data is None):
            raise ValueError("exact_spec and exact_data go together")
        state = self.padded.state
        if self.exact_spec is not None and self.exact_spec.optimizer != state.spec:
            raise ValueError(f"the state is for {state.spec}, the exact spec for {self.exact_spec.optimizer}")
        # Every array as its kernel takes it, so a malformed request fails here, never its batch.
        batched.check_padded_slot(self.padded)
        if self.exact_spec is not None and self.exact_data is not None:
            batched.check_exact_data(self.exact_spec, self.exact_data)

    @staticmethod
    def from_plan(
        slot: Hashable,
        plan: Plan,
        state: TrainState,
        max_epochs: int,
        exact_data: BatchedData | None = None,
    ) -> ChunkRequest:
        """A request for a trainer's plan; `state` must fit it (Trainer.fit_params). Pass the plan's
        `exact_inputs(plan)` (cache them with the plan) to let the exact kernel run."""
        if tuple(state.params.w.shape[:2]) != (plan.shape.depth, plan.shape.width):
            net = tuple(state.params.w.shape[:2])
            raise ValueError(f"the state's net {net} does not fit the plan's bucket {plan.shape}")
        if state.spec != plan.optimizer:
            raise ValueError(f"the state is for {state.spec}, the plan for {plan.optimizer}")
        padded = PaddedSlot(state, plan.arch, plan.hyper, plan.train_data)
        spec = plan.exact_spec if exact_data is not None else None
        return ChunkRequest(slot, padded, max_epochs, spec, exact_data)


def exact_inputs(plan: Plan) -> BatchedData:
    """The exact kernel's batched training data of a plan (host work: build it once per plan)."""
    return batch_data(plan.exact_spec, plan.train_features, plan.split.train_y)


@dataclass(frozen=True)
class ChunkOutcome:
    params: TrainState  # the state after the chunk (named as trainer.ChunkOutcome's)
    epochs: int
    diverged: bool
    kernel: str  # "exact" or "padded": which kernel ran
    batch_members: int  # sessions in the call that ran this one (itself included)
    slots: int  # the call's slot count


@dataclass(frozen=True)
class EvalRequest:
    slot: Hashable
    params: Any  # models.mlp.Params (padded, fit to the arch)
    arch: Any  # models.mlp.Arch
    data: EvalData

    def __post_init__(self) -> None:
        batched.check_eval_slot(eval_slot(self))

    @staticmethod
    def from_plan(slot: Hashable, plan: Plan, state: TrainState) -> EvalRequest:
        return EvalRequest(slot, state.params, plan.arch, plan.eval_data)


@dataclass
class Counters:
    """What the scheduler did (read with `TrainingScheduler.counters()`; for tests and benchmarks)."""

    ticks: int = 0
    compiles: int = 0  # kernels this scheduler compiled (key x slot count)
    batches: int = 0  # jitted training calls
    exact_batches: int = 0
    slots_used: int = 0  # sum over training calls of their members
    slots_run: int = 0  # ... of their slot counts (the difference is padding)
    chunks: int = 0  # requests served
    evaluations: int = 0
    eval_batches: int = 0
    errors: int = 0
    members_per_batch: dict[int, int] = field(default_factory=dict)  # members -> calls

    def copy(self) -> Counters:
        return Counters(**{**self.__dict__, "members_per_batch": dict(self.members_per_batch)})


def eval_slot(request: EvalRequest) -> EvalSlot:
    return EvalSlot(request.params, request.arch, request.data)


def fairness(epochs_per_second: Sequence[float]) -> float:
    """Slowest over median (1.0: everyone progresses at the same pace)."""
    values = np.asarray(epochs_per_second, np.float64)
    median = float(np.median(values))
    return float(values.min() / median) if median > 0 else 0.0
