"""Which compiled kernel trains a plan, and the process-wide cache of exact-shape kernels.

Exact kernels are keyed on (ExactSpec, device) and shared by every session whose config has that spec.
The training data is never part of a kernel: it is passed in as an argument from the plan, so a cached
kernel can never train on another config's data. Compiles run on one dedicated worker thread
(`compile_executor`), never in the pool that runs training chunks.

Shared state: `_EXACT` and `_WARM_PADDED` are guarded by `_LOCK` (the only lock here); compiled
functions themselves are immutable and thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from ..models.mlp import LayerKind, MlpShape
from .exact import ExactSpec, compiled_exact_chunk
from .optimizers import OptimizerSpec, TrainState
from .plan import Plan
from .runtime import background_compiles
from .train import ChunkResult, compiled_train_chunk
from .weights import fit_state

_LOCK = threading.Lock()
_EXACT: dict[tuple[ExactSpec, str], Callable[..., ChunkResult]] = {}
_PENDING: dict[tuple[ExactSpec, str], Future[bool]] = {}
# (bucket, optimizer, layer kind) whose padded kernel has run (so it is compiled)
_WARM_PADDED: set[tuple[MlpShape, OptimizerSpec, LayerKind]] = set()
_compile_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnplay-compile")


@dataclass(frozen=True)
class ChunkOutcome:
    params: TrainState  # the training state (weights, optimizer state, schedule clock) after the chunk
    epochs: int
    diverged: bool
    kernel: str  # "exact" or "padded": which kernel ran


def _device() -> str:
    return str(jax.devices()[0])


def exact_kernel(spec: ExactSpec) -> Callable[..., ChunkResult] | None:
    """The compiled exact kernel of `spec` on this device, if one is ready."""
    with _LOCK:
        return _EXACT.get((spec, _device()))


def padded_ready(plan: Plan) -> bool:
    """Whether the padded kernel of the plan's bucket, optimizer and layer kind has been compiled."""
    with _LOCK:
        return (plan.shape, plan.optimizer, plan.arch.kind) in _WARM_PADDED


def _compile_exact(plan: Plan, state: TrainState) -> bool:
    key = (plan.exact_spec, _device())
    if exact_kernel(plan.exact_spec) is None:
        with background_compiles():
            args = (fit_state(state, plan), plan.hyper, plan.exact_data, jnp.asarray(1, jnp.int32))
            compiled = compiled_exact_chunk(plan.exact_spec).lower(*args).compile()
        with _LOCK:
            _EXACT[key] = compiled
    with _LOCK:
        _PENDING.pop(key, None)
    return True


def compile_exact(plan: Plan, state: TrainState) -> Future[bool]:
    """Compile (once per spec and device, on the compile thread) the exact kernel for `plan`."""
    key = (plan.exact_spec, _device())
    with _LOCK:
        if key in _EXACT:
            done: Future[bool] = Future()
            done.set_result(True)
            return done
        pending = _PENDING.get(key)
        if pending is None:
            pending = _compile_executor.submit(_compile_exact, plan, state)
            _PENDING[key] = pending
        return pending


def train_chunk(plan: Plan, state: TrainState, epochs: int, exact: bool = True) -> ChunkOutcome:
    """Train up to `epochs` epochs of `plan` (blocking): the exact kernel if `exact` and one is compiled
    for the plan's spec, else the padded kernel. Pure: reads the plan, returns the new state."""
    n = jnp.asarray(epochs, jnp.int32)
    state = fit_state(state, plan)
    fn = exact_kernel(plan.exact_spec) if exact else None
    if fn is not None:
        result, kernel = fn(state, plan.hyper, plan.exact_data, n), "exact"
    else:
        padded = compiled_train_chunk(plan.shape)
        result, kernel = padded(state, plan.arch, plan.hyper, plan.train_data, n), "padded"
        with _LOCK:
            _WARM_PADDED.add((plan.shape, plan.optimizer, plan.arch.kind))
    return ChunkOutcome(result.state, int(result.epochs), bool(result.diverged), kernel)
