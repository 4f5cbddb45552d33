"""How the engine trains and shows an MLP plan: its training uses (the exact kernel, then the padded
bucket's) and its frame uses (the exact evaluation, batchable, then the padded one).

A frame's summary is made on the device: losses, the pictures as uint8, the padded weights (small: the
links are drawn from them) and the signs of a stalled net; the host cuts the exact-shape weights and
builds the `FrameData` (frames.py). The insight views' frames (`detail`) take the whole padded evaluation
to the host, for their metrics and histograms.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

import jax
import jax.numpy as jnp

from ...engine.optimizers import TrainState
from ...engine.seam import FrameUse, TrainUse
from .evaluate import EvalData, Evaluation, evaluate
from .exact import make_exact_chunk
from .exact_eval import EvalSpec, make_exact_evaluate
from .frames import SATURATED, frame_from_evaluation, summary_frame
from .train import train_chunk

if TYPE_CHECKING:
    from .plan import Plan

CONSTANT_RANGE = 1e-6  # a unit whose output varies less than this over the training points is constant
MAX_PADDED_SLOTS_CPU = 16  # past this many slots the vmapped padded kernel drifts from its lone runs


def padded_max_slots() -> int | None:
    """Measured on this CPU (jax 0.10): up to 16 slots the vmapped padded kernel is bit for bit the lone
    one; at 32 XLA picks another code path and slots drift by float round-off."""
    return MAX_PADDED_SLOTS_CPU if jax.default_backend() == "cpu" else None


def _padded_chunk(state: TrainState, inputs: Any, n: jax.Array) -> Any:
    arch, hyper, data = inputs
    return train_chunk(state, arch, hyper, data, n)


def _exact_builder(spec: Any) -> Any:
    def build() -> Any:
        chunk = make_exact_chunk(spec)

        def run(state: TrainState, inputs: Any, n: jax.Array) -> Any:
            hyper, data = inputs
            return chunk(state, hyper, data, n)

        return run

    return build


def train_uses(plan: Plan) -> tuple[TrainUse, ...]:
    padded = TrainUse(
        key=("mlp.padded", plan.shape, plan.arch.kind, plan.optimizer),
        inputs=(plan.arch, plan.hyper, plan.train_data),
        build=lambda: _padded_chunk,
        label="padded",
        max_slots=padded_max_slots(),
    )
    if plan.n_train == 0:
        return (padded,)
    exact = TrainUse(
        key=("mlp.exact", plan.exact_spec),
        inputs=(plan.hyper, plan.exact_data),
        build=_exact_builder(plan.exact_spec),
        label="exact",
    )
    return exact, padded


# ---- frames ----------------------------------------------------------------------------------------


class Summary(NamedTuple):
    """What a frame needs of an evaluation, made on the device (everything but the weights is small)."""

    train_loss: jax.Array
    test_loss: jax.Array
    train_accuracy: jax.Array
    test_accuracy: jax.Array
    output_grid: jax.Array  # (GRID_SIZE**2,) uint8
    output_classes: jax.Array  # (GRID_SIZE**2,) uint8 (softmax), else (0,)
    neuron_grids: jax.Array  # (depth, width, cells) uint8
    params: Any  # the padded weights (the links are drawn from them)
    epoch: jax.Array  # the schedule's clock (the learning rate shown)
    constant_layers: jax.Array  # (depth,) bool: every unit of the layer constant over the training points
    output_constant: jax.Array  # bool
    saturated_one_class: jax.Array  # bool


def _spread(values: jax.Array, rows: jax.Array) -> jax.Array:
    """max - min over the first `rows` rows (axis 0) of `values`."""
    valid = (jnp.arange(values.shape[0]) < rows).reshape((-1,) + (1,) * (values.ndim - 1))
    high = jnp.max(jnp.where(valid, values, -jnp.inf), axis=0)
    low = jnp.min(jnp.where(valid, values, jnp.inf), axis=0)
    return high - low


def summarize(ev: Evaluation, state: TrainState, n_train: jax.Array, loss: str) -> Summary:
    """The frame's summary of an evaluation (frames.frame_from_evaluation's signs, on the device)."""
    some = n_train > 0
    hidden = jax.vmap(lambda layer: jnp.all(_spread(layer, n_train) < CONSTANT_RANGE))(ev.train_hidden)
    out = ev.train_out
    constant = jnp.all(_spread(out, n_train) < CONSTANT_RANGE)
    valid = jnp.arange(out.shape[0]) < n_train
    if loss == "softmax":
        classes, confidence = jnp.argmax(out, axis=1), jnp.max(out, axis=1)
    else:
        classes, confidence = (out >= 0).astype(jnp.int32), jnp.abs(out)
    first = classes[0]
    saturated = jnp.all(jnp.where(valid, (classes == first) & (confidence > SATURATED), True))
    return Summary(
        ev.train_loss,
        ev.test_loss,
        ev.train_accuracy,
        ev.test_accuracy,
        ev.output_grid,
        ev.output_classes,
        ev.neuron_grids,
        state.params,
        state.epoch,
        hidden & some,
        constant & some,
        saturated & some,
    )


def _cut(data: tuple[jax.Array, ...], train_rows: int, test_rows: int) -> tuple[jax.Array, ...]:
    train_x, train_y, train_n, test_x, test_y, test_n = data
    return train_x[:train_rows], train_y[:train_rows], train_n, test_x[:test_rows], test_y[:test_rows], test_n


def _eval_data(data: tuple[jax.Array, ...], grid: jax.Array) -> EvalData:
    train_x, train_y, train_n, test_x, test_y, test_n = data
    return EvalData(train_x, train_y, train_n, test_x, test_y, test_n, grid)


def rows_for(n: int) -> int:
    """The rows a frame evaluates for `n` points: a power of two from 8 (fewer kernels, little padding)."""
    rows = 8
    while rows < n:
        rows *= 2
    return rows


@lru_cache(maxsize=64)  # bounded: one per key, each the root of its compiled code
def _exact_summary(spec: EvalSpec, train_rows: int, test_rows: int) -> Any:
    evaluate_exact = make_exact_evaluate(spec)

    def summary(state: TrainState, data: tuple[jax.Array, ...], grid: jax.Array) -> Summary:
        rows = _cut(data, train_rows, test_rows)
        ev = evaluate_exact(state.params, _eval_data(rows, grid))
        return summarize(ev, state, rows[2], spec.loss)

    return summary


def _padded_summary(state: TrainState, inputs: Any, grid: jax.Array) -> Summary:
    arch, data = inputs
    ev = evaluate(state.params, arch, _eval_data(data, grid), detail=False)
    return summarize(ev, state, data[2], arch.kind.loss)


def _padded_detail(state: TrainState, inputs: Any, grid: jax.Array) -> tuple[Evaluation, TrainState]:
    arch, data = inputs
    return evaluate(state.params, arch, _eval_data(data, grid), detail=True), state


def frame_uses(plan: Plan, detail: bool) -> tuple[FrameUse, ...]:
    data = tuple(plan.eval_data[:-1])  # every field but the grid, which every run of a width shares
    grid = plan.eval_data.grid_x
    padded_key = ("mlp.padded-eval", plan.shape, plan.arch.kind)
    if detail:
        return (
            FrameUse(
                key=(*padded_key, "detail"),
                inputs=(plan.arch, data),
                build=lambda: _padded_detail,
                finish=lambda out: frame_from_evaluation(plan, out[1], out[0], True),
                shared=grid,
                batchable=False,
            ),
        )
    padded = FrameUse(
        key=padded_key,
        inputs=(plan.arch, data),
        build=lambda: _padded_summary,
        finish=lambda summary: summary_frame(plan, summary),
        shared=grid,
        batchable=False,
    )
    if plan.n_train == 0:
        return (padded,)
    spec = EvalSpec.of(plan.exact_spec, plan.shape.width)
    train_rows, test_rows = rows_for(plan.n_train), rows_for(len(plan.split.test_y))
    exact = FrameUse(
        key=("mlp.eval", spec, train_rows, test_rows),
        inputs=data,
        build=lambda: _exact_summary(spec, train_rows, test_rows),
        finish=lambda summary: summary_frame(plan, summary),
        shared=grid,
    )
    return exact, padded
