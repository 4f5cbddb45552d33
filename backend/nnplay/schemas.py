"""The playground's training config, a pydantic model derived from the settings table, and its errors
(the messages clients send are in client_messages.py)."""

from __future__ import annotations

import reprlib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .client_messages import MAX_WEIGHT
from .settings import (
    DATASET_PROBLEM,
    FEATURE_NAMES,
    LIMITS,
    SETTINGS_BY_NAME,
    dataset_classes,
    describe_range,
)

_SHORT = reprlib.Repr()  # (Python 3.11's Repr takes no keyword arguments)
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict = 3, 60, 60, 6, 6


def short_repr(value: Any) -> str:
    """A value as an error message quotes it: bounded, so a huge or deeply nested input cannot blow up
    the message (or the recursion limit while printing it)."""
    return _SHORT.repr(value)


class ConfigError(ValueError):
    """A setting was rejected; `field` names it and the message says what is allowed (`layer`: the
    1-based layer of a stack it is about, for families whose configs have one)."""

    def __init__(self, field: str, message: str, layer: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.layer = layer


def _field(name: str) -> Any:
    setting = SETTINGS_BY_NAME[name]
    bounds: dict[str, Any] = {}
    if setting.type in ("int", "float"):
        bounds = {"ge": setting.min, "le": setting.max}
    default = setting.default
    if isinstance(default, list):
        return Field(default_factory=lambda: tuple(default), description=setting.help)
    return Field(default, description=setting.help, **bounds)


DatasetName = Literal[
    "circle",
    "xor",
    "gauss",
    "spiral",
    "moons",
    "checkerboard",
    "blobs",
    "spirals",
    "plane",
    "multigauss",
    "custom",
]
ActivationName = Literal[
    "relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "swish", "softplus"
]
DropoutRate = Annotated[float, Field(ge=0.0, le=0.9, allow_inf_nan=False)]


class TrainConfig(BaseModel):
    """Everything that defines a run; immutable, so edits make a new config."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    dataset: DatasetName = _field("dataset")
    problem: Literal["classification", "regression"] = _field("problem")
    classes: int = _field("classes")
    noise: int = _field("noise")
    train_ratio: int = _field("train_ratio")
    batch_size: int = _field("batch_size")
    learning_rate: float = _field("learning_rate")
    activation: ActivationName = _field("activation")
    layer_activations: tuple[ActivationName, ...] = _field("layer_activations")
    regularization: Literal["none", "l1", "l2"] = _field("regularization")
    regularization_rate: float = _field("regularization_rate")
    loss: Literal["square", "cross_entropy", "huber"] = _field("loss")
    features: tuple[str, ...] = _field("features")
    hidden_layers: tuple[int, ...] = _field("hidden_layers")
    mode: Literal["reference", "extended"] = _field("mode")
    optimizer: Literal["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad"] = _field(
        "optimizer"
    )
    momentum: float = _field("momentum")
    weight_decay: float = _field("weight_decay")
    schedule: Literal["constant", "step", "cosine", "warmup"] = _field("schedule")
    schedule_epochs: int = _field("schedule_epochs")
    schedule_factor: float = _field("schedule_factor")
    init: Literal["uniform", "xavier", "he", "zeros"] = _field("init")
    dropout: float = _field("dropout")
    layer_dropout: tuple[DropoutRate, ...] = _field("layer_dropout")
    batch_norm: Literal["off", "on"] = _field("batch_norm")
    shuffle: Literal["off", "on"] = _field("shuffle")
    speed: int = _field("speed")
    stop_epoch: int = _field("stop_epoch")
    stop_loss: float = _field("stop_loss")
    early_stopping: Literal["off", "on"] = _field("early_stopping")
    patience: int = _field("patience")
    seed: int = _field("seed")

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [f for f in value if f not in FEATURE_NAMES]
        if unknown:
            raise ValueError(f"unknown feature {unknown[0]!r}; features are {', '.join(FEATURE_NAMES)}")
        if len(set(value)) != len(value):
            raise ValueError("each feature may be listed once")
        if not value:
            raise ValueError("select at least one input feature")
        # Keep the canonical order so that equal selections compare equal.
        return tuple(f for f in FEATURE_NAMES if f in value)

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        limits = LIMITS[self.mode]
        if len(self.hidden_layers) > limits["max_layers"]:
            raise ConfigError(
                "hidden_layers",
                f"hidden layers must be between 0 and {limits['max_layers']} in {self.mode} mode, "
                f"got {len(self.hidden_layers)}",
            )
        for i, n in enumerate(self.hidden_layers):
            if not 1 <= n <= limits["max_neurons"]:
                raise ConfigError(
                    "hidden_layers",
                    f"neurons in hidden layer {i + 1} must be between 1 and {limits['max_neurons']} "
                    f"in {self.mode} mode, got {n}",
                )
        if DATASET_PROBLEM[self.dataset] not in (self.problem, "any"):
            raise ConfigError(
                "dataset",
                f"data set {self.dataset!r} is for {DATASET_PROBLEM[self.dataset]}, "
                f"but the problem type is {self.problem}",
            )
        self._check_loss()
        if self.batch_norm == "on" and self.batch_size < 2:
            raise ConfigError(
                "batch_size",
                "batch norm normalises over a batch, so it needs a batch size of at least 2, got 1",
            )
        # Per-layer lists describe the layers that exist: entries past the last layer are dropped.
        depth = len(self.hidden_layers)
        for name in ("layer_activations", "layer_dropout"):
            if len(getattr(self, name)) > depth:
                object.__setattr__(self, name, getattr(self, name)[:depth])
        return self

    def _check_loss(self) -> None:
        kind = "value" if self.problem == "regression" else dataset_classes(self.dataset)
        if kind == "multi" and self.loss != "cross_entropy":
            raise ConfigError(
                "loss",
                f"data set {self.dataset!r} has {self.classes} classes: it needs the cross_entropy loss "
                f"(a softmax over one output per class), got {self.loss}",
            )
        if kind == "value" and self.loss == "cross_entropy":
            raise ConfigError("loss", "cross_entropy is a loss for classes; regression uses square or huber")
        if kind == "binary" and self.loss == "huber":
            raise ConfigError(
                "loss", "huber is a regression loss; classification uses square or cross_entropy"
            )

    @property
    def n_classes(self) -> int:
        """Outputs of the net: the classes of a multi-class data set, else 1."""
        return self.classes if dataset_classes(self.dataset) == "multi" else 1

    @property
    def reshuffles(self) -> bool:
        """Whether training visits the points in a new order every epoch (batch norm implies it)."""
        return self.shuffle == "on" or self.batch_norm == "on"

    def layer_activation(self, layer: int) -> str:
        """The activation of hidden layer `layer` (its own entry, else the global one)."""
        entries = self.layer_activations
        return entries[layer] if layer < len(entries) else self.activation

    def layer_dropout_rate(self, layer: int) -> float:
        """The dropout rate of hidden layer `layer` (its own entry, else the global one)."""
        entries = self.layer_dropout
        return entries[layer] if layer < len(entries) else self.dropout

    def public(self) -> dict[str, Any]:
        """JSON-ready dict with lists (not tuples), as sent to the page."""
        return self.model_dump(mode="json")


def _message_for(error: dict[str, Any]) -> tuple[str, str]:
    loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
    field = loc[-1] if loc else ""
    ctx = error.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, ConfigError):
        return inner.field, inner.message
    setting = SETTINGS_BY_NAME.get(field)
    value = error.get("input")
    if error.get("type") == "extra_forbidden":
        return field, f"unknown setting {field!r}"
    if setting is None:
        if field == "value" and error.get("type") in (
            "greater_than_equal",
            "less_than_equal",
            "finite_number",
        ):
            return (
                field,
                f"a weight or bias must be a finite number between {-MAX_WEIGHT:g} and {MAX_WEIGHT:g}",
            )
        return field, f"{field or 'message'}: {error.get('msg', 'invalid')}"
    label = setting.label.lower()
    if error.get("type") in ("value_error", "assertion_error"):
        return field, f"{label}: {error['msg'].removeprefix('Value error, ')}"
    return field, f"{label} must be {describe_range(setting)}, got {short_repr(value)}"


def describe_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Turn a pydantic error into [{field, message}] a person can act on."""
    seen: list[dict[str, str]] = []
    for error in exc.errors():
        field, message = _message_for(dict(error))
        item = {"field": field, "message": message}
        if item not in seen:
            seen.append(item)
    return seen


def _fitting_loss(data: dict[str, Any]) -> Any:
    """The loss to use when a change does not name one: the current loss if it suits the data, else
    cross_entropy for multi-class data and square otherwise (TF Playground's)."""
    loss = data.get("loss", SETTINGS_BY_NAME["loss"].default)
    dataset = data.get("dataset", SETTINGS_BY_NAME["dataset"].default)
    if data.get("problem") == "regression":
        return "square" if loss == "cross_entropy" else loss
    if isinstance(dataset, str) and dataset in DATASET_PROBLEM and dataset_classes(dataset) == "multi":
        return "cross_entropy"
    return "square" if loss == "huber" else loss


def make_config(base: TrainConfig | None = None, changes: dict[str, Any] | None = None) -> TrainConfig:
    """Validate `changes` on top of `base` (or the defaults); raise ConfigError naming the first bad field.

    Changes that do not name a loss get one that suits their data (_fitting_loss); a loss named
    explicitly is validated as it is."""
    data = base.public() if base is not None else {}
    data.update(changes or {})
    if changes is not None and "loss" not in changes:
        data["loss"] = _fitting_loss(data)
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        first = describe_errors(exc)[0]
        raise ConfigError(first["field"], first["message"]) from None
