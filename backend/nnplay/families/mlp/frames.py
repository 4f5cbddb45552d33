"""What a frame shows, as host numbers: `frame_data(plan, state)` evaluates a net on its plan's data.

Pure with respect to its arguments (it reads the plan, never a trainer), so it may run in any thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from ...engine.metrics import binary_metrics, multiclass_metrics
from ...engine.optimizers import TrainState, schedule_value
from ...models.mlp import Params
from .evaluate import NEURON_GRID_SIZE, Evaluation, compiled_evaluate
from .plan import Plan
from .weights import fit_weights

HIST_BINS = 20
CONSTANT_RANGE = 1e-6  # a unit whose output varies less than this over the training points is dead
SATURATED = 0.99  # a score this close to certain (|score| on TF Playground's [-1, 1] scale) is saturated


@dataclass(frozen=True)
class FrameData:
    """A host-side evaluation of the net: what a frame carries.

    Losses and accuracies are None where there is nothing to measure them on (no training or no test
    points): an empty data set is not a perfect score.
    """

    train_loss: float | None
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    output_grid: np.ndarray  # (GRID_SIZE**2,) uint8 (multi-class: the top class's probability p as 2p - 1)
    neuron_grids: np.ndarray  # (sum(hidden_layers), NEURON_GRID_SIZE**2) uint8
    weights: list[np.ndarray]  # exact-shape float32 (in, out) per layer, output last
    biases: list[np.ndarray]
    learning_rate: float = 0.0  # the schedule's current value
    metrics: dict[str, Any] | None = None  # {"train": {...}, "test": {...}} for classification
    grad_norms: list[float] = field(default_factory=list)  # per layer (output last): |dLoss/dW|
    weight_hist: list[dict[str, Any]] = field(default_factory=list)  # per layer: lo, hi, counts
    activation_hist: list[dict[str, Any]] = field(default_factory=list)  # per hidden layer
    outputs: int = 1  # output neurons: the classes of a multi-class net
    output_classes: np.ndarray | None = None  # (GRID_SIZE**2,) uint8 predicted class, multi-class only
    dead_layers: list[int] = field(default_factory=list)  # hidden layers whose every unit is constant
    output_constant: bool = False  # the output is the same at every training point
    saturated_one_class: bool = False  # every training point gets the same class, at full confidence

    @property
    def healthy(self) -> bool:
        """Finite losses (or none to measure): the weights are worth going back to."""
        return all(v is None or np.isfinite(v) for v in (self.train_loss, self.test_loss))


def histogram(values: np.ndarray) -> dict[str, Any]:
    """Counts in HIST_BINS equal bins over a range symmetric about 0 (so sign stays readable)."""
    values = values[np.isfinite(values)]
    reach = float(np.abs(values).max()) if values.size else 0.0
    reach = reach or 1e-6
    counts, _ = np.histogram(values, bins=HIST_BINS, range=(-reach, reach))
    return {"lo": -reach, "hi": reach, "counts": counts.tolist()}


def current_learning_rate(plan: Plan, state: Any) -> float:
    """The learning rate the next update will use: the schedule's value at the state's epoch."""
    # Another optimizer or schedule starts its clock afresh (fit_state).
    epoch = int(state.epoch) if isinstance(state, TrainState) and state.spec == plan.optimizer else 0
    return _rate_at(plan, epoch)


def _rate_at(plan: Plan, epoch: int) -> float:
    config = plan.config
    rate = schedule_value(
        config.schedule, config.learning_rate, config.schedule_epochs, config.schedule_factor, epoch, xp=np
    )
    return float(rate)


def _exact_weights(plan: Plan, host: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    weights, biases = [], []
    rows = np.asarray(plan.exact_spec.features)
    for layer, n in enumerate(plan.config.hidden_layers):
        weights.append(np.asarray(host.w[layer][np.ix_(rows, np.arange(n))], np.float32))
        biases.append(np.asarray(host.b[layer][:n], np.float32))
        rows = np.arange(n)
    outputs = plan.config.n_classes
    weights.append(np.asarray(host.w_out[rows][:, :outputs], np.float32))
    biases.append(np.asarray(host.b_out[:outputs], np.float32))
    return weights, biases


def _constant(values: np.ndarray) -> bool:
    """Whether every column of (points, units) values is constant over the points (no points: no)."""
    if values.shape[0] == 0:
        return False
    spread = values.max(axis=0) - values.min(axis=0)
    return bool(np.all(spread < CONSTANT_RANGE))


def _saturated_one_class(scores: np.ndarray, softmax: bool) -> bool:
    """Whether every training point gets the same class with a saturated score (a net that gave up)."""
    if scores.shape[0] == 0:
        return False
    if softmax:
        classes, confidence = scores.argmax(axis=1), scores.max(axis=1)
    else:
        scores = scores.reshape(-1)
        classes, confidence = scores >= 0, np.abs(scores)
    return bool(np.all(classes == classes[0]) and np.all(confidence > SATURATED))


def summary_frame(plan: Plan, summary: Any) -> FrameData:
    """The frame of a summary made on the device (uses.Summary, on the host): no insight views."""
    layers = list(plan.config.hidden_layers)
    depth, outputs = len(layers), plan.config.n_classes
    classify = plan.config.problem == "classification"
    n_train, n_test = plan.n_train, len(plan.split.test_y)
    thumbs = [np.asarray(summary.neuron_grids[layer, :n]) for layer, n in enumerate(layers)]
    empty = np.zeros((0, NEURON_GRID_SIZE**2), np.uint8)
    weights, biases = _exact_weights(plan, summary.params)
    epoch = int(summary.epoch)
    return FrameData(
        train_loss=float(summary.train_loss) if n_train else None,
        test_loss=float(summary.test_loss) if n_test else None,
        train_accuracy=float(summary.train_accuracy) if classify and n_train else None,
        test_accuracy=float(summary.test_accuracy) if classify and n_test else None,
        output_grid=np.asarray(summary.output_grid),
        neuron_grids=np.concatenate(thumbs) if thumbs else empty,
        weights=weights,
        biases=biases,
        learning_rate=_rate_at(plan, epoch),
        outputs=outputs,
        output_classes=np.asarray(summary.output_classes) if outputs > 1 else None,
        dead_layers=[layer for layer in range(depth) if bool(summary.constant_layers[layer])],
        output_constant=bool(summary.output_constant),
        saturated_one_class=classify and bool(summary.saturated_one_class),
    )


def frame_data(plan: Plan, state: Any, detail: bool = True) -> FrameData:
    """Losses, accuracy, grids and exact-shape weights of the state's weights (blocking).

    `detail=False` leaves out what only the insight views draw (metrics, histograms, gradient norms).
    """
    params = fit_weights(state if not isinstance(state, TrainState) else state.params, plan)
    evaluation = compiled_evaluate()(params, plan.arch, plan.eval_data, detail=detail)
    return frame_from_evaluation(plan, state, evaluation, detail)


def frame_from_evaluation(
    plan: Plan, state: Any, evaluation: Evaluation, detail: bool = True, host_params: Params | None = None
) -> FrameData:
    """The host side of a frame from the jitted evaluation of the state's weights (possibly one slot of a
    batched evaluation): exact-shape weights, metrics, histograms, stall signs. `host_params`: the state's
    params fit for the plan, already on the host (the framer copied them for its batch)."""
    if host_params is None:
        host_params = fit_weights(state if not isinstance(state, TrainState) else state.params, plan)
    ev = jax.device_get(evaluation)
    host = jax.device_get(host_params)
    layers = list(plan.config.hidden_layers)
    thumbs = [ev.neuron_grids[layer, :n] for layer, n in enumerate(layers)]
    empty = np.zeros((0, NEURON_GRID_SIZE**2), np.uint8)
    weights, biases = _exact_weights(plan, host)
    outputs = plan.config.n_classes
    classify = plan.config.problem == "classification"
    split = plan.split
    n_train, n_test = len(split.train_y), len(split.test_y)
    metrics = None  # precision, recall, ROC, confusion: drawn by the insight views only
    if detail and classify and outputs > 1:
        metrics = {
            "train": multiclass_metrics(split.train_y, ev.train_out[:n_train, :outputs]),
            "test": multiclass_metrics(split.test_y, ev.test_out[:n_test, :outputs]),
        }
    elif detail and classify:
        metrics = {
            "train": binary_metrics(split.train_y, ev.train_out[:n_train]),
            "test": binary_metrics(split.test_y, ev.test_out[:n_test], with_curve=True),
        }
    depth = len(layers)
    hidden = ev.train_hidden[:depth, :n_train]
    train_out = ev.train_out[:n_train, :outputs] if outputs > 1 else ev.train_out[:n_train, None]
    return FrameData(
        train_loss=float(ev.train_loss) if n_train else None,
        test_loss=float(ev.test_loss) if n_test else None,
        train_accuracy=float(ev.train_accuracy) if classify and n_train else None,
        test_accuracy=float(ev.test_accuracy) if classify and n_test else None,
        output_grid=np.asarray(ev.output_grid),
        neuron_grids=np.concatenate(thumbs) if thumbs else empty,
        weights=weights,
        biases=biases,
        learning_rate=current_learning_rate(plan, state),
        metrics=metrics,
        grad_norms=[float(v) for v in [*ev.grad_w[:depth], ev.grad_w[-1]]] if detail else [],
        weight_hist=[histogram(w.ravel()) for w in weights] if detail else [],
        activation_hist=(
            [histogram(hidden[layer, :, :n].ravel()) for layer, n in enumerate(layers)] if detail else []
        ),
        outputs=outputs,
        output_classes=np.asarray(ev.output_classes) if outputs > 1 else None,
        dead_layers=[layer for layer, n in enumerate(layers) if _constant(hidden[layer, :, :n])],
        output_constant=_constant(np.asarray(train_out)),
        saturated_one_class=classify and _saturated_one_class(np.asarray(train_out), outputs > 1),
    )
