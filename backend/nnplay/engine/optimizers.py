"""Optimizers and learning-rate schedules, and the training state they live in.

Optimizers are optax transformations built inside the kernels from traced hyperparameters (learning
rate, momentum, weight decay), and schedules are closed forms of traced lengths and factors, so editing
any of those values never recompiles. Only the kinds are static: the optimizer picks the state's
structure and the code a kernel runs, and both kinds are the key of a compiled kernel.

SGD is not optax's: it is TensorFlow Playground's update, L1/L2 step and all (train.py,
`regularized_update`), bit for bit what it was before optimizers existed. The others minimise the
penalised loss: an L1/L2 penalty adds rate * R'(w) to the weights' gradient before the optimizer sees it
(so Adam + L2 is the classical coupled L2, and AdamW's weight decay is the decoupled alternative).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..models.mlp import DEPTH_BUCKETS, Params
from ..settings import OPTIMIZERS, SCHEDULES

MAX_DEPTH = DEPTH_BUCKETS[-1]


class Hyper(NamedTuple):
    """Every hyperparameter a kernel reads, as traced scalars: editing one never recompiles."""

    learning_rate: jax.Array  # f32 (): the base rate; the schedule scales it
    l1: jax.Array  # f32 (): regularization rate when L1 is on, else 0
    l2: jax.Array  # f32 ()
    batch_size: jax.Array  # i32 ()
    momentum: jax.Array  # f32 (): momentum and Nesterov's decay; Adam's and AdamW's b1
    weight_decay: jax.Array  # f32 (): AdamW's decoupled decay
    schedule_epochs: jax.Array  # i32 (): N of the schedule
    schedule_factor: jax.Array  # f32 (): the step schedule's factor
    dropout: jax.Array  # f32 (MAX_DEPTH,): per hidden layer, the rate at which its units are dropped
    seed: jax.Array  # i32 (): seeds dropout's masks, with the epoch and the step (deterministic)


def dropout_key(hyper: Hyper, epoch: jax.Array, step: jax.Array | int) -> jax.Array:
    """The PRNG key of one update's dropout masks: a pure function of (seed, epoch, step)."""
    return jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(hyper.seed), epoch), step)


def make_hyper(
    learning_rate: float,
    *,
    l1: float = 0.0,
    l2: float = 0.0,
    batch_size: int = 10,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    schedule_epochs: int = 1000,
    schedule_factor: float = 0.5,
    dropout: float | Sequence[float] = 0.0,
    seed: int = 0,
) -> Hyper:
    """Host values -> the traced scalars the kernels take (fixed dtypes and shapes, so edits hit jit's
    cache). `dropout`: one rate for every hidden layer, or one per layer (missing layers: 0)."""
    f32, i32 = np.float32, np.int32
    rates = np.zeros(MAX_DEPTH, f32)
    if isinstance(dropout, int | float):
        rates[:] = dropout
    else:
        rates[: len(dropout)] = dropout
    host = (
        np.asarray(learning_rate, f32),
        np.asarray(l1, f32),
        np.asarray(l2, f32),
        np.asarray(batch_size, i32),
        np.asarray(momentum, f32),
        np.asarray(weight_decay, f32),
        np.asarray(schedule_epochs, i32),
        np.asarray(schedule_factor, f32),
        rates,
        np.asarray(seed, i32),
    )  # in Hyper's order
    # One transfer for all of them (an edit makes these while the server is busy: see mlp.make_arch).
    return Hyper(*jax.device_put(host))


def shared_hyper(learning_rate: float, *, dropout: float | Sequence[float] = 0.0, **values: Any) -> Hyper:
    """make_hyper's device arrays, made once per set of values and shared: every edit of a run makes a
    plan on the event loop, where ten small transfers cost ~1 ms (a class that edits at once makes the
    same values often). Safe to share: device arrays are immutable and no kernel donates them."""
    rates = dropout if isinstance(dropout, int | float) else tuple(dropout)
    return _shared_hyper(learning_rate, rates, tuple(sorted(values.items())))


@lru_cache(maxsize=1024)
def _shared_hyper(learning_rate: float, dropout: Any, values: tuple[tuple[str, Any], ...]) -> Hyper:
    return make_hyper(learning_rate, dropout=dropout, **dict(values))


@dataclass(frozen=True)
class OptimizerSpec:
    """The static part of the optimizer: which one and which schedule (part of a kernel's compile key)."""

    optimizer: str = "sgd"
    schedule: str = "constant"

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; optimizers are {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; schedules are {', '.join(SCHEDULES)}")


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class TrainState:
    """What training carries from one chunk to the next: weights, optimizer state and the schedule's clock.

    `spec` is static (it is in the pytree's structure, not a leaf): a state built for another optimizer or
    schedule has another structure, and the trainer re-initialises it rather than feed it to a kernel.
    """

    params: Any  # models.mlp.Params (padded) in and out of every kernel
    opt_state: Any  # the optax state of `spec.optimizer`, shaped like `params` ((), for SGD)
    epoch: jax.Array  # i32 (): epochs trained with this optimizer and schedule, the schedule's clock
    spec: OptimizerSpec = field(metadata={"static": True})


def make_optimizer(
    name: str, learning_rate: Any, momentum: Any = 0.9, weight_decay: Any = 0.0
) -> optax.GradientTransformation:
    """The optax transformation of `name`; its arguments may be traced scalars (built inside the kernel)."""
    if name in ("sgd", "momentum", "nesterov"):
        return optax.sgd(
            learning_rate, momentum=None if name == "sgd" else momentum, nesterov=name == "nesterov"
        )
    if name == "adam":
        return optax.adam(learning_rate, b1=momentum)
    if name == "adamw":
        return optax.adamw(learning_rate, b1=momentum, weight_decay=weight_decay)
    if name == "rmsprop":
        return optax.rmsprop(learning_rate)
    if name == "adagrad":
        return optax.adagrad(learning_rate)
    raise ValueError(f"unknown optimizer {name!r}")


@cache
def _compiled_init(name: str) -> Callable[[Any], Any]:
    # Jitted so that a fresh state costs one cached call, not a handful of eager ops per leaf.
    return jax.jit(make_optimizer(name, 0.0).init)  # the state's structure does not depend on the rates


def init_state(spec: OptimizerSpec, params: Any) -> TrainState:
    """A fresh optimizer state and clock for `params` (the weights are kept as they are)."""
    opt_state = () if spec.optimizer == "sgd" else _compiled_init(spec.optimizer)(params)
    return TrainState(params, opt_state, jnp.zeros((), jnp.int32), spec)


def schedule_value(
    schedule: str,
    learning_rate: Any,
    schedule_epochs: Any,
    schedule_factor: Any,
    epoch: Any,
    step_in_epoch: Any = 0,
    steps_per_epoch: Any = 1,
    xp: Any = jnp,
) -> Any:
    """The learning rate of the update `step_in_epoch` of epoch `epoch` (both counted from 0).

    constant: lr; step: lr * factor^(epoch // N), dropping at epoch boundaries; cosine:
    lr * (1 + cos(pi t)) / 2 and warm-up: lr * t, where t = min(epochs so far / N, 1) counts the updates of
    the current epoch as a fraction, so the rate moves every update. `xp` is jax.numpy in kernels, numpy on
    the host.
    """
    if schedule == "constant":
        return learning_rate  # no arithmetic at all: SGD + constant is bit for bit TF Playground's update
    if schedule == "step":
        return learning_rate * schedule_factor ** (epoch // schedule_epochs)
    progress = xp.minimum((epoch + step_in_epoch / steps_per_epoch) / schedule_epochs, 1.0)
    if schedule == "cosine":
        return learning_rate * 0.5 * (1.0 + xp.cos(xp.pi * progress))
    if schedule == "warmup":
        return learning_rate * progress
    raise ValueError(f"unknown schedule {schedule!r}")


def scheduled_rate(
    schedule: str, hyper: Hyper, epoch: jax.Array, step_in_epoch: Any = 0, steps_per_epoch: Any = 1
) -> jax.Array:
    """In a kernel: the schedule's learning rate for this update, from the traced hyperparameters."""
    rate: jax.Array = schedule_value(
        schedule,
        hyper.learning_rate,
        hyper.schedule_epochs,
        hyper.schedule_factor,
        epoch,
        step_in_epoch,
        steps_per_epoch,
    )
    return rate


def penalty_gradient(w: jax.Array, hyper: Hyper) -> jax.Array:
    """d/dw of the L1/L2 penalty rate * R(w) (for the optimizers other than SGD; the rates are 0 if off)."""
    return hyper.l1 * jnp.sign(w) + hyper.l2 * w


def is_params(tree: Any) -> bool:
    """Whether `tree` is a params-shaped node of an optimizer state (where moments live)."""
    return isinstance(tree, Params)


def map_moments(fn: Callable[[Any], Any], opt_state: Any) -> Any:
    """Apply `fn` to every params-shaped node of an optimizer state (moments, traces), others as they are."""
    return jax.tree.map(lambda node: fn(node) if is_params(node) else node, opt_state, is_leaf=is_params)
