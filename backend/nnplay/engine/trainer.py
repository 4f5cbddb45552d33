"""Host-side glue: turns a TrainConfig into the traced arrays the kernels take, and back into numbers.

All that derives from a config lives in one immutable `Plan`; `configure` builds a new plan and swaps
it in with one assignment, so a chunk or a background compile running in another thread always sees
a consistent plan. Compiled code is untouched unless the net outgrows its padded bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import datasets
from ..features import all_features, feature_mask, grid_points
from ..models.mlp import Arch, LayerKind, MlpShape, Params, init_params, make_arch
from ..schemas import ConfigError, TrainConfig
from .evaluate import GRID_SIZE, NEURON_GRID_SIZE, EvalData, compiled_evaluate
from .exact import BatchedData, ExactSpec, batch_data, compiled_exact_chunk
from .metrics import binary_metrics, multiclass_metrics
from .optimizers import Hyper, OptimizerSpec, TrainState, init_state, make_hyper, schedule_value
from .runtime import background_compiles
from .train import MAX_BATCH, ChunkResult, TrainData, compiled_train_chunk

DATA_FIELDS = ("dataset", "noise", "train_ratio", "seed", "classes")
# (bucket, optimizer, layer kind) whose padded kernel has run (so it is compiled)
_WARM_KERNELS: set[tuple[MlpShape, OptimizerSpec, LayerKind]] = set()


@dataclass(frozen=True)
class ChunkOutcome:
    params: TrainState  # the training state (weights, optimizer state, schedule clock) after the chunk
    epochs: int
    diverged: bool
    kernel: str  # "exact" or "padded": which kernel ran


@dataclass(frozen=True)
class FrameData:
    """A host-side evaluation of the net: what a frame carries."""

    train_loss: float
    test_loss: float
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


HIST_BINS = 20


def histogram(values: np.ndarray) -> dict[str, Any]:
    """Counts in HIST_BINS equal bins over a range symmetric about 0 (so sign stays readable)."""
    values = values[np.isfinite(values)]
    reach = float(np.abs(values).max()) if values.size else 0.0
    reach = reach or 1e-6
    counts, _ = np.histogram(values, bins=HIST_BINS, range=(-reach, reach))
    return {"lo": -reach, "hi": reach, "counts": counts.tolist()}


@dataclass(frozen=True)
class Plan:
    """Everything derived from one config: data on the device, masks, hyperparameters, kernel specs."""

    config: TrainConfig
    shape: MlpShape
    split: datasets.Split
    train_features: np.ndarray  # (n_train, 7) host copy, for batching the exact kernel's data
    train_data: TrainData
    eval_data: EvalData
    arch: Arch
    hyper: Hyper
    optimizer: OptimizerSpec
    exact_spec: ExactSpec


@dataclass(frozen=True)
class _ExactKernel:
    spec: ExactSpec
    fn: Callable[..., ChunkResult]
    data: BatchedData


def _pad_rows(a: np.ndarray, rows: int) -> np.ndarray:
    out = np.zeros((rows, *a.shape[1:]), np.float32)
    out[: len(a)] = a
    return out


def _pad_columns(features: np.ndarray, rows: int, width: int) -> np.ndarray:
    out = np.zeros((rows, width), np.float32)
    out[: len(features), : features.shape[1]] = features
    return out


def output_activation(problem: str) -> str:
    return "tanh" if problem == "classification" else "linear"


def loss_kind(config: TrainConfig) -> str:
    """The engine's loss kind (models.mlp.LOSS_KINDS) for a config's loss and data."""
    if config.loss == "cross_entropy":
        return "softmax" if config.n_classes > 1 else "bce"
    return config.loss


def resize_params(params: Params, shape: MlpShape, key: jax.Array) -> Params:
    """Move params into another bucket: overlapping weights kept, new ones freshly initialised."""
    fresh = init_params(key, shape)
    depth = min(shape.depth, params.w.shape[0])
    width = min(shape.width, params.w.shape[1])
    return Params(
        w=fresh.w.at[:depth, :width, :width].set(params.w[:depth, :width, :width]),
        b=fresh.b.at[:depth, :width].set(params.b[:depth, :width]),
        w_out=fresh.w_out.at[:width].set(params.w_out[:width]),  # every output column moves over
        b_out=params.b_out,
    )


def _data_arrays(split: datasets.Split, width: int) -> tuple[np.ndarray, TrainData, EvalData]:
    n_pad = datasets.MAX_POINTS
    train_features = all_features(split.train_x)
    train_x = jnp.asarray(_pad_columns(train_features, n_pad + MAX_BATCH, width))
    train_y = jnp.asarray(_pad_rows(split.train_y, n_pad + MAX_BATCH))
    n_train = jnp.asarray(len(split.train_x), jnp.int32)
    eval_data = EvalData(
        train_x=train_x,
        train_y=train_y,
        train_n=n_train,
        test_x=jnp.asarray(_pad_columns(all_features(split.test_x), n_pad, width)),
        test_y=jnp.asarray(_pad_rows(split.test_y, n_pad)),
        test_n=jnp.asarray(len(split.test_x), jnp.int32),
        grid_x=jnp.asarray(_pad_columns(all_features(grid_points(GRID_SIZE)), GRID_SIZE**2, width)),
    )
    return train_features, TrainData(train_x, train_y, n_train), eval_data


def make_plan(
    config: TrainConfig, previous: Plan | None = None, custom: tuple[np.ndarray, np.ndarray] | None = None
) -> Plan:
    """Derive a plan from a config, reusing the previous plan's data when data settings are unchanged.

    `custom` holds a person's own points (used when the data set is "custom"; pass previous=None when
    they changed).
    """
    shape = MlpShape.bucket_for(config.hidden_layers)
    same_data = previous is not None and all(
        getattr(previous.config, f) == getattr(config, f) for f in DATA_FIELDS
    )
    if previous is not None and same_data:
        split = previous.split
    elif config.dataset == "custom":
        points, labels = custom if custom is not None else (np.zeros((0, 2)), np.zeros(0))
        split = datasets.custom_split(points, labels, config.train_ratio, config.seed)
    else:
        split = datasets.generate(
            config.dataset, config.noise, config.train_ratio, config.seed, classes=config.classes
        )
    if previous is not None and same_data and previous.shape.width == shape.width:
        train_features, train_data, eval_data = (
            previous.train_features,
            previous.train_data,
            previous.eval_data,
        )
    else:
        train_features, train_data, eval_data = _data_arrays(split, shape.width)
    fmask = feature_mask(config.features)
    rate = config.regularization_rate
    optimizer = OptimizerSpec(config.optimizer, config.schedule)
    depth = len(config.hidden_layers)
    activations = tuple(config.layer_activation(layer) for layer in range(depth))
    dropout_rates = [config.layer_dropout_rate(layer) for layer in range(depth)]
    dropout = any(rate > 0 for rate in dropout_rates)
    batch_norm = config.batch_norm == "on"
    loss = loss_kind(config)
    return Plan(
        config=config,
        shape=shape,
        split=split,
        train_features=train_features,
        train_data=train_data,
        eval_data=eval_data,
        arch=make_arch(
            shape,
            fmask,
            config.hidden_layers,
            activations if depth else config.activation,
            output_activation(config.problem),
            dropout=dropout,
            batch_norm=batch_norm,
            loss=loss,
            outputs=config.n_classes,
            shuffle=config.reshuffles,
        ),
        hyper=make_hyper(
            config.learning_rate,
            l1=rate if config.regularization == "l1" else 0.0,
            l2=rate if config.regularization == "l2" else 0.0,
            batch_size=config.batch_size,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
            schedule_epochs=config.schedule_epochs,
            schedule_factor=config.schedule_factor,
            dropout=dropout_rates,
            seed=config.seed,
        ),
        optimizer=optimizer,
        exact_spec=ExactSpec(
            features=tuple(int(i) for i in np.flatnonzero(fmask)),
            hidden=tuple(config.hidden_layers),
            activations=activations,
            output_activation=output_activation(config.problem),
            regularization=config.regularization if rate > 0 else "none",
            dropout=dropout,
            batch_size=config.batch_size,
            n_train=len(split.train_x),
            optimizer=optimizer,
            loss=loss,
            outputs=config.n_classes,
            batch_norm=batch_norm,
            shuffle=config.reshuffles,
        ),
    )


class Trainer:
    """Runs one config's training and evaluation on the jitted kernels."""

    def __init__(self, config: TrainConfig) -> None:
        self.custom: tuple[np.ndarray, np.ndarray] | None = None  # a person's own points, if any
        self.plan = make_plan(config)
        self._exact: _ExactKernel | None = None

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

    # ---- training state -----------------------------------------------------------------------

    def init_params(self) -> TrainState:
        """Fresh weights from the config's seed (deterministic), a fresh optimizer state, epoch 0."""
        config = self.config
        sizes = [len(config.features), *config.hidden_layers, config.n_classes]
        params = init_params(jax.random.PRNGKey(config.seed), self.plan.shape, config.init, sizes)
        return init_state(self.plan.optimizer, params)

    def fit_params(self, state: TrainState | Params, plan: Plan | None = None) -> TrainState:
        """The state made fit for the plan; unchanged if it already is.

        A net that changed bucket gets its weights moved over (resize_params) and a fresh optimizer state;
        another optimizer or schedule gets a fresh optimizer state and schedule clock (the weights stay).
        Bare Params are wrapped in a fresh state.
        """
        plan = plan or self.plan
        if isinstance(state, Params):
            return init_state(plan.optimizer, self._fit_weights(state, plan))
        params = self._fit_weights(state.params, plan)
        if state.spec != plan.optimizer:
            return init_state(plan.optimizer, params)
        if params is not state.params:
            return replace(init_state(plan.optimizer, params), epoch=state.epoch)
        return state

    def _fit_weights(self, params: Params, plan: Plan) -> Params:
        if params.w.shape[0] == plan.shape.depth and params.w.shape[1] == plan.shape.width:
            return params
        return resize_params(params, plan.shape, jax.random.PRNGKey(plan.config.seed + 1))

    def current_learning_rate(self, state: TrainState | Params) -> float:
        """The learning rate the next update will use: the schedule's value at the state's epoch."""
        plan, config = self.plan, self.plan.config
        # Another optimizer or schedule starts its clock afresh (fit_params).
        epoch = int(state.epoch) if isinstance(state, TrainState) and state.spec == plan.optimizer else 0
        rate = schedule_value(
            config.schedule,
            config.learning_rate,
            config.schedule_epochs,
            config.schedule_factor,
            epoch,
            xp=np,
        )
        return float(rate)

    def _rows(self, layer: int) -> np.ndarray:
        """Padded row indices of the inputs of `layer` (0 = first hidden layer; last = output)."""
        if layer == 0:
            return np.asarray(self.plan.exact_spec.features)
        return np.arange(self.config.hidden_layers[layer - 1])

    def set_weight(
        self, state: TrainState | Params, layer: int, source: int, target: int, value: float
    ) -> TrainState:
        """One weight changed, addressed as in a frame's exact-shape `weights`; raises ConfigError."""
        hidden = self.config.hidden_layers
        if layer > len(hidden):
            raise ConfigError("layer", f"layer must be between 0 and {len(hidden)}, got {layer}")
        rows = self._rows(layer)
        columns = hidden[layer] if layer < len(hidden) else self.config.n_classes
        if source >= len(rows):
            raise ConfigError("source", f"source must be between 0 and {len(rows) - 1}, got {source}")
        if target >= columns:
            raise ConfigError("target", f"target must be between 0 and {columns - 1}, got {target}")
        state = self.fit_params(state)
        params, row = state.params, int(rows[source])
        if layer == len(hidden):
            return replace(state, params=params._replace(w_out=params.w_out.at[row, target].set(value)))
        return replace(state, params=params._replace(w=params.w.at[layer, row, target].set(value)))

    def set_bias(self, state: TrainState | Params, layer: int, neuron: int, value: float) -> TrainState:
        """One bias changed, addressed as in a frame's `biases`; raises ConfigError."""
        hidden = self.config.hidden_layers
        if layer > len(hidden):
            raise ConfigError("layer", f"layer must be between 0 and {len(hidden)}, got {layer}")
        size = hidden[layer] if layer < len(hidden) else self.config.n_classes
        if neuron >= size:
            raise ConfigError("neuron", f"neuron must be between 0 and {size - 1}, got {neuron}")
        state = self.fit_params(state)
        params = state.params
        if layer == len(hidden):
            return replace(state, params=params._replace(b_out=params.b_out.at[neuron].set(value)))
        return replace(state, params=params._replace(b=params.b.at[layer, neuron].set(value)))

    # ---- kernels ------------------------------------------------------------------------------

    @property
    def padded_ready(self) -> bool:
        """Whether the padded kernel of the current bucket, optimizer and layer kind (activations, dropout,
        batch norm, loss) has been compiled in this process."""
        return (self.plan.shape, self.plan.optimizer, self.plan.arch.kind) in _WARM_KERNELS

    @property
    def exact_ready(self) -> bool:
        """Whether the exact kernel for the current config is compiled (training then uses it)."""
        return self._exact is not None and self._exact.spec == self.plan.exact_spec

    def prepare_exact(self, state: TrainState | Params) -> bool:
        """Compile the exact kernel for the current plan (blocking: run it in a worker thread).

        Returns whether it still matches the plan when done (the config may have changed meanwhile).
        """
        plan = self.plan
        spec = plan.exact_spec
        if self._exact is None or self._exact.spec != spec:
            with background_compiles():
                data = batch_data(spec, plan.train_features, plan.split.train_y)
                args = (self.fit_params(state, plan), plan.hyper, data, jnp.asarray(1, jnp.int32))
                compiled = compiled_exact_chunk(spec).lower(*args).compile()
            self._exact = _ExactKernel(spec, compiled, data)
        return self.plan.exact_spec == spec

    def train(self, state: TrainState | Params, epochs: int) -> ChunkOutcome:
        """Train up to `epochs` epochs (blocking): the exact kernel if it fits the plan, else padded."""
        plan, exact = self.plan, self._exact
        n = jnp.asarray(epochs, jnp.int32)
        state = self.fit_params(state, plan)
        if exact is not None and exact.spec == plan.exact_spec:
            result, kernel = exact.fn(state, plan.hyper, exact.data, n), "exact"
        else:
            fn = compiled_train_chunk(plan.shape)
            result, kernel = fn(state, plan.arch, plan.hyper, plan.train_data, n), "padded"
            _WARM_KERNELS.add((plan.shape, plan.optimizer, plan.arch.kind))
        return ChunkOutcome(result.state, int(result.epochs), bool(result.diverged), kernel)

    def evaluate(self, state: TrainState | Params) -> FrameData:
        """Losses, accuracy, grids and exact-shape weights of the state's weights (blocking)."""
        plan = self.plan
        params = self._fit_weights(state if isinstance(state, Params) else state.params, plan)
        ev = jax.device_get(compiled_evaluate()(params, plan.arch, plan.eval_data))
        host = jax.device_get(params)
        layers = list(plan.config.hidden_layers)
        thumbs = [ev.neuron_grids[layer, :n] for layer, n in enumerate(layers)]
        empty = np.zeros((0, NEURON_GRID_SIZE**2), np.uint8)
        weights, biases = [], []
        rows = np.asarray(plan.exact_spec.features)
        for layer, n in enumerate(layers):
            weights.append(np.asarray(host.w[layer][np.ix_(rows, np.arange(n))], np.float32))
            biases.append(np.asarray(host.b[layer][:n], np.float32))
            rows = np.arange(n)
        outputs = plan.config.n_classes
        weights.append(np.asarray(host.w_out[rows][:, :outputs], np.float32))
        biases.append(np.asarray(host.b_out[:outputs], np.float32))
        classify = plan.config.problem == "classification"
        split = plan.split
        n_train, n_test = len(split.train_y), len(split.test_y)
        metrics = None
        if classify and outputs > 1:
            metrics = {
                "train": multiclass_metrics(split.train_y, ev.train_out[:n_train, :outputs]),
                "test": multiclass_metrics(split.test_y, ev.test_out[:n_test, :outputs]),
            }
        elif classify:
            metrics = {
                "train": binary_metrics(split.train_y, ev.train_out[:n_train]),
                "test": binary_metrics(split.test_y, ev.test_out[:n_test], with_curve=True),
            }
        depth = len(layers)
        hidden = ev.train_hidden[:depth, :n_train]
        return FrameData(
            train_loss=float(ev.train_loss),
            test_loss=float(ev.test_loss),
            train_accuracy=float(ev.train_accuracy) if classify else None,
            test_accuracy=float(ev.test_accuracy) if classify else None,
            output_grid=np.asarray(ev.output_grid),
            neuron_grids=np.concatenate(thumbs) if thumbs else empty,
            weights=weights,
            biases=biases,
            learning_rate=self.current_learning_rate(state),
            metrics=metrics,
            grad_norms=[float(v) for v in [*ev.grad_w[:depth], ev.grad_w[-1]]],
            weight_hist=[histogram(w.ravel()) for w in weights],
            activation_hist=[histogram(hidden[layer, :, :n].ravel()) for layer, n in enumerate(layers)],
            outputs=outputs,
            output_classes=np.asarray(ev.output_classes) if outputs > 1 else None,
        )
