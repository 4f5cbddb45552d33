"""A config made concrete: the data on the device, masks, hyperparameters and kernel specs (`Plan`).

`make_plan` is a pure function of the config, the previous plan (whose data it reuses when the data
settings are unchanged) and a person's own points. A plan is immutable, so a kernel running in a worker
thread always sees a consistent one; its owner swaps in a new plan with one assignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ... import datasets
from ...engine.optimizers import Hyper, OptimizerSpec, shared_hyper
from ...engine.seam import FrameUse, TrainUse
from ...features import all_features, feature_mask, grid_points
from ...models.mlp import Arch, MlpShape, make_arch
from ...schemas import TrainConfig
from .evaluate import GRID_ORDER, GRID_SIZE, EvalData
from .exact import BatchedData, ExactSpec, batch_data
from .train import MAX_BATCH, TrainData

GRID_CELLS = grid_points(GRID_SIZE)[GRID_ORDER]  # the grid's cell centres in the evaluation's order
DATA_FIELDS = ("dataset", "noise", "train_ratio", "seed", "classes")


@dataclass(frozen=True)
class Plan:
    """Everything derived from one config: data on the device, masks, hyperparameters, kernel specs.

    `exact_data` is the training set batched for the exact kernel of `exact_spec`: kernels take the data
    as an argument, so a compiled kernel serves any plan with its spec and never keeps old data.
    """

    config: TrainConfig
    shape: MlpShape
    split: datasets.Split
    train_features: np.ndarray  # (n_train, 7) host copy
    train_data: TrainData
    eval_data: EvalData
    arch: Arch
    hyper: Hyper
    optimizer: OptimizerSpec
    exact_spec: ExactSpec
    exact_data: BatchedData

    @property
    def n_train(self) -> int:
        return len(self.split.train_y)

    @cached_property
    def _uses(self) -> tuple[Any, Any, Any]:
        from .uses import frame_uses, train_uses

        return train_uses(self), frame_uses(self, False), frame_uses(self, True)

    def train_uses(self) -> Sequence[TrainUse]:
        """How the engine trains this plan: the exact kernel once compiled, else the padded one."""
        return self._uses[0]  # type: ignore[no-any-return]

    def frame_uses(self, detail: bool, view: Any = None) -> Sequence[FrameUse]:
        """How the engine makes this plan's frames (`detail`: with the insight views)."""
        return self._uses[2 if detail else 1]  # type: ignore[no-any-return]


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


@lru_cache(maxsize=8)
def _grid_x(width: int) -> jax.Array:
    """The heat map's cells as features, padded to `width` (the same for every plan of that width)."""
    return jnp.asarray(_pad_columns(all_features(GRID_CELLS), GRID_SIZE**2, width))


def _data_arrays(split: datasets.Split, width: int) -> tuple[np.ndarray, TrainData, EvalData]:
    n_pad = datasets.MAX_POINTS
    train_features = all_features(split.train_x)
    # one transfer for the six arrays (a new session makes them while the server is busy)
    train_x, train_y, n_train, test_x, test_y, test_n = jax.device_put(
        (
            _pad_columns(train_features, n_pad + MAX_BATCH, width),
            _pad_rows(split.train_y, n_pad + MAX_BATCH),
            np.asarray(len(split.train_x), np.int32),
            _pad_columns(all_features(split.test_x), n_pad, width),
            _pad_rows(split.test_y, n_pad),
            np.asarray(len(split.test_x), np.int32),
        )
    )
    eval_data = EvalData(train_x, train_y, n_train, test_x, test_y, test_n, _grid_x(width))
    return train_features, TrainData(train_x, train_y, n_train), eval_data


def _same_data(config: TrainConfig, previous: Plan | None) -> bool:
    return previous is not None and all(
        getattr(previous.config, f) == getattr(config, f) for f in DATA_FIELDS
    )


def reuses_data(config: TrainConfig, previous: Plan | None) -> bool:
    """Whether make_plan(config, previous) reuses the previous plan's points and their device arrays: then
    it makes no data and costs well under a millisecond (a learning-rate change: ~0.5 ms on 2 CPU cores)."""
    if previous is None or not _same_data(config, previous):
        return False
    return previous.shape.width == MlpShape.bucket_for(config.hidden_layers).width


def make_plan(
    config: TrainConfig, previous: Plan | None = None, custom: tuple[np.ndarray, np.ndarray] | None = None
) -> Plan:
    """Derive a plan from a config, reusing the previous plan's data when data settings are unchanged.

    `custom` holds a person's own points (used when the data set is "custom"; pass previous=None when
    they changed).
    """
    shape = MlpShape.bucket_for(config.hidden_layers)
    if previous is not None and _same_data(config, previous):
        split = previous.split
    elif config.dataset == "custom":
        points, labels = custom if custom is not None else (np.zeros((0, 2)), np.zeros(0))
        split = datasets.custom_split(points, labels, config.train_ratio, config.seed)
    else:
        split = datasets.generate(
            config.dataset, config.noise, config.train_ratio, config.seed, classes=config.classes
        )
    if previous is not None and reuses_data(config, previous):
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
    exact_spec = ExactSpec(
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
    )
    return Plan(
        config=config,
        shape=shape,
        split=split,
        train_features=train_features,
        train_data=train_data,
        eval_data=eval_data,
        arch=shared_arch(
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
        hyper=shared_hyper(
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
        exact_spec=exact_spec,
        exact_data=(
            previous.exact_data
            if previous is not None and previous.split is split and previous.exact_spec == exact_spec
            else batch_data(exact_spec, train_features, split.train_y)
        ),
    )


def shared_arch(
    shape: MlpShape,
    fmask: np.ndarray,
    hidden_layers: Sequence[int],
    activation: str | Sequence[str],
    output_activation: str,
    **kinds: Any,
) -> Arch:
    """make_arch's device arrays, made once per architecture and shared: every edit of a run (a learning
    rate as much as a layer) makes a plan on the event loop, where five small transfers cost ~0.5 ms.
    Safe to share: device arrays are immutable and no kernel donates them."""
    names = activation if isinstance(activation, str) else tuple(activation)
    mask = tuple(np.asarray(fmask, np.float32).tolist())
    key = tuple(sorted(kinds.items()))
    return _shared_arch(shape, mask, tuple(hidden_layers), names, output_activation, key)


@lru_cache(maxsize=1024)
def _shared_arch(
    shape: MlpShape,
    fmask: tuple[float, ...],
    hidden_layers: tuple[int, ...],
    activation: str | tuple[str, ...],
    output_activation: str,
    kinds: tuple[tuple[str, Any], ...],
) -> Arch:
    mask = np.asarray(fmask, np.float32)
    return make_arch(shape, mask, hidden_layers, activation, output_activation, **dict(kinds))
